"""Rogers' paradox: agents with a learning gene, their source and their changing environment."""

import random

from core.infos import Gene, Meme, State
from core.models import Transformation
from core.nodes import Agent, Environment, Source

#: The benefit of a right answer, the cost of learning alone, and the exponent of fitness.
BENEFIT, ASOCIAL_COST, EXPONENT = 1.0, 0.3, 2
#: The chance that an inherited learning gene flips (experiment networks, after generation 0).
MUTATION_RATE = 0.10
#: The environment flips its majority colour once every this many generations.
ENVIRONMENT_PERIOD = 10


def fitness(score: int, asocial: bool) -> float:
    """An agent's fitness: a right answer pays, learning alone costs; never zero."""
    baseline = ASOCIAL_COST + 0.0001
    return (baseline + score * BENEFIT - asocial * ASOCIAL_COST) ** EXPONENT


class LearningGene(Gene):
    """How an agent learns: "social" (copies an agent of the previous generation) or "asocial"."""

    polymorphic_identity = "learning_gene"

    def _mutated_contents(self):
        return "asocial" if self.contents == "social" else "social"


class RogersSource(Source):
    """Gives the first generation its learning gene: asocial."""

    polymorphic_identity = "rogers_source"

    def _info_type(self):
        return LearningGene

    def _contents(self):
        return "asocial"

    def _what(self):
        genes = self.infos(type=LearningGene)
        return genes[0] if genes else self.create_information()


class RogersEnvironment(Environment):
    """The dots: its State is the share of blue ones; `proportion` (in `property1`) is how far
    the majority colour's share is from an even split, i.e. how easy the network's task is."""

    polymorphic_identity = "rogers_environment"

    @property
    def proportion(self) -> float:
        """The share of the majority colour."""
        return float(self.property1)

    @proportion.setter
    def proportion(self, value: float) -> None:
        self.property1 = repr(float(value))

    def create_state(self) -> State:
        """The first state: blue or yellow in the majority, at random."""
        share = self.proportion if random.random() < 0.5 else 1 - self.proportion
        state = State(origin=self, contents=repr(share))
        state.save()
        return state

    def step(self) -> State:
        """Swap the majority colour, recording the new state as a transformation of the old."""
        current = self.state()
        new = State(origin=self, contents=repr(1 - float(current.contents)))
        new.save()
        Transformation(info_in=current, info_out=new).save()
        return new

    def keep_up_with(self, generation: int) -> None:
        """Step until the environment has flipped once per ENVIRONMENT_PERIOD generations passed."""
        while len(self.infos(type=State)) < 1 + generation // ENVIRONMENT_PERIOD:
            self.step()


class RogersAgent(Agent):
    """A participant's trial: inherits a learning gene, learns, answers "blue" or "yellow"."""

    polymorphic_identity = "rogers_agent"

    @property
    def score(self):
        """1 for a right answer, 0 for a wrong one, None before answering (`property3`)."""
        return None if self.property3 is None else int(self.property3)

    @score.setter
    def score(self, value) -> None:
        self.property3 = None if value is None else repr(int(value))

    @property
    def proportion(self):
        """The share of blue dots when the agent answered (`property4`)."""
        return None if self.property4 is None else float(self.property4)

    @proportion.setter
    def proportion(self, value) -> None:
        self.property4 = None if value is None else repr(float(value))

    @property
    def learning_strategy(self) -> str:
        """ "social" or "asocial", from the agent's gene."""
        return self.infos(type=LearningGene)[0].contents

    def update(self, infos):
        """Inherit a received gene: copied, or, by chance in the experiment proper, flipped."""
        super().update(infos)
        for gene in (info for info in infos if isinstance(info, LearningGene)):
            may_mutate = self.network.role == "experiment" and self.generation and self.generation > 0
            if may_mutate and random.random() < MUTATION_RATE:
                self.mutate(gene)
            else:
                self.replicate(gene)

    def _what(self):
        return self.infos(type=LearningGene)[0]

    def calculate_fitness(self) -> None:
        """Score the agent's first answer against the environment's state now, and set its fitness."""
        if self.fitness is not None:
            return
        answers = self.infos(type=Meme)
        environment = self.network.nodes(type=RogersEnvironment)[0]
        share_of_blue = float(environment.state().contents)
        self.proportion = share_of_blue
        self.score = int((answers[0].contents == "blue") == (share_of_blue > 0.5))
        self.fitness = fitness(self.score, self.learning_strategy == "asocial")
        self.save()
