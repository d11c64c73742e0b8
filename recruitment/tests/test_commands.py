"""Recruitment's management commands against the fake Prolific: what they do, and what they refuse."""

import io
import logging
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from recruitment.models import Payment, ProlificStudy
from recruitment.recruiters import by_name

pytestmark = pytest.mark.django_db

COMMANDS = ("summary", "compensate", "qualify", "revoke", "extend_mturk_hit", "expire", "hits", "prolific")


class Terminal(io.StringIO):
    """Keyboard input typed at a terminal."""

    def isatty(self):
        return True


class Pipe(io.StringIO):
    """Input that is not a terminal (a script, cron)."""

    def isatty(self):
        return False


def run(*args, stdin=None):
    """Run a command; its output."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), stdin=stdin or Pipe())
    return out.getvalue()


@pytest.fixture
def prolific_settings(use_experiment, fake_prolific):
    """The pushbutton experiment configured for Prolific, pointing at the fake."""

    def configure(**overrides):
        values = {
            "recruiter": "prolific",
            "mode": "live",
            "publish_experiment": True,
            "id": "exp-commands",
            "title": "Push the button",
            "description": "A short study",
            "base_payment": 1.0,
            "prolific_api_token": fake_prolific.token,
            "prolific_api_base_url": fake_prolific.base_url,
            "prolific_workspace": "My workspace",
            "prolific_project": "Commands",
            "prolific_estimated_completion_minutes": 5,
        }
        values.update(overrides)
        return use_experiment("pushbutton", **values)

    return configure


@pytest.fixture
def study(prolific_settings, fake_prolific):
    """A published study of the experiment on the fake, with three places; its id."""
    loaded = prolific_settings()
    recruiter = by_name("prolific")(loaded.config, base_url="http://localhost:8000")
    recruiter.open_recruitment(3)
    assert fake_prolific.study(recruiter.study_id)["status"] == "ACTIVE"
    return recruiter.study_id


def finished_submission(fake, study_id, participant_id=None) -> dict:
    """A participant who took part and is awaiting review."""
    submission = fake.start_submission(study_id, participant_id=participant_id)
    code = fake.study(study_id)["completion_codes"][0]["code"]
    fake.complete_submission(submission["id"], code)
    return submission


# Help and refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_explains_itself(name):
    command = load_command_class("recruitment", name)
    assert len(command.help) > 40
    assert command.help.split()[0] in command.create_parser("manage.py", name).format_help()


@pytest.mark.parametrize(
    "args",
    [
        ("qualify", "w1", "--qualification", "q1", "--value", "1"),
        ("revoke", "w1", "--qualification", "q1", "--yes"),
        ("extend_mturk_hit", "--hit_id", "h1", "--assignments", "2", "--yes"),
        ("hits", "--recruiter", "mturk"),
        ("expire", "--hit_id", "h1", "--yes"),
    ],
)
def test_mturk_commands_without_aws_credentials_say_which_keys_to_set(args, prolific_settings):
    prolific_settings(aws_access_key_id="", aws_secret_access_key="")
    with pytest.raises(CommandError, match="No AWS credentials are configured: set aws_access_key_id"):
        run(*args)


def test_a_refusal_is_a_message_and_a_non_zero_exit_not_a_traceback():
    manage = Path(settings.BASE_DIR) / "manage.py"
    finished = subprocess.run(
        [sys.executable, str(manage), "qualify", "w1", "--qualification", "q1", "--value", "high"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode != 0
    assert "--value must be a whole number, not 'high'" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_missing_token_is_named(prolific_settings):
    prolific_settings(prolific_api_token="")
    for args in (("prolific", "studies"), ("hits",), ("expire", "--yes"), ("prolific", "webhooks", "--list")):
        with pytest.raises(CommandError, match="prolific_api_token"):
            run(*args)


def test_a_prolific_refusal_is_readable(study, fake_prolific):
    with pytest.raises(CommandError, match=r"Prolific refused GET /studies/0+/.*404"):
        run("expire", "--study", "0" * 24, "--yes")


# Listings ----------------------------------------------------------------------------------------


def test_hits_and_prolific_studies_list_the_project_studies(study):
    for args in (("hits",), ("prolific", "studies"), ("hits", "--recruiter", "prolific", "--app", "exp-commands")):
        output = run(*args)
        assert study in output
        assert "ACTIVE" in output and "exp-commands" in output and "Push the button" in output
    assert "No studies of experiment other" in run("hits", "--app", "other")


def test_hits_refuses_the_sandbox_for_prolific(study):
    with pytest.raises(CommandError, match="Mechanical Turk only. Prolific has no sandbox"):
        run("hits", "--sandbox")


def test_prolific_submissions_lists_and_filters(study, fake_prolific):
    done = finished_submission(fake_prolific, study)
    working = fake_prolific.start_submission(study)
    output = run("prolific", "submissions")
    assert done["id"] in output and working["id"] in output
    filtered = run("prolific", "submissions", "--status", "AWAITING_REVIEW")
    assert done["id"] in filtered and working["id"] not in filtered


# Approving ---------------------------------------------------------------------------------------


def test_prolific_approve_dry_run_and_refusal_change_nothing(study, fake_prolific):
    submission = finished_submission(fake_prolific, study)
    output = run("prolific", "approve", submission["id"], "--dry-run")
    assert f"would pay the approval of Prolific submission {submission['id']}" in output
    assert f"prolific:{submission['id']}:base" in output
    output = run("prolific", "approve", submission["id"], stdin=Terminal("n\n"))
    assert "Nothing was done" in output
    assert fake_prolific.approvals == []
    assert not Payment.objects.exists()
    assert fake_prolific.submission(submission["id"])["status"] == "AWAITING REVIEW"


def test_prolific_approve_approves_once_through_the_ledger(study, fake_prolific):
    submission = finished_submission(fake_prolific, study)
    output = run("prolific", "approve", submission["id"], stdin=Terminal("y\n"))
    assert "Paid the approval" in output
    assert fake_prolific.submission(submission["id"])["status"] == "APPROVED"
    payment = Payment.objects.get()
    assert (payment.key, payment.kind, payment.state) == (f"prolific:{submission['id']}:base", "base", "sent")
    assert payment.worker_id == submission["participant_id"]

    again = run("prolific", "approve", submission["id"], "--yes")
    assert "Already paid" in again
    assert fake_prolific.approvals == [submission["id"]]
    assert Payment.objects.count() == 1


def test_prolific_approve_checks_every_id_before_approving_any(study, fake_prolific):
    submission = finished_submission(fake_prolific, study)
    with pytest.raises(CommandError, match="404"):
        run("prolific", "approve", submission["id"], "f" * 24, "--yes")
    assert fake_prolific.approvals == []
    assert not Payment.objects.exists()


# Bonuses and compensation --------------------------------------------------------------------------


def test_prolific_bonus_dry_run_moves_nothing(study, fake_prolific):
    submission = finished_submission(fake_prolific, study)
    pid = submission["participant_id"]
    output = run("prolific", "bonus", "--participant", pid, "--amount", "1.50", "--reason", "Good work", "--dry-run")
    assert f"Dry run: would pay a bonus of 1.50 GBP to Prolific participant {pid} in study {study}" in output
    assert fake_prolific.bonus_payments == [] and fake_prolific.bonus_setups == {}
    assert not Payment.objects.exists()


def test_prolific_bonus_twice_pays_once_and_a_new_key_pays_again(study, fake_prolific):
    pid = finished_submission(fake_prolific, study)["participant_id"]
    args = ("prolific", "bonus", "--participant", pid, "--amount", "1.50", "--reason", "Good work", "--yes")
    assert "Paid a bonus of 1.50 GBP" in run(*args)
    assert "Already paid" in run(*args)
    assert [(who, amount) for _, who, amount in fake_prolific.bonus_payments] == [(pid, Decimal("1.50"))]
    payment = Payment.objects.get()
    assert (payment.kind, payment.state, payment.amount, payment.reason) == (
        "bonus",
        "sent",
        Decimal("1.50"),
        "Good work",
    )
    assert payment.key.startswith(f"prolific:bonus:{study}:{pid}:")

    run(*args, "--key", "second")
    assert len(fake_prolific.bonus_payments) == 2
    assert Payment.objects.filter(state="sent").count() == 2


def test_a_bonus_to_someone_outside_the_study_is_refused_before_anything(study, fake_prolific):
    with pytest.raises(CommandError, match="has no submission in study"):
        run("prolific", "bonus", "--participant", "a" * 24, "--amount", "2", "--reason", "Stranger", "--yes")
    assert not Payment.objects.exists()
    assert fake_prolific.bonus_setups == {}


def test_a_bonus_prolific_refuses_is_reported_and_not_retried_under_its_key(study, fake_prolific):
    pid = finished_submission(fake_prolific, study)["participant_id"]
    refusal = {"error": {"status": 400, "error_code": 140001, "title": "Invalid request", "detail": "Too large."}}
    fake_prolific.respond("POST", "/submissions/bonus-payments/", 400, refusal)
    args = ("prolific", "bonus", "--participant", pid, "--amount", "2", "--reason", "Big", "--yes")
    with pytest.raises(CommandError, match="Not paid: .*Too large"):
        run(*args)
    assert Payment.objects.get().state == "failed"
    with pytest.raises(CommandError, match="failed earlier.*new --key"):
        run(*args)
    assert fake_prolific.bonus_payments == []


def test_a_bonus_over_the_participant_cap_is_refused_on_the_ledger(study, fake_prolific, prolific_settings):
    prolific_settings(max_participant_payment=1.5)
    pid = finished_submission(fake_prolific, study)["participant_id"]
    with pytest.raises(CommandError, match="Not paid: .*max_participant_payment"):
        run("prolific", "bonus", "--participant", pid, "--amount", "2", "--reason", "Big", "--yes")
    assert Payment.objects.get().state == "refused"
    assert fake_prolific.bonus_setups == {}


@pytest.mark.parametrize("amount", ["0", "-1", "1.234", "lots"])
def test_a_bad_amount_is_refused_before_anything(study, fake_prolific, amount):
    with pytest.raises(CommandError, match="amount"):
        run("prolific", "bonus", "--participant", "p1", "--amount", amount, "--reason", "x", "--yes")
    assert not Payment.objects.exists()


def test_compensate_pays_someone_without_a_participant_row_once(study, fake_prolific):
    pid = finished_submission(fake_prolific, study)["participant_id"]
    args = ("compensate", "--worker_id", pid, "--dollars", "3.00", "--reason", "Server outage", "--yes")
    assert "Paid a compensation of 3.00 GBP" in run(*args)
    assert "Already paid" in run(*args)
    assert [(who, amount) for _, who, amount in fake_prolific.bonus_payments] == [(pid, Decimal("3.00"))]
    payment = Payment.objects.get()
    assert (payment.kind, payment.state, payment.participant_id) == ("compensation", "sent", None)
    assert payment.key.startswith(f"prolific:compensation:{study}:{pid}:")


def test_compensate_without_a_terminal_needs_yes(study, fake_prolific):
    pid = finished_submission(fake_prolific, study)["participant_id"]
    with pytest.raises(CommandError, match="--yes"):
        run("compensate", "--worker_id", pid, "--dollars", "3")
    assert fake_prolific.bonus_payments == []
    assert not Payment.objects.exists()


def test_compensate_on_prolific_refuses_the_mturk_options(study):
    with pytest.raises(CommandError, match="Mechanical Turk only"):
        run("compensate", "--worker_id", "w", "--dollars", "1", "--email", "w@example.org", "--yes")


# Expiring ----------------------------------------------------------------------------------------


def test_expire_dry_run_and_refusal_leave_the_study_running(study, fake_prolific):
    assert f"would stop Prolific study {study}" in run("expire", "--dry-run")
    output = run("expire", stdin=Terminal("no\n"))
    assert "irreversible" in output and "Nothing was done" in output
    assert fake_prolific.study(study)["status"] == "ACTIVE"
    assert [r.json["action"] for r in fake_prolific.requests_to("POST", "/transition/")] == ["PUBLISH"]


def test_expire_pauses_or_stops_the_study(study, fake_prolific):
    assert "now PAUSED" in run("expire", "--pause", "--yes")
    assert fake_prolific.study(study)["status"] == "PAUSED"
    assert "now COMPLETED" in run("expire", "--yes")
    assert fake_prolific.study(study)["status"] == "COMPLETED"
    assert ProlificStudy.objects.get(study_id=study).status == "COMPLETED"
    assert "already COMPLETED" in run("expire", "--yes")


def test_expire_by_hit_id_refuses_a_prolific_recruiter(study):
    with pytest.raises(CommandError, match="use them with --recruiter mturk"):
        run("expire", "--hit_id", "h1", "--recruiter", "prolific", "--yes")


# Webhooks ----------------------------------------------------------------------------------------


def test_webhooks_setup_prints_the_secret_once_and_never_logs_it(study, fake_prolific, caplog):
    caplog.set_level(logging.DEBUG)
    url = "http://127.0.0.1:8000/prolific-webhook"
    output = run("prolific", "webhooks", "--setup", "--url", url, "--yes")
    secret = fake_prolific.secrets[fake_prolific.workspace_id]["value"]
    assert output.count(secret) == 1
    assert "prolific_webhook_secret" in output
    assert secret not in caplog.text
    subscriptions = list(fake_prolific.subscriptions.values())
    assert {s["event_type"] for s in subscriptions} == {"submission.status.change", "study.status.change"}
    assert all(s["confirmed"] and s["target_url"] == url for s in subscriptions)

    listing = run("prolific", "webhooks", "--list")
    assert all(s["id"] in listing for s in subscriptions)
    assert secret not in listing

    first = subscriptions[0]["id"]
    assert first in run("prolific", "webhooks", "--remove", first, "--yes")
    assert "Removed 1 subscription(s)" in run("prolific", "webhooks", "--remove", "--url", url, "--yes")
    assert fake_prolific.subscriptions == {}


def test_webhooks_setup_refused_changes_nothing(study, fake_prolific):
    assert "Nothing was done" in run("prolific", "webhooks", "--setup", stdin=Terminal("\n"))
    assert fake_prolific.secrets == {} and fake_prolific.subscriptions == {}


# Summary -----------------------------------------------------------------------------------------


def test_summary_counts_participants_places_and_payouts(study, make_participant, prolific_settings):
    prolific_settings(budget=100.0)
    make_participant(status="approved")
    make_participant(status="approved")
    make_participant(status="returned")
    make_participant(status="working")
    Payment.objects.create(key="k1", kind="base", amount=Decimal("1.00"), currency="GBP", state="sent")
    Payment.objects.create(
        key="k2", kind="bonus", amount=Decimal("0.50"), currency="GBP", state="unknown", worker_id="pid-unknown"
    )
    Payment.objects.create(
        key="k3", kind="bonus", amount=Decimal("0.75"), currency="GBP", state="failed", error="Prolific refused it"
    )
    output = run("summary")
    assert "approved  2" in output and "returned  1" in output
    assert "Yield: 66.67%" in output
    assert "prolific   3" in output  # the three places the study opened with
    assert f"Prolific study {study}: ACTIVE" in output
    assert "base   sent     1        1.00 GBP" in output
    assert "unknown: bonus of 0.50 GBP to pid-unknown" in output
    assert "error: Prolific refused it" in output
    assert output.count("what to do:") == 2
    assert "GBP committed of 100.00" in output
