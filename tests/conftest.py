"""Fixtures of the cross-app tests."""

import shutil
import tempfile
from pathlib import Path

import pytest

#: The completion code of the studies `finished_prolific_participant` makes.
PROLIFIC_COMPLETION_CODE = "DONE1234"


@pytest.fixture
def run_tmp():
    """A private TMPDIR for a run, to see what it leaves behind. Short: Chromium fails to start
    when the path of the socket it makes there passes the 107 characters Linux allows."""
    path = Path(tempfile.mkdtemp(prefix="run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def finished_prolific_participant(fake_prolific):
    """`make(name, **fields)`: a participant whose Prolific submission (in a new published study
    named `name`, on the fake Prolific) is finished and awaits review, recruited by the
    `prolific_payouts` test experiment's recruiter; `fields` override the participant's."""
    from core.models import Participant
    from recruitment.prolific.client import ProlificClient

    client = ProlificClient(fake_prolific.token, fake_prolific.base_url)
    numbers = iter(range(1, 1000))

    def make(name: str, **fields) -> Participant:
        project = client.create_project(fake_prolific.workspace_id, name)
        slug = name.lower().replace(" ", "-")
        study = client.create_study(
            {
                "name": name, "internal_name": slug, "description": "A test study.",
                "external_study_url": "https://example.org/ad?PROLIFIC_PID={{%PROLIFIC_PID%}}",
                "prolific_id_option": "url_parameters", "completion_option": "url",
                "completion_codes": [{"code": PROLIFIC_COMPLETION_CODE, "code_type": "COMPLETED",
                                      "actor": "participant", "actions": [{"action": "MANUALLY_REVIEW"}]}],
                "estimated_completion_time": 5, "reward": 150, "total_available_places": 2, "project": project["id"],
            }
        )  # fmt: skip
        client.transition_study(study["id"], "PUBLISH")
        prolific_id = f"5f0c8e1d2a3b4c5d6e7f{next(numbers):04x}"
        submission = fake_prolific.start_submission(study["id"], participant_id=prolific_id)
        fake_prolific.complete_submission(submission["id"], PROLIFIC_COMPLETION_CODE)
        values = {
            "worker_id": submission["participant_id"], "assignment_id": submission["id"], "hit_id": study["id"],
            "unique_id": f"{submission['participant_id']}:{submission['id']}", "mode": "debug",
            "recruiter_id": "prolific_payouts", "status": "approved", "base_pay": 1.5,
        }  # fmt: skip
        return Participant.objects.create(**{**values, **fields})

    return make
