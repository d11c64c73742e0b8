"""Node types that ship with the platform: agents, sources and environments."""

import random

from core.infos import State
from core.models import Info, Node
from core.query import Float, Integer, cast, hybrid_property


class Agent(Node):
    """A node with a numerical fitness (stored in `property1`)."""

    polymorphic_identity = "agent"

    @hybrid_property
    def fitness(self):
        """The agent's fitness as a float, or None if unset."""
        return None if self.property1 is None else float(self.property1)

    @fitness.setter
    def fitness(self, value):
        self.property1 = None if value is None else repr(value)

    @fitness.expression
    def fitness(cls):
        # Queryable as Dallinger's: `Agent.query.filter(Agent.fitness > 0.5)`.
        return cast(cls.property1, Float)

    @hybrid_property
    def generation(self):
        """The agent's generation (used by DiscreteGenerational), stored in `property2`."""
        return None if self.property2 is None else int(self.property2)

    @generation.setter
    def generation(self, value):
        self.property2 = None if value is None else repr(int(value))

    @generation.expression
    def generation(cls):
        return cast(cls.property2, Integer)


class ReplicatorAgent(Agent):
    """An agent that copies every info it receives."""

    polymorphic_identity = "replicator_agent"

    def update(self, infos) -> None:
        """Replicate each received info."""
        super().update(infos)
        for info_in in infos:
            self.replicate(info_in=info_in)


class Source(Node):
    """A node that only sends: asked to transmit, it creates a new info from `_contents()`.

    Nothing can be connected to a Source, so it never receives.
    """

    polymorphic_identity = "generic_source"

    def _what(self):
        return self.create_information()

    def create_information(self):
        """Create and save a new info of `_info_type()` holding `_contents()`."""
        info = self._info_type()(origin=self, contents=self._contents())
        info.save()
        return info

    def _info_type(self):
        """The class of the infos this source creates."""
        return Info

    def _contents(self):
        """The contents of a new info; every concrete source defines it."""
        raise NotImplementedError(f"{type(self).__name__}._contents() needs to be defined.")

    def receive(self, what=None):
        """Sources cannot receive."""
        raise Exception("Sources cannot receive transmissions.")


class RandomBinaryStringSource(Source):
    """A source whose infos hold a random two-digit binary string."""

    polymorphic_identity = "random_binary_string_source"

    def _contents(self):
        return "".join(random.choice("01") for _ in range(2))


class Environment(Node):
    """A node with a state: its most recent State info."""

    polymorphic_identity = "environment"

    def state(self, time=None):
        """The latest State created here (before `time`, if given), or None."""
        states = self.infos(type=State)
        if time is not None:
            states = [state for state in states if state.creation_time < time]
        return max(states, key=lambda state: (state.creation_time, state.pk), default=None)

    def _what(self):
        return self.state()
