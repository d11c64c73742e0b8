"""Helpers for the real-time tests: an experiment that records its real-time hooks, participants."""

import itertools

from core.models import Participant
from experiments.experiment import Experiment

_numbers = itertools.count(1)


class GroupGame(Experiment):
    """An experiment with groups of two that writes down its real-time hooks."""

    channel = "game"
    group_size = 2

    def __init__(self, **attributes):
        super().__init__()
        self.calls = []
        for name, value in attributes.items():
            setattr(self, name, value)

    def participant_disconnected(self, participant):
        self.calls.append(("disconnected", participant.pk))

    def participant_reconnected(self, participant):
        self.calls.append(("reconnected", participant.pk))

    def bot_substitute_started(self, participant, bot, nodes):
        self.calls.append(("substitute", participant.pk, bot.pk, [node.pk for node in nodes]))

    def realtime_snapshot(self, participant):
        return {"round": 3}


def make_participant(recruiter_id="hotair") -> Participant:
    """A working participant, as `participant_create` leaves one."""
    number = next(_numbers)
    participant = Participant(
        worker_id=f"w{number}", assignment_id=f"a{number}", hit_id="h", mode="debug", recruiter_id=recruiter_id
    )
    participant.save()
    return participant
