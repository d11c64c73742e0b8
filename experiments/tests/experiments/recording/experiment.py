"""A test experiment that writes down, in the database, every hook the server calls.

Each call is a Notification row with `event_type` "hook" and the hook's name and the ids
it was given in `details`, so tests can check which hooks ran, in which order, with what.
"""

import time

from core.models import Info, Node, Notification, Transformation
from core.networks import Chain
from experiments.config import get_config
from experiments.experiment import Experiment

HOOK_EVENT = "hook"


def extra_parameters():
    """The knobs the tests turn."""
    config = get_config()
    config.register("waiting_room_size", int, [], False)
    config.register("chain_count", int, [], False)
    config.register("chain_length", int, [], False)
    config.register("arrival_delay", float, [], False)


def record(hook, **details):
    """Write down that `hook` was called."""
    Notification(assignment_id="", event_type=HOOK_EVENT, details={"hook": hook, **details}).save()


def ids(objects):
    """The ids of one object or of a list of them."""
    if isinstance(objects, (list, tuple)):
        return [item.pk for item in objects]
    return objects.pk


class Guess(Info):
    """An info type listed in `known_classes`."""

    polymorphic_identity = "recording_guess"


class Unlisted(Info):
    """An info type deliberately left out of `known_classes`."""

    polymorphic_identity = "recording_unlisted"


class Player(Node):
    """A node type listed in `known_classes`."""

    polymorphic_identity = "recording_player"


class Rewrite(Transformation):
    """A transformation type listed in `known_classes`."""

    polymorphic_identity = "recording_rewrite"


class RecordingExperiment(Experiment):
    """Chains of Players; every hook is recorded, then does what the base class does."""

    public_properties = {"condition": "control", "rounds": 3, "labels": ["a", "b"]}

    def __init__(self, session=None):
        super().__init__(session)
        self.known_classes = {**self.known_classes, "Guess": Guess, "Player": Player, "Rewrite": Rewrite}
        if session:
            self.setup()

    def configure(self):
        super().configure()
        self.quorum = self.config.get("waiting_room_size", 0)
        self.experiment_repeats = self.config.get("chain_count", 1)

    def create_network(self):
        return Chain(max_size=self.config.get("chain_length", 3))

    # Node creation ----------------------------------------------------------------------

    def get_network_for_participant(self, participant):
        network = super().get_network_for_participant(participant)
        record("get_network_for_participant", participant=participant.pk, network=network and network.pk)
        return network

    def create_node(self, participant, network):
        node = Player(network=network, participant=participant)
        node.save()
        record("create_node", participant=participant.pk, network=network.pk, node=node.pk)
        return node

    def add_node_to_network(self, node, network):
        record("add_node_to_network", node=node.pk, network=network.pk, property1=node.property1)
        super().add_node_to_network(node, network)

    def node_post_request(self, participant, node):
        record("node_post_request", participant=participant.pk, node=node.pk)

    # Request hooks ----------------------------------------------------------------------

    def node_get_request(self, node=None, nodes=None):
        record("node_get_request", node=node.pk, nodes=ids(nodes))

    def info_get_request(self, node, infos):
        record("info_get_request", node=node.pk, infos=ids(infos))

    def info_post_request(self, node, info):
        record("info_post_request", node=node.pk, info=info.pk)

    def vector_get_request(self, node, vectors):
        record("vector_get_request", node=node.pk, vectors=ids(vectors))

    def vector_post_request(self, node, vectors):
        record("vector_post_request", node=node.pk, vectors=ids(vectors))

    def transmission_get_request(self, node, transmissions):
        record("transmission_get_request", node=node.pk, transmissions=ids(transmissions))

    def transmission_post_request(self, node, transmissions):
        record("transmission_post_request", node=node.pk, transmissions=ids(transmissions))

    def transformation_get_request(self, node, transformations):
        record("transformation_get_request", node=node.pk, transformations=ids(transformations))

    def transformation_post_request(self, node, transformation):
        record("transformation_post_request", node=node.pk, transformation=transformation.pk)

    # Participants' lifecycle ------------------------------------------------------------

    def create_participant(self, *args, **kwargs):
        """Slow, when asked, so that concurrent arrivals overlap in the tests that race them."""
        participant = super().create_participant(*args, **kwargs)
        time.sleep(self.config.get("arrival_delay", 0.0))
        return participant

    def assignment_reassigned(self, participant):
        record("assignment_reassigned", participant=participant.pk)
        super().assignment_reassigned(participant)

    def assignment_abandoned(self, participant):
        record("assignment_abandoned", participant=participant.pk)
        super().assignment_abandoned(participant)

    def assignment_returned(self, participant):
        record("assignment_returned", participant=participant.pk)
        super().assignment_returned(participant)

    def data_check(self, participant):
        """Bad data: an answer "garbled" to any question."""
        record("data_check", participant=participant.pk)
        return not any(question.response == "garbled" for question in participant.questions())

    def data_check_failed(self, participant):
        record("data_check_failed", participant=participant.pk)
        super().data_check_failed(participant)

    def attention_check(self, participant):
        """Attentive: no answer other than "blue" to the question "attention"."""
        record("attention_check", participant=participant.pk)
        return all(q.response == "blue" for q in participant.questions() if q.question == "attention")

    def attention_check_failed(self, participant):
        record("attention_check_failed", participant=participant.pk)
        super().attention_check_failed(participant)

    def bonus(self, participant):
        """Ten cents per live info the participant made."""
        record("bonus", participant=participant.pk)
        return round(0.10 * len(participant.infos()), 2)

    def submission_successful(self, participant):
        record("submission_successful", participant=participant.pk)

    def recruit(self):
        record("recruit")
        super().recruit()
