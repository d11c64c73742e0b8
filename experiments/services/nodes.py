"""A participant's node, and what a node does: connect, transmit, and read its links and infos."""

from django.db import transaction

from core import pending
from core.fetch import by_pk
from core.models import Network, Node, Participant, ParticipantStatus
from core.savepoints import all_or_nothing
from experiments.binding import Caller
from experiments.errors import BadRequest, Refused
from experiments.experiment import network_id_to_join
from experiments.services.lookups import as_id, node_get, refused_by_the_model
from experiments.services.replacement import is_replaced, replaced_refusal


class _NetworkTaken(Exception):
    """The chosen network filled up (or failed) before this participant could join it."""

    def __init__(self, network_pk):
        super().__init__(network_pk)
        self.network_pk = network_pk


def node_create_for_participant(*, experiment, participant_id, caller: Caller, details=None, properties=None) -> Node:
    """Give a working participant a node in the network the experiment chooses for them.

    The chosen network's row is locked while the node is created and wired, so
    concurrent requests never overfill a network; a network that filled up meanwhile is
    skipped and another chosen. Refused (403) when no network is left.
    """
    tried = set()
    while True:
        try:
            # One transaction per attempt: a network found full is rare, so rather than a
            # savepoint around every attempt (two statements each time), a taken network
            # rolls the attempt back, which releases its lock (two requests never wait on
            # each other), and the next attempt starts again from the participant's row.
            # Any other error fails the request, so the model's steps need no savepoints.
            with transaction.atomic(), all_or_nothing(), pending.saving():
                participant = _working_participant(participant_id, caller)
                network_pk = network_id_to_join(experiment, participant)
                if network_pk is None or network_pk in tried:
                    raise Refused(
                        "There are no networks left for this participant.",
                        error_code="no_network_available",
                        participant=participant,
                    )
                return _create_node_in(experiment, participant, network_pk, details, properties)
        except _NetworkTaken as taken:
            tried.add(taken.network_pk)


def _working_participant(participant_id, caller: Caller) -> Participant:
    """The participant, their row locked, if `caller` holds them and they are working."""
    participant = by_pk(Participant, as_id(participant_id), lock="no_key_update")
    if participant is None:
        raise Refused(f"There is no participant with id {participant_id}.", error_code="participant_not_found")
    caller.require(participant)
    if is_replaced(participant):
        raise replaced_refusal(participant)
    if participant.status != ParticipantStatus.WORKING:
        raise BadRequest(
            f"Participant {participant.pk} is {participant.status}, not working: no node can be made.",
            participant=participant,
        )
    return participant


def _create_node_in(experiment, participant, network_pk, details, properties) -> Node:
    # NO KEY UPDATE: serialises joins without conflicting with the KEY SHARE locks that
    # committing rows referring to this network takes (a plain FOR UPDATE deadlocks there).
    network = by_pk(Network, network_pk, lock="no_key_update")
    if network is None or network.full or network.failed:
        raise _NetworkTaken(network_pk)
    node = experiment.create_node(participant=participant, network=network)
    if node.pk is None or details is not None or properties:
        # Dallinger experiments may return an unsaved node from create_node.
        _apply_fields(node, details, properties)
        node.save()
    experiment.add_node_to_network(node=node, network=network)
    experiment.node_post_request(participant=participant, node=node)
    return node


def _apply_fields(instance, details, properties) -> None:
    if details is not None:
        instance.details = details
    for name, value in (properties or {}).items():
        setattr(instance, name, value)


def node_neighbors(*, experiment, node_id, node_type, connection: str) -> tuple[Node, list]:
    """The node and its neighbours of `node_type` in the `connection` direction."""
    node = node_get(node_id=node_id)
    nodes = node.neighbors(type=node_type, direction=connection)
    experiment.node_get_request(node=node, nodes=nodes)
    return node, nodes


def node_vectors(*, experiment, node_id, direction: str, failed) -> list:
    """The node's vectors in `direction`, filtered by `failed`."""
    node = node_get(node_id=node_id)
    vectors = node.vectors(direction=direction, failed=failed)
    experiment.vector_get_request(node=node, vectors=vectors)
    return vectors


def node_connect(*, experiment, node_id, other_node_id, direction: str, caller: Caller) -> list:
    """Connect two nodes; returns the new vectors. The caller acts for the first node's participant."""
    with transaction.atomic(), pending.saving():
        node = node_get(node_id=node_id, with_participant=True)
        caller.require_for_node(node)
        other = node_get(node_id=other_node_id, participant=node.participant)
        with refused_by_the_model(node):
            vectors = node.connect(whom=other, direction=direction)
        experiment.vector_post_request(node=node, vectors=vectors)
    return vectors


def node_infos(*, experiment, node_id, info_type) -> list:
    """Infos the node created, of `info_type`."""
    node = node_get(node_id=node_id)
    infos = node.infos(type=info_type)
    experiment.info_get_request(node=node, infos=infos)
    return infos


def node_received_infos(*, experiment, node_id, info_type) -> list:
    """Infos the node has received, of `info_type`."""
    node = node_get(node_id=node_id)
    infos = node.received_infos(type=info_type)
    experiment.info_get_request(node=node, infos=infos)
    return infos


def node_transmissions(*, experiment, node_id, direction: str, status: str, caller: Caller) -> list:
    """The node's transmissions; reading pending incoming ones marks them received (as Dallinger).

    The pending ones are received first and answered as received, so the answer holds exactly
    what this request received: a transmission arriving meanwhile is never marked received
    without being answered, nor answered as received by two concurrent readers. Receiving
    changes the node's record, so only its participant's caller may ask for pending ones.
    """
    with transaction.atomic(), pending.saving():
        node = node_get(node_id=node_id, with_participant=True)
        received = []
        if direction in ("incoming", "all") and status in ("pending", "all") and not node.failed:
            caller.require_for_node(node)
            received = node.receive()
        # Listed after receiving: those just received are no longer pending, so add them back.
        listed = node.transmissions(direction=direction, status=status)
        answer = {transmission.pk: transmission for transmission in [*listed, *received]}
        transmissions = sorted(answer.values(), key=lambda transmission: (transmission.creation_time, transmission.pk))
        experiment.transmission_get_request(node=node, transmissions=transmissions)
    return transmissions


def node_transmit(*, experiment, node_id, what, to_whom, caller: Caller, details=None, properties=None) -> list:
    """Send infos from the node; `what` and `to_whom` are ids, known classes or None."""
    with transaction.atomic(), pending.saving():
        node = node_get(node_id=node_id, with_participant=True)
        caller.require_for_node(node)
        what = _resolve_id(what, node.all_infos.model, "info", node)
        to_whom = _resolve_id(to_whom, Node, "node", node)
        with refused_by_the_model(node):
            transmissions = node.transmit(what=what, to_whom=to_whom)
        for transmission in transmissions:
            _apply_fields(transmission, details, properties)
            if details is not None or properties:
                transmission.save()
        experiment.transmission_post_request(node=node, transmissions=transmissions)
    return transmissions


def _resolve_id(value, model, label: str, node):
    if not isinstance(value, int):
        return value
    instance = model.objects.filter(pk=value).first()
    if instance is None:
        raise BadRequest(f"There is no {label} with id {value}.", participant=node.participant)
    return instance


def node_transformations(*, experiment, node_id, transformation_type) -> list:
    """Transformations at the node, of `transformation_type`."""
    node = node_get(node_id=node_id)
    transformations = node.transformations(type=transformation_type)
    experiment.transformation_get_request(node=node, transformations=transformations)
    return transformations
