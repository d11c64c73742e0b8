"""Participants paid through a Prolific API (the fake one, in the tests), as Prolific pays.

For the payment races (`tests/test_payment_races.py`): the recruiter approves a submission
and pays a bonus in Prolific's two steps (set up, then pay) against `prolific_api_base_url`,
so the fake's records say how many times money moved. Each recruitment, and each settling
task that runs to its end, is stored as a Notification `call:<name>` the test can count.
"""

from celery.signals import task_postrun

from core.models import Notification
from core.networks import Empty
from experiments.experiment import Experiment
from recruitment.base import HotAirRecruiter, register
from recruitment.prolific.client import ProlificClient

CALL_PREFIX = "call:"
SETTLE_TASK = "recruitment.tasks.settle_submission"


def record_call(name: str) -> None:
    """Store one row for one call of `name`."""
    Notification(event_type=f"{CALL_PREFIX}{name}").save()


@task_postrun.connect
def _settled(sender=None, **_):
    if sender is not None and sender.name == SETTLE_TASK:
        record_call("settled")


@register
class ProlificPayoutsRecruiter(HotAirRecruiter):
    """Pays through a Prolific API: approval for the base payment, a two-step bonus."""

    nickname = "prolific_payouts"
    pays_outside = True
    currency = "GBP"

    def client(self) -> ProlificClient:
        """A client for the configured API, which tries each call once (no retries to count)."""
        return ProlificClient(
            self.config.get("prolific_api_token"), self.config.get("prolific_api_base_url"), timeout=30, attempts=1
        )

    def send_payment(self, payment, participant, steps):
        client = self.client()
        if payment.kind == "base":
            steps.paying()
            client.transition_submission(participant.assignment_id, "APPROVE")
            return None
        if not payment.setup_id:
            setup = client.bonus_setup(participant.hit_id, f"{participant.worker_id},{payment.amount}")
            steps.prepared(setup["id"])
        steps.paying()
        client.bonus_pay(payment.setup_id)
        return payment.setup_id

    def payment_outcome(self, payment):
        # Prolific's API does not say whether a bonus set-up was paid.
        return None

    def recruit(self, n: int = 1) -> list:
        record_call("recruit")
        return []


class ProlificPayouts(Experiment):
    """One empty network; recruitment after a submission is recorded, not made."""

    def __init__(self, session=None):
        super().__init__(session)
        self.initial_recruitment_size = 0

    def create_network(self):
        return Empty(max_size=1000)
