"""A bonus form of the dashboard submitted twice at once pays once.

Two threads post the same confirmed bonus form to the live test server (its requests are
served in threads of their own, each on its own PostgreSQL connection) while the fake
Prolific holds the paying call, so that both requests are in flight together. The fake's
records count the money that moved.
"""

import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection

from core.models import Participant
from recruitment.models import Payment

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "prolific_payouts"
BONUS_PAY = r"^/bulk-bonus-payments/\w+/pay/$"
COMPLETION_CODE = "DONE1234"
PASSWORD = "a long and unguessable passphrase"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prolific_participant(use_experiment, fake_prolific):
    """A participant whose finished Prolific submission can be paid a bonus (through the fake)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from recruitment.prolific.client import ProlificClient

    use_experiment(EXPERIMENT, prolific_api_token=fake_prolific.token, prolific_api_base_url=fake_prolific.base_url)
    client = ProlificClient(fake_prolific.token, fake_prolific.base_url)
    project = client.create_project(fake_prolific.workspace_id, "Dashboard bonus race")
    study = client.create_study(
        {
            "name": "Dashboard bonus race", "internal_name": "dashboard-bonus-race", "description": "A test study.",
            "external_study_url": "https://example.org/ad?PROLIFIC_PID={{%PROLIFIC_PID%}}",
            "prolific_id_option": "url_parameters", "completion_option": "url",
            "completion_codes": [{"code": COMPLETION_CODE, "code_type": "COMPLETED", "actor": "participant",
                                  "actions": [{"action": "MANUALLY_REVIEW"}]}],
            "estimated_completion_time": 5, "reward": 150, "total_available_places": 2, "project": project["id"],
        }
    )  # fmt: skip
    client.transition_study(study["id"], "PUBLISH")
    submission = fake_prolific.start_submission(study["id"], participant_id="5f0c8e1d2a3b4c5d6e7f8a9c")
    fake_prolific.complete_submission(submission["id"], COMPLETION_CODE)
    return Participant.objects.create(
        worker_id=submission["participant_id"], assignment_id=submission["id"], hit_id=study["id"],
        unique_id=f"{submission['participant_id']}:{submission['id']}", mode="debug",
        recruiter_id="prolific_payouts", status="approved", base_pay=1.5,
    )  # fmt: skip


def logged_in(server_url: str) -> requests.Session:
    get_user_model().objects.create_superuser("admin", "admin@example.test", PASSWORD)
    session = requests.Session()
    page = session.get(f"{server_url}/dashboard/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{server_url}/dashboard/login/",
        data={"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/dashboard/"},
        headers={"Referer": f"{server_url}/dashboard/login/"},
    )
    assert answer.ok and "sessionid" in session.cookies
    return session


def test_a_bonus_form_submitted_twice_at_once_pays_once(live_server, prolific_participant, fake_prolific):
    server_url = live_server.url
    participants = f"{server_url}/dashboard/core/participant/"
    session = logged_in(server_url)
    listing = session.get(participants)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', listing.text).group(1)
    selected = {"_selected_action": prolific_participant.pk, "action": "bonus_participants"}
    form = session.post(
        participants, data={**selected, "index": 0, "csrfmiddlewaretoken": token}, headers={"Referer": participants}
    )
    request_key = re.search(r'name="request_key" value="([^"]+)"', form.text).group(1)
    confirmed = {
        **selected, "confirmed": "yes", "amount": "0.75", "reason": "Helped the group", "request_key": request_key,
        "csrfmiddlewaretoken": token,
    }  # fmt: skip
    # Prolific takes a second over the paying call: the other submission arrives meanwhile.
    fake_prolific.delay("POST", BONUS_PAY, 1.0)
    start = threading.Barrier(2)
    pages = [None, None]

    def submit(index):
        # Each thread is a browser tab of the same experimenter (same cookies).
        tab = requests.Session()
        tab.cookies.update(session.cookies)
        start.wait()
        pages[index] = tab.post(participants, data=confirmed, headers={"Referer": participants}).text

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [(worker, amount) for _, worker, amount in fake_prolific.bonus_payments] == [
        (prolific_participant.worker_id, Decimal("0.75"))
    ]
    bonus = Payment.objects.get(kind="bonus")
    assert bonus.state == "sent" and bonus.amount == Decimal("0.75")
    subject = f"The bonus of 0.75 GBP for participant {prolific_participant.pk}"
    paid = [page for page in pages if f"{subject} was paid (ledger row {bonus.pk})." in page]
    told = [page for page in pages if f"{subject} is being paid by another request" in page
            or f"{subject} was paid before" in page]  # fmt: skip
    assert len(paid) == 1 and len(told) == 1
