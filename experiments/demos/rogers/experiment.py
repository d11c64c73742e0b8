"""Rogers' paradox: does social learning make a population better off?

Participants judge whether a display holds more blue or yellow dots. Each takes part once in
every network, as one agent of a generation. An agent inherits a learning gene from an agent
of the previous generation, chosen in proportion to fitness (the first generation's comes
from the source, and is asocial). Asocial learners see the dots; social learners only see
what an agent of the previous generation answered. Right answers raise fitness; learning
alone costs some. Genes mutate now and then, so the population can evolve either way.
"""

import random

from core.infos import Meme
from core.models import Participant
from core.networks import DiscreteGenerational
from experiments.config import get_config
from experiments.experiment import Experiment

from . import models


def _shares(text: str) -> None:
    shares = [float(part) for part in text.split(",")]
    if not all(0 <= share <= 1 for share in shares):
        raise ValueError("each difficulty must be a share of dots between 0 and 1")


def extra_parameters():
    """Register this experiment's own configuration keys."""
    config = get_config()
    for name, kind in {
        "experiment_repeats": int,
        "practice_repeats": int,
        "catch_repeats": int,
        "practice_difficulty": float,
        "catch_difficulty": float,
        "min_acceptable_performance": float,
        "generations": int,
        "generation_size": int,
        "bonus_payment": float,
    }.items():
        config.register(name, kind, [], False)
    config.register("difficulties", str, [], False, validators=[_shares])


class RogersExperiment(Experiment):
    """Practice, experiment and catch networks, each a DiscreteGenerational population."""

    def __init__(self, session=None):
        super().__init__(session)
        self.models = models
        self.known_classes["LearningGene"] = models.LearningGene
        if session:
            self.setup()

    def configure(self):
        """Read the design from the configuration."""
        super().configure()
        config = self.config
        self.experiment_repeats = config.get("experiment_repeats", 2)
        self.practice_repeats = config.get("practice_repeats", 1)
        self.catch_repeats = config.get("catch_repeats", 0)
        self.practice_difficulty = config.get("practice_difficulty", 0.8)
        self.catch_difficulty = config.get("catch_difficulty", 0.8)
        shares = [float(share) for share in config.get("difficulties", "0.525, 0.5625, 0.65").split(",")]
        self.difficulties = shares * self.experiment_repeats
        self.min_acceptable_performance = config.get("min_acceptable_performance", 0.8)
        self.generations = config.get("generations", 2)
        self.generation_size = config.get("generation_size", 2)
        self.bonus_payment = config.get("bonus_payment", 1.0)
        self.initial_recruitment_size = self.generation_size

    @property
    def public_properties(self):
        """What the page needs to number the trials."""
        return {"practice_repeats": self.practice_repeats, "experiment_repeats": self.experiment_repeats}

    def setup(self):
        """Create the networks once, each with its gene source and its dots."""
        if self.networks():
            return
        super().setup()
        experiment_networks = self.networks(role="experiment")
        for network in random.sample(experiment_networks, self.catch_repeats):
            network.role = "catch"
            network.save()
        for network in self.networks():
            network.max_size += 1  # room for the environment
            network.save()
            source = models.RogersSource(network=network)
            source.save()
            source.create_information()
            environment = models.RogersEnvironment(network=network)
            environment.proportion = self.difficulty_of(network, experiment_networks)
            environment.save()
            environment.create_state()

    def difficulty_of(self, network, experiment_networks) -> float:
        """The share of the majority colour in `network`'s dots."""
        if network.role == "practice":
            return self.practice_difficulty
        if network.role == "catch":
            return self.catch_difficulty
        return self.difficulties[experiment_networks.index(network) % len(self.difficulties)]

    def create_network(self):
        """A population of `generations` generations of `generation_size`, after a source."""
        return DiscreteGenerational(
            generations=self.generations, generation_size=self.generation_size, initial_source=True
        )

    def create_node(self, participant, network):
        """Each trial is a RogersAgent."""
        node = models.RogersAgent(network=network, participant=participant)
        node.save()
        return node

    def add_node_to_network(self, node, network):
        """Place the agent in its generation (which gives it a gene), then let it learn."""
        network.add_node(node)
        node.receive()
        environment = network.nodes(type=models.RogersEnvironment)[0]
        # Under the network's lock, so the environment flips once per period whoever joins first.
        environment.keep_up_with(node.generation)
        environment.connect(whom=node)
        if node.learning_strategy == "social":
            previous = [agent for agent in network.nodes(type=models.RogersAgent)
                        if agent.generation == node.generation - 1]  # fmt: skip
            parent = random.choice(previous)
            if not parent.is_connected(node):
                parent.connect(whom=node)
            parent.transmit(what=Meme, to_whom=node)
        else:
            environment.transmit(to_whom=node)
        node.receive()

    def info_post_request(self, node, info):
        """Score the agent once it has answered."""
        if isinstance(info, Meme) and isinstance(node, models.RogersAgent):
            node.calculate_fitness()

    def recruit(self):
        """A whole new generation once the current one has finished; then stop."""
        approved = Participant.objects.filter(status="approved").count()
        if approved >= self.generations * self.generation_size:
            self.recruiter.close_recruitment()
        elif approved % self.generation_size == 0:
            self.recruiter.recruit(n=self.generation_size)

    def bonus(self, participant):
        """Up to `bonus_payment`, for doing better than chance in the experiment networks."""
        scores = [node.score for node in participant.nodes() if node.network.role == "experiment"]
        if not scores:
            return 0
        average = sum(scores) / len(scores)
        return round(max(0.0, (average - 0.5) * 2) * self.bonus_payment, 2)

    def attention_check(self, participant):
        """Catch trials (easy ones) must mostly be right."""
        scores = [node.score for node in participant.nodes() if node.network.role == "catch"]
        if not scores:
            return True
        return sum(scores) / len(scores) >= self.min_acceptable_performance

    def data_check(self, participant):
        """One answered trial in each network, no more."""
        nodes = participant.nodes()
        return (
            len(nodes) == self.experiment_repeats + self.practice_repeats
            and len({node.network_id for node in nodes}) == len(nodes)
            and all(node.fitness is not None and node.score is not None for node in nodes)
        )
