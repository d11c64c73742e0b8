"""A paid Prolific study end to end: `manage.py runexperiment` with `recruiter = prolific`
against the fake Prolific server, on PostgreSQL and Redis with a real Celery worker.

The run creates and publishes the study; simulated people start it on Prolific, take part
through the study's link, press the exit page's button and come back to Prolific with the
completion code; Prolific's signed webhooks tell the server, which checks, approves and pays.
Every delivery is then sent again. The books must balance: every participant approved once,
every bonus paid once, and the ledger agreeing with what Prolific recorded.
"""

import time
from decimal import Decimal

import pytest

from bots.base import HighPerformanceBotBase
from core.models import Participant, ParticipantStatus
from recruitment.models import Payment, ProlificStudy
from recruitment.prolific.subscriptions import subscriptions_setup
from tests.fakes.prolific import FakeProlific
from tests.polling import poll_until
from tests.runs import (
    BASE_DIR,
    descendants,
    free_port,
    interrupt,
    services_environment,
    start_run,
    still_alive,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EXPERIMENT = BASE_DIR / "tests" / "experiments" / "prolific_study"
PEOPLE = 4
WAIT_SECONDS = 90


class Person(HighPerformanceBotBase):
    """Someone who came from Prolific: presses the button, then the exit page's button."""

    def sign_up(self) -> bool:
        """As the ad page's script does: the participant is Prolific's (the link says so)."""
        body = self.request_json(
            "POST",
            f"/participant/{self.worker_id}/{self.hit_id}/{self.assignment_id}/{self.mode}",
            params={"fingerprint_hash": self.worker_id, "recruiter": "prolific"},
        )
        self.on_signup(body)
        return True

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return False
        self.request_json("POST", f"/info/{node['id']}", data={"contents": "pressed", "info_type": "Info"})
        return True

    def press_submit(self) -> None:
        """What the exit page's script does before sending the browser back to Prolific."""
        answer = self.request(
            "POST",
            "/prolific-submission-listener",
            data={"assignmentId": self.assignment_id, "participantId": self.participant_id},
        )
        assert answer.status_code == 200, answer.text


class Config(dict):
    def get(self, key, default=None):
        return super().get(key, default)


@pytest.fixture
def fake():
    with FakeProlific() as server:
        yield server


def test_a_prolific_study_recruits_approves_and_pays_everyone_exactly_once(fake, tmp_path, run_tmp):
    # Given a workspace whose webhooks reach the server the experimenter is about to start
    port = free_port()
    access = {"prolific_api_token": fake.token, "prolific_api_base_url": fake.base_url}
    secret = subscriptions_setup(
        Config(access, prolific_workspace="My workspace"), f"http://127.0.0.1:{port}/prolific-webhook"
    )
    env = services_environment(tmp_path, run_tmp, redis_database=4, prolific_webhook_secret=secret, **access)

    # When the experimenter runs the study, live, recruiting through Prolific
    process, output = start_run([str(EXPERIMENT), "--no-browser", "--port", str(port)], env)
    children: set = set()
    try:
        output.wait_for(r"^Press Ctrl-C to stop\.")
        children = descendants(process.pid)
        study = ProlificStudy.objects.get()
        assert fake.study(study.study_id)["status"] == "ACTIVE", output.text()
        codes = {code["code_type"]: code["code"] for code in fake.study(study.study_id)["completion_codes"]}

        # and people take part as Prolific sends them: the study's link, the task, the exit button,
        # then back to Prolific with the completion code
        people = []
        for _ in range(PEOPLE):
            submission = fake.start_submission(study.study_id)
            link = (
                study.external_study_url.replace("{{%PROLIFIC_PID%}}", submission["participant_id"])
                .replace("{{%STUDY_ID%}}", study.study_id)
                .replace("{{%SESSION_ID%}}", submission["id"])
            )
            person = Person(
                f"{link}&mode=live",
                worker_id=submission["participant_id"],
                assignment_id=submission["id"],
                hit_id=study.study_id,
            )
            assert person.request("GET", link).status_code == 200
            assert person.run_experiment(), output.text()
            person.press_submit()
            fake.complete_submission(submission["id"], codes["DEFAULT"])
            people.append(person)

        poll_until(
            lambda: len(set(fake.approvals)) == PEOPLE, "every submission is approved on Prolific", timeout=WAIT_SECONDS
        )
        poll_until(lambda: len(fake.bonus_payments) >= PEOPLE, "every bonus is paid on Prolific", timeout=WAIT_SECONDS)
        poll_until(
            lambda: Payment.objects.filter(state=Payment.State.SENT).count() == 2 * PEOPLE,
            "the ledger records every payout as sent",
            timeout=WAIT_SECONDS,
        )

        # and Prolific delivers every event a second time
        assert fake.wait_deliveries(WAIT_SECONDS)
        for event_id in list(fake.events):
            fake.redeliver(event_id)
        assert fake.wait_deliveries(WAIT_SECONDS)
        time.sleep(2)  # time for any (wrong) second payout to happen
    finally:
        ended_early = process.poll() is not None
        if not ended_early:
            interrupt(process, output, children)
        assert not still_alive(children)
    assert not ended_early, output.text()

    # Then everyone was approved once and paid their bonus once
    participants = list(Participant.objects.order_by("id"))
    assert len(participants) == PEOPLE
    assert {participant.status for participant in participants} == {ParticipantStatus.APPROVED}
    assert sorted(fake.approvals) == sorted(participant.assignment_id for participant in participants)
    paid = sorted((entry[1], Decimal(str(entry[2])).quantize(Decimal("0.01"))) for entry in fake.bonus_payments)
    owed = sorted(
        (participant.worker_id, Decimal(str(participant.bonus)).quantize(Decimal("0.01")))
        for participant in participants
    )
    assert paid == owed
    # and the ledger balances against Prolific's own records
    bonuses = Payment.objects.filter(kind=Payment.Kind.BONUS)
    assert sorted((row.worker_id, row.amount) for row in bonuses) == paid
    assert {row.state for row in Payment.objects.all()} == {Payment.State.SENT}
    assert {row.currency for row in Payment.objects.all()} == {study.currency}
    assert sorted(row.setup_id for row in bonuses) == sorted(entry[0] for entry in fake.bonus_payments)
    assert "Traceback" not in output.text()
