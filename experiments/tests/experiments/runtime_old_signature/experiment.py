"""An experiment overriding create_participant with Dallinger's older signature."""

from core.models import Participant
from experiments.experiment import Experiment


class OldSignature(Experiment):
    """Builds participants itself, without knowing about entry information."""

    def create_participant(self, worker_id, hit_id, assignment_id, mode, recruiter_name=None, fingerprint_hash=None):
        participant = Participant(
            recruiter_id=recruiter_name or "hotair",
            worker_id=worker_id,
            assignment_id=assignment_id,
            hit_id=hit_id,
            mode=mode,
            fingerprint_hash=fingerprint_hash,
        )
        participant.details = {"made_by": "old signature"}
        participant.save()
        return participant
