"""Creating, finding and loading participants."""

import inspect

from django.db import transaction
from django.utils import timezone

from core.locks import lock_keys
from core.models import Participant, ParticipantStatus
from core.validation import unstorable
from experiments.errors import BadRequest, Refused
from experiments.services.lookups import assignment_held_by_another, has_taken_part, participants_of
from experiments.services.quorum import quorum_state

MAX_ID_LENGTH = 50


def participant_create(
    *,
    experiment,
    worker_id: str,
    hit_id: str,
    assignment_id: str,
    mode: str,
    recruiter_name: str | None = None,
    fingerprint_hash: str | None = None,
    entry_information: dict | None = None,
) -> tuple[Participant, dict | None]:
    """Create a participant for a worker's assignment; returns it and the quorum state (or None).

    Refuses `undefined` ids and, unless `allow_repeat_worker_ids` is set, a worker who has
    taken part before (under another assignment, or finished this one). A participant still
    `working` on the same assignment is marked `replaced` and handed to the experiment's
    `assignment_reassigned`. With a quorum, a participant beyond it is marked `overrecruited`.
    """
    for name, value in (("worker_id", worker_id), ("hit_id", hit_id), ("assignment_id", assignment_id)):
        if value == "undefined":
            # The front end lost the ids it was given: refused, as Dallinger does.
            raise Refused(f"Participant creation refused: {name} is undefined.")
        if not value:
            raise BadRequest(f"{name} is required to create a participant.")
        if len(value) > MAX_ID_LENGTH:
            raise BadRequest(f"{name} is longer than {MAX_ID_LENGTH} characters.")
        problem = unstorable(value)
        if problem:
            raise BadRequest(f"{name} {problem}.")
    if not mode or len(mode) > MAX_ID_LENGTH or unstorable(mode):
        raise BadRequest("mode is missing, too long or malformed.")
    if fingerprint_hash is not None and len(fingerprint_hash) > MAX_ID_LENGTH:
        raise BadRequest(f"fingerprint_hash is longer than {MAX_ID_LENGTH} characters.")

    with transaction.atomic():
        # Where over-recruitment is possible, arrivals are counted one at a time, so that two
        # arriving together cannot both be the quorum's last place. Elsewhere (groups formed by
        # arrival take everyone) that lock would queue every arrival behind the others for nothing.
        counted = ["quorum"] if experiment.may_overrecruit() else []
        lock_keys(f"worker:{worker_id}", f"assignment:{assignment_id}", *counted)
        known = participants_of(worker_id=worker_id, assignment_id=assignment_id)
        if assignment_held_by_another(known, worker_id=worker_id, assignment_id=assignment_id):
            # Only the worker an assignment was given to may restart it: anyone else could
            # otherwise evict a working participant by naming their assignment.
            raise Refused("This assignment belongs to another worker.", error_code="assignment_taken")
        if not experiment.config.get("allow_repeat_worker_ids", False):
            # The same assignment again, while the worker has not finished it, is a restart,
            # handled as a reassignment below; anything else means they already took part.
            if has_taken_part(known, worker_id=worker_id, assignment_id=assignment_id):
                raise Refused(
                    "You have already taken part in this experiment.", error_code="worker_already_participated"
                )
        earlier = [p for p in known if p.assignment_id == assignment_id and p.status == ParticipantStatus.WORKING]
        arguments = {
            "worker_id": worker_id,
            "hit_id": hit_id,
            "assignment_id": assignment_id,
            "mode": mode,
            "recruiter_name": recruiter_name,
            "fingerprint_hash": fingerprint_hash,
        }
        if _accepts(experiment.create_participant, "entry_information"):
            arguments["entry_information"] = entry_information or {}
        participant = experiment.create_participant(**arguments)
        if entry_information and participant.entry_information != entry_information:
            # An override with Dallinger's older signature still gets the entry information kept.
            participant.entry_information = entry_information
            participant.save(update_fields=["entry_information"])
        for previous in earlier:
            previous.status = ParticipantStatus.REPLACED
            previous.end_time = timezone.now()
            previous.save(update_fields=["status", "end_time"])
            experiment.assignment_reassigned(previous)
        quorum = _quorum_state(experiment, participant)
    return participant, quorum


def _quorum_state(experiment, participant) -> dict | None:
    state = quorum_state(experiment=experiment)
    if state and state["overrecruited"]:
        participant.status = ParticipantStatus.OVERRECRUITED
        participant.save(update_fields=["status"])
    return state


def _accepts(function, name: str) -> bool:
    parameters = inspect.signature(function).parameters.values()
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def participant_load(*, experiment, assignment_id: str | None) -> Participant:
    """The participant of this assignment (to resume a session); Refused with an error code otherwise."""
    if not assignment_id:
        raise Refused("An assignment_id is required to load a participant.", error_code="assignment_id_missing")
    participant = experiment.load_participant(assignment_id)
    if participant is None:
        raise Refused(
            f"No single participant has assignment_id {assignment_id}.", error_code="participant_not_found"
        )
    return participant
