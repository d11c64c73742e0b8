"""Participants whose submissions take a while to settle, each settlement call leaving a row.

For the worker-crash test (`tests/test_worker_crash.py`): the recruiter's approvals are slow
enough that a worker killed under load is sure to be in the middle of some, and every
approval, bonus and recruitment is stored as a Notification `call:<name>`, in the same
transaction as the payout's ledger row, so one row means one payout.
"""

import time

from core.models import Notification
from core.networks import Empty
from experiments.experiment import Experiment
from recruitment.base import HotAirRecruiter, register

CALL_PREFIX = "call:"
BONUS = 0.5
APPROVAL_SECONDS = 0.2


def record_call(name: str, assignment_id: str = "") -> None:
    """Store one row for one call of `name`."""
    Notification(assignment_id=assignment_id, event_type=f"{CALL_PREFIX}{name}").save()


@register
class SlowRecordingRecruiter(HotAirRecruiter):
    """The hotair recruiter, slow to approve, recording each approval and bonus."""

    nickname = "slow_recording"

    def approve_hit(self, assignment_id: str) -> bool:
        time.sleep(APPROVAL_SECONDS)
        record_call("approve_hit", assignment_id)
        return True

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        record_call("reward_bonus", participant.assignment_id)


class SlowSettlement(Experiment):
    """One empty network with room for everyone; a bonus for each; recruitment recorded."""

    def __init__(self, session=None):
        super().__init__(session)
        self.initial_recruitment_size = 0

    def create_network(self):
        return Empty(max_size=1000)

    def bonus(self, participant) -> float:
        return BONUS

    def recruit(self) -> None:
        record_call("recruit")
