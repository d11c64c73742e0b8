"""Markov chain Monte Carlo with people (MCMCP).

Participants are shown two stick-figure animals, the chain's current one and a random
perturbation of it, and pick the one that is more like a dog. The pick becomes the chain's
next state, so the chain wanders towards the animals people take for dogs: a sample from
their idea of the category.
"""

import random

from core.networks import Chain
from experiments.binding import Caller
from experiments.config import get_config
from experiments.errors import BadRequest
from experiments.experiment import Experiment, experiment_route

from . import models


def extra_parameters():
    """Register this experiment's own configuration keys."""
    config = get_config()
    config.register("num_participants", int, [], False)
    config.register("trials_per_participant", int, [], False)


class MCMCP(Experiment):
    """One chain with room for every trial of every participant, after a random animal."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.experiment_repeats = 1
        self.initial_recruitment_size = 1
        self.known_classes["AnimalInfo"] = models.AnimalInfo
        if session:
            self.setup()

    def configure(self):
        """Read the number of participants and of trials each from the configuration."""
        super().configure()
        self.num_participants = self.config.get("num_participants", 2)
        self.trials_per_participant = self.config.get("trials_per_participant", 10)

    def setup(self):
        """Create the chain once, with the animal source at its head."""
        if not self.networks():
            super().setup()
            for network in self.networks():
                models.AnimalSource(network=network).save()

    def create_network(self):
        """A chain: the source, then one node per trial."""
        return Chain(max_size=1 + self.num_participants * self.trials_per_participant)

    def get_network_for_participant(self, participant):
        """A chain with room, while the participant has trials left (one node per trial)."""
        if len(participant.nodes(failed="all")) >= self.trials_per_participant:
            return None
        open_networks = [network for network in self.networks(full=False) if not network.failed]
        return random.choice(open_networks) if open_networks else None

    def create_node(self, participant, network):
        """Each trial is an MCMCPAgent."""
        node = models.MCMCPAgent(network=network, participant=participant)
        node.save()
        return node

    def add_node_to_network(self, node, network):
        """Attach the node to the chain; it receives the chain's state and proposes a change."""
        network.add_node(node)
        parent = node.neighbors(direction="from")[0]
        parent.transmit()
        node.receive()

    def data_check(self, participant):
        """Every trial of the participant ended with exactly one of its two animals picked."""
        nodes = participant.nodes()
        animals = [info for node in nodes for info in node.infos(type=models.AnimalInfo)]
        return bool(nodes) and len(animals) == 2 * len(nodes) == 2 * sum(animal.chosen for animal in animals)

    def recruit(self):
        """One more participant while the chain has room; then stop recruiting."""
        if self.networks(full=False):
            self.recruiter.recruit(n=1)
        else:
            self.recruiter.close_recruitment()

    @experiment_route("/choice/<int:node_id>/<int:choice>", methods=["POST"])
    def choice(self, request, node_id, choice):
        """Record the pick of a trial: 0 the proposal, 1 the current animal (as Dallinger's route)."""
        node = models.MCMCPAgent.objects.filter(pk=node_id, failed=False).first()
        if node is None:
            raise BadRequest(f"There is no trial {node_id}.")
        Caller.of_request(request, self.config).require_for_node(node)
        try:
            picked = node.choose(choice)
        except ValueError as error:
            raise BadRequest(str(error), participant=node.participant) from error
        return {"info": picked.__json__()}
