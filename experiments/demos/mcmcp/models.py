"""Animals as vectors of body measurements, and the agents that choose between two of them."""

import json
import random

from django.db import transaction

from core.models import Info, Node, Transformation
from core.nodes import Agent, Source

#: Each measurement of a stick-figure animal and the range it may take.
RANGES = {
    "foot_spread": (0.0, 1.0),
    "body_height": (0.1, 1.5),
    "body_tilt": (-15.0, 45.0),
    "tail_length": (0.05, 1.2),
    "tail_angle": (-45.0, 190.0),
    "neck_length": (0.0, 2.5),
    "neck_angle": (90.0, 180.0),
    "head_length": (0.05, 0.75),
    "head_angle": (5.0, 80.0),
}
#: The spread of a proposal around the current animal, as a share of each range.
PROPOSAL_SPREAD = 0.1


def random_animal() -> dict:
    """An animal with each measurement drawn uniformly from its range."""
    return {name: random.uniform(low, high) for name, (low, high) in RANGES.items()}


def perturbed(animal: dict) -> dict:
    """A proposal near `animal`: each measurement moved by Gaussian noise, kept in its range."""
    moved = {}
    for name, (low, high) in RANGES.items():
        value = animal[name] + random.gauss(0, PROPOSAL_SPREAD * (high - low))
        moved[name] = min(max(value, low), high)
    return moved


class AnimalInfo(Info):
    """An animal (JSON measurements); `chosen` (in `property1`) says whether it was picked."""

    polymorphic_identity = "vector_info"

    @property
    def chosen(self) -> bool:
        """Whether the participant picked this animal."""
        return self.property1 == "True"

    @chosen.setter
    def chosen(self, value: bool) -> None:
        self.property1 = repr(bool(value))

    @property
    def animal(self) -> dict:
        """The measurements."""
        return json.loads(self.contents)


class Perturbation(Transformation):
    """`info_out` is a proposal made by perturbing `info_in`."""

    polymorphic_identity = "perturbation"


class AnimalSource(Source):
    """Starts the chain with a random animal."""

    polymorphic_identity = "animal_source"

    def _info_type(self):
        return AnimalInfo

    def _contents(self):
        return json.dumps(random_animal())


class MCMCPAgent(Agent):
    """One trial: keeps the animal it received, proposes a perturbed one; the participant picks."""

    polymorphic_identity = "MCMCP_agent"

    def update(self, infos):
        """Copy the received animal here as the current state, and make a proposal from it."""
        super().update(infos)
        for received in infos:
            if isinstance(received, AnimalInfo):
                current = self.replicate(received)
                proposal = AnimalInfo(origin=self, contents=json.dumps(perturbed(current.animal)))
                proposal.save()
                Perturbation(info_in=current, info_out=proposal).save()

    def choose(self, choice: int) -> AnimalInfo:
        """Record the participant's pick: 0 the proposal (the newer animal), 1 the current one.

        ValueError for any other choice, or when this trial was already decided.
        """
        if choice not in (0, 1):
            raise ValueError("The choice must be 0 (the proposal) or 1 (the current animal).")
        with transaction.atomic():
            # Locked so that two requests for the same trial cannot both pick.
            Node.objects.select_for_update().filter(pk=self.pk).exists()
            return self._choose(choice)

    def _choose(self, choice: int) -> AnimalInfo:
        animals = sorted(self.infos(type=AnimalInfo), key=lambda info: info.pk)
        if len(animals) != 2:
            raise ValueError(f"Node {self.pk} has no pair of animals to choose from.")
        if any(animal.chosen for animal in animals):
            raise ValueError(f"Node {self.pk} has already made its choice.")
        picked = animals[1] if choice == 0 else animals[0]
        picked.chosen = True
        picked.save()
        return picked

    def _what(self):
        """The animal passed on: the one picked; while no pick is made yet, the current one (a
        participant who joins the chain before the previous trial is decided starts from the
        state the chain was in, as a rejected proposal would leave it)."""
        animals = sorted(self.infos(type=AnimalInfo), key=lambda info: info.pk)
        picked = [animal for animal in animals if animal.chosen]
        return picked[0] if picked else animals[0]
