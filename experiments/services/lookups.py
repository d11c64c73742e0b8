"""Finding the rows a request names, with the refusal Dallinger gives for each unknown id."""

from contextlib import contextmanager

from core.fetch import by_pk, by_pk_with, rows_where
from core.models import Info, Network, Node, Participant, ParticipantStatus
from experiments.binding import Caller
from experiments.errors import BadRequest, NotFound, Refused


def as_id(value) -> int:
    """`value` as a positive database id, or -1 (which matches nothing) if it is not one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number < 2**63 else -1


#: Statuses of a participant who has not finished (nor given up) their assignment.
UNFINISHED = (ParticipantStatus.WORKING, ParticipantStatus.OVERRECRUITED, ParticipantStatus.REPLACED)


def participants_of(*, worker_id: str, assignment_id: str) -> list[Participant]:
    """The participants of this worker, and those on this assignment: what decides whether the
    worker may start it (see `has_taken_part` and `assignment_held_by_another`)."""
    return rows_where(Participant, "worker_id = %s OR assignment_id = %s", [worker_id, assignment_id], order_by=("id",))


def has_taken_part(participants, *, worker_id: str, assignment_id: str) -> bool:
    """Whether, among `participants_of` the worker, one shows they already took part: one on
    another assignment, or one that finished this one. (An unfinished participant on this
    assignment is a restart, not a repeat.)"""
    return any(
        participant.worker_id == worker_id
        and not (participant.assignment_id == assignment_id and participant.status in UNFINISHED)
        for participant in participants
    )


def assignment_held_by_another(participants, *, worker_id: str, assignment_id: str) -> bool:
    """Whether, among `participants_of` the worker, another worker's holds this assignment."""
    return any(p.assignment_id == assignment_id and p.worker_id != worker_id for p in participants)


def participant_get(*, participant_id) -> Participant:
    """The participant with this id; Refused (403) if there is none."""
    participant = by_pk(Participant, as_id(participant_id))
    if participant is None:
        raise Refused(f"There is no participant with id {participant_id}.", error_code="participant_not_found")
    return participant


def participant_get_for_exit(*, participant_id, caller: Caller) -> Participant:
    """The participant leaving the experiment; BadRequest if no id, NotFound (404) if unknown,
    Refused unless `caller` holds them (the exit page may carry what the recruiter pays on)."""
    if participant_id in (None, ""):
        raise BadRequest("participant_id is required.")
    participant = by_pk(Participant, as_id(participant_id))
    if participant is None:
        raise NotFound(f"There is no participant with id {participant_id}.", error_code="participant_not_found")
    caller.require(participant)
    return participant


def node_get(*, node_id, participant=None, with_participant: bool = False) -> Node:
    """The node with this id; BadRequest (400) if there is none (its error page names
    `participant`, the asking node's, when given). `with_participant`: the node's participant
    is read in the same query (for routes that check the caller holds them)."""
    node = by_pk_with(Node, as_id(node_id), "participant") if with_participant else by_pk(Node, as_id(node_id))
    if node is None:
        raise BadRequest(f"There is no node with id {node_id}.", error_code="node_not_found", participant=participant)
    return node


def network_get(*, network_id) -> Network:
    """The network with this id; Refused (403) if there is none."""
    network = by_pk(Network, as_id(network_id))
    if network is None:
        raise Refused(f"There is no network with id {network_id}.", error_code="network_not_found")
    return network


def info_get(*, info_id, participant=None) -> Info:
    """The info with this id; BadRequest (400) if there is none (its error page names
    `participant`, the asking node's, when given)."""
    info = by_pk(Info, as_id(info_id))
    if info is None:
        raise BadRequest(f"There is no info with id {info_id}.", error_code="info_not_found", participant=participant)
    return info


@contextmanager
def refused_by_the_model(node):
    """Turn a rule of the model API that `node`'s request broke (ValueError/TypeError: connect
    to a Source, transmit without a connection...) into a BadRequest whose error page names
    the node's participant, as Dallinger's does."""
    try:
        yield
    except (ValueError, TypeError) as error:
        raise BadRequest(str(error), participant=node.participant) from error
