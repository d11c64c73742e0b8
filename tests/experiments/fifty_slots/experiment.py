"""Nine networks with fifty places in all, whose hooks and recruiter leave a row per call.

For the many-process tests (`tests/test_many_processes.py`). Every call of the hooks
`bonus`, `recruit` and `assignment_reassigned`, and every approval and bonus asked of the
recruiter, is stored as a Notification whose `event_type` is `call:<name>`. One new row per
call (never a counter), so calls made at the same moment in different processes all count.
"""

from core.models import Network, Notification
from core.networks import Chain, Empty
from experiments.experiment import Experiment
from recruitment.base import HotAirRecruiter, register

#: The networks `setup()` creates, in order: (class, max_size). Fifty places in all.
NETWORK_SHAPES = [
    (Empty, 1),
    (Chain, 2),
    (Empty, 3),
    (Chain, 4),
    (Empty, 5),
    (Chain, 7),
    (Empty, 8),
    (Chain, 9),
    (Empty, 11),
]
#: The `event_type` prefix of the rows that record calls.
CALL_PREFIX = "call:"
BONUS = 0.5


def record_call(name: str, *, assignment_id: str = "", participant_id: int | None = None) -> None:
    """Store one Notification row for one call of `name`."""
    details = {} if participant_id is None else {"participant_id": participant_id}
    Notification(assignment_id=assignment_id, event_type=f"{CALL_PREFIX}{name}", details=details).save()


@register
class CallRecordingRecruiter(HotAirRecruiter):
    """The hotair recruiter, recording each approval and bonus it is asked for."""

    nickname = "call_recording"

    def approve_hit(self, assignment_id: str) -> bool:
        record_call("approve_hit", assignment_id=assignment_id)
        return super().approve_hit(assignment_id)

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        record_call("reward_bonus", assignment_id=participant.assignment_id, participant_id=participant.pk)
        super().reward_bonus(participant, amount, reason)


class FiftySlots(Experiment):
    """One experiment network per shape in NETWORK_SHAPES; hooks recorded as they are called."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = len(NETWORK_SHAPES)
        self.initial_recruitment_size = 0

    def create_network(self):
        """The next shape of NETWORK_SHAPES, by how many networks exist already."""
        network_class, max_size = NETWORK_SHAPES[Network.objects.count() % len(NETWORK_SHAPES)]
        return network_class(max_size=max_size)

    def bonus(self, participant) -> float:
        record_call("bonus", assignment_id=participant.assignment_id, participant_id=participant.pk)
        return BONUS

    def recruit(self) -> None:
        record_call("recruit")

    def assignment_reassigned(self, participant) -> None:
        record_call("assignment_reassigned", assignment_id=participant.assignment_id, participant_id=participant.pk)
        super().assignment_reassigned(participant)
