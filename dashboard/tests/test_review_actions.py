"""Approving, rejecting and paying a bonus to participants from the dashboard: through their
recruiter and the payment ledger, each payout once, bad input refused with nothing changed."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry

from core.models import Participant
from experiments.config import get_config
from recruitment.models import Payment
from recruitment.payments import ledger
from recruitment.prolific.codes import code_for
from recruitment.prolific.recruiter import ProlificRecruiter

pytestmark = pytest.mark.django_db

PARTICIPANTS = "/dashboard/core/participant/"
EXPERIMENT = Path(__file__).resolve().parents[2] / "tests" / "experiments" / "dashboard_hooks"
LONG_MESSAGE = "The answers do not describe the story that was shown, and the task was left unfinished. " * 2


def act(client, action, participants, **fields):
    data = {"action": action, "_selected_action": [p.pk for p in participants], "index": 0, **fields}
    return client.post(PARTICIPANTS, data)


def confirm(client, action, participants, **fields):
    data = {"action": action, "_selected_action": [p.pk for p in participants], "confirmed": "yes", **fields}
    return client.post(PARTICIPANTS, data, follow=True)


def request_key(page) -> str:
    return re.search(r'name="request_key" value="([^"]+)"', page.content.decode()).group(1)


@pytest.fixture
def experiment(use_experiment):
    return use_experiment(EXPERIMENT)


# Approve ------------------------------------------------------------------------------------


def test_approving_pays_the_base_payment_once(admin_client, experiment, make_participant):
    participant = make_participant()

    first = confirm(admin_client, "approve_participants", [participant]).content.decode()
    again = confirm(admin_client, "approve_participants", [participant]).content.decode()

    participant.refresh_from_db()
    assert participant.status == "approved" and participant.base_pay == 1.25
    payment = Payment.objects.get()
    assert (payment.kind, payment.state, payment.amount) == ("base", "sent", Decimal("1.25"))
    assert f"The approval of 1.25 USD for participant {participant.pk} was paid (ledger row {payment.pk})." in first
    assert "was paid before" in again and "nothing more was paid" in again
    assert [entry.object_id for entry in LogEntry.objects.all()] == [str(participant.pk)] * 2


def test_an_approval_made_when_the_submission_was_processed_is_not_made_again(
    admin_client, experiment, make_participant
):
    participant = make_participant(status="approved", base_pay=1.0)
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)
    Payment.objects.update(state="sent")

    page = confirm(admin_client, "approve_participants", [participant]).content.decode()

    assert "was paid before" in page and Payment.objects.count() == 1


def test_a_rejected_participant_cannot_be_approved(admin_client, experiment, make_participant):
    participant = make_participant(status="rejected")

    page = confirm(admin_client, "approve_participants", [participant]).content.decode()

    assert f"Participant {participant.pk} was rejected: they cannot be approved." in page
    participant.refresh_from_db()
    assert participant.status == "rejected" and not Payment.objects.exists()


@pytest.mark.parametrize("action", ["approve_participants", "reject_participants", "bonus_participants"])
def test_a_participant_of_an_unknown_recruiter_is_left_as_they_are(admin_client, experiment, make_participant, action):
    participant = make_participant(recruiter_id="cloudresearch")

    page = confirm(admin_client, action, [participant], message="Bad work.", amount="1.00", reason="Thanks",
                   request_key="a-good-request-key").content.decode()  # fmt: skip

    assert f"Participant {participant.pk}: The recruiter &#x27;cloudresearch&#x27; this participant came through is not installed" in page
    participant.refresh_from_db()
    assert participant.status == "working" and not Payment.objects.exists()


# Reject -------------------------------------------------------------------------------------


def test_rejecting_needs_a_message(admin_client, experiment, make_participant):
    participant = make_participant()

    response = admin_client.post(
        PARTICIPANTS,
        {"action": "reject_participants", "_selected_action": [participant.pk], "confirmed": "yes", "message": " "},
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    participant.refresh_from_db()
    assert participant.status == "working" and not LogEntry.objects.exists()


def test_rejecting_cancels_a_base_payment_not_yet_made(admin_client, experiment, make_participant):
    participant = make_participant(status="approved", base_pay=1.0)
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)

    page = confirm(admin_client, "reject_participants", [participant], message="Did not do the task.").content.decode()

    participant.refresh_from_db()
    assert participant.status == "rejected" and f"Rejected participant {participant.pk}." in page
    payment = Payment.objects.get()
    assert payment.state == "failed" and "Did not do the task." in payment.error


def test_a_participant_whose_approval_was_made_cannot_be_rejected(admin_client, experiment, make_participant):
    participant = make_participant()
    confirm(admin_client, "approve_participants", [participant])

    page = confirm(admin_client, "reject_participants", [participant], message="Changed my mind.").content.decode()

    participant.refresh_from_db()
    assert participant.status == "approved"
    assert f"Participant {participant.pk} was approved (base payment sent): they cannot be rejected." in page


# Bonus --------------------------------------------------------------------------------------


def test_the_bonus_form_asks_for_an_amount_and_a_reason(admin_client, experiment, make_participant):
    participant = make_participant()

    page = act(admin_client, "bonus_participants", [participant])

    html = page.content.decode()
    assert 'name="amount"' in html and 'name="reason"' in html
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", request_key(page))
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"amount": "", "reason": "Thanks"}, "This field is required."),
        ({"amount": "abc", "reason": "Thanks"}, "is not an amount (e.g. 1.50)."),
        ({"amount": "0", "reason": "Thanks"}, "The amount must be more than 0, not 0."),
        ({"amount": "-2", "reason": "Thanks"}, "The amount must be more than 0, not -2."),
        ({"amount": "1.234", "reason": "Thanks"}, "The amount 1.234 has more than two decimals."),
        ({"amount": "NaN", "reason": "Thanks"}, "The amount must be more than 0, not NaN."),
        ({"amount": "Infinity", "reason": "Thanks"}, "The amount must be more than 0, not Infinity."),
        ({"amount": "1.50", "reason": "  "}, "This field is required."),
        ({"amount": "1.50", "reason": "x" * 1001}, "Ensure this value has at most 1000 characters"),
        ({"amount": "1.50", "reason": "Thanks", "request_key": "short"}, "This form has expired"),
        ({"amount": "1.50", "reason": "Thanks", "request_key": "../../etc/passwd"}, "This form has expired"),
        ({"amount": "1.50", "reason": "Thanks", "request_key": ""}, "This field is required."),
    ],
)
def test_a_bad_bonus_is_refused_with_a_readable_error_and_nothing_paid(
    admin_client, experiment, make_participant, fields, error
):
    participant = make_participant()
    data = {"request_key": "a-good-request-key", **fields}

    response = admin_client.post(
        PARTICIPANTS,
        {"action": "bonus_participants", "_selected_action": [participant.pk], "confirmed": "yes", **data},
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Payment.objects.exists() and not LogEntry.objects.exists()


def test_a_bonus_is_paid_once_however_often_its_form_is_submitted(admin_client, experiment, make_participant):
    participant = make_participant()
    key = request_key(act(admin_client, "bonus_participants", [participant]))
    fields = {"amount": "2.50", "reason": "Great teamwork", "request_key": key}

    first = confirm(admin_client, "bonus_participants", [participant], **fields).content.decode()
    second = confirm(admin_client, "bonus_participants", [participant], **{**fields, "amount": "9.00"}).content.decode()

    payment = Payment.objects.get()
    assert (payment.kind, payment.state, payment.amount, payment.reason) == ("bonus", "sent", Decimal("2.50"),
                                                                             "Great teamwork")  # fmt: skip
    assert f"The bonus of 2.50 USD for participant {participant.pk} was paid" in first
    assert f"The bonus of 2.50 USD for participant {participant.pk} was paid before" in second
    assert LogEntry.objects.filter(change_message__startswith="paid a bonus:").count() == 2


def test_two_bonus_forms_are_two_bonuses(admin_client, experiment, make_participant):
    participant, other = make_participant(), make_participant()
    for _ in range(2):
        key = request_key(act(admin_client, "bonus_participants", [participant, other]))
        confirm(admin_client, "bonus_participants", [participant, other], amount="1.00", reason="Thanks",
                request_key=key)  # fmt: skip

    assert Payment.objects.filter(kind="bonus", state="sent", participant_id=participant.pk).count() == 2
    assert Payment.objects.filter(kind="bonus", state="sent", participant_id=other.pk).count() == 2


# Through Prolific (its fake) ------------------------------------------------------------------


@pytest.fixture
def prolific(use_experiment, fake_prolific):
    """The experiment recruiting on (the fake) Prolific, with its study open, and a participant
    whose submission awaits review."""
    experiment_id = "9b0e1c7a-3f5d-4e2a-8c6b-1d2e3f4a5b6c"
    use_experiment(
        EXPERIMENT, mode="live", id=experiment_id, recruiter="prolific", prolific_api_token=fake_prolific.token,
        prolific_api_base_url=fake_prolific.base_url, prolific_workspace="my workspace", prolific_project="Dashboard",
        prolific_estimated_completion_minutes=5, publish_experiment=True,
    )  # fmt: skip
    recruiter = ProlificRecruiter(get_config(), base_url="https://experiment.example.org")
    recruiter.open_recruitment(n=2)
    submission = fake_prolific.start_submission(recruiter.study_id)
    fake_prolific.complete_submission(submission["id"], code_for(experiment_id))
    participant = Participant.objects.create(
        recruiter_id="prolific", worker_id=submission["participant_id"], assignment_id=submission["id"],
        hit_id=recruiter.study_id, mode="live", status="submitted",
    )  # fmt: skip
    return participant


def test_approving_a_prolific_participant_approves_their_submission(admin_client, prolific, fake_prolific):
    confirm(admin_client, "approve_participants", [prolific])
    confirm(admin_client, "approve_participants", [prolific])

    assert fake_prolific.approvals == [prolific.assignment_id]
    assert Payment.objects.get().state == "sent"


def test_a_prolific_rejection_needs_prolifics_long_message(admin_client, prolific, fake_prolific):
    short = confirm(admin_client, "reject_participants", [prolific], message="Too short.").content.decode()

    assert "was not rejected: A Prolific rejection needs a message of at least 100 characters." in short
    prolific.refresh_from_db()
    assert prolific.status == "submitted"
    assert fake_prolific.submission(prolific.assignment_id)["status"] == "AWAITING REVIEW"

    confirm(admin_client, "reject_participants", [prolific], message=LONG_MESSAGE, category="LOW_EFFORT")

    prolific.refresh_from_db()
    assert prolific.status == "rejected"
    assert fake_prolific.submission(prolific.assignment_id)["status"] == "REJECTED"


def test_a_prolific_bonus_is_paid_once_through_prolific(admin_client, prolific, fake_prolific):
    key = request_key(act(admin_client, "bonus_participants", [prolific]))

    for _ in range(2):
        confirm(admin_client, "bonus_participants", [prolific], amount="0.80", reason="Fast", request_key=key)

    assert [(worker, amount) for _, worker, amount in fake_prolific.bonus_payments] == [
        (prolific.worker_id, Decimal("0.80"))
    ]
    assert Payment.objects.get().currency == "GBP"


# Who may pay ----------------------------------------------------------------------------------


@pytest.fixture
def staff_client(django_user_model, client):
    """A staff member who may read the participants but not pay them, logged in."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("assistant", password="a long passphrase here", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_participant"))
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("action", ["approve_participants", "reject_participants", "bonus_participants"])
def test_staff_without_the_pay_permission_are_refused_and_nothing_changes(staff_client, experiment, make_participant,
                                                                         action):  # fmt: skip
    participant = make_participant(status="submitted", base_pay=1.0)

    data = {"action": action, "_selected_action": [participant.pk], "index": 0}
    asked = staff_client.post(PARTICIPANTS, data, follow=True).content.decode()
    page = confirm(staff_client, action, [participant], message=LONG_MESSAGE, amount="1.00", reason="Thanks",
                   request_key="a-request-key-1").content.decode()  # fmt: skip

    for shown in (asked, page):
        assert "Only users allowed to pay participants" in shown and "nothing was done" in shown
    # The list's action menu does not offer it to them (a stale page or a forged post still names it)
    assert f'value="{action}"' not in staff_client.get(PARTICIPANTS).content.decode()
    assert Participant.objects.get(pk=participant.pk).status == "submitted"
    assert not Payment.objects.exists()
    assert LogEntry.objects.filter(change_message__contains="refused: no permission to pay participants").exists()


def test_the_pay_permission_lets_staff_approve(staff_client, experiment, make_participant):
    from django.contrib.auth.models import Permission

    participant = make_participant(status="submitted", base_pay=1.0)
    staff_client.user.user_permissions.add(Permission.objects.get(codename="pay_participants"))

    page = confirm(staff_client, "approve_participants", [participant]).content.decode()

    assert "Only users allowed" not in page
    menu = staff_client.get(PARTICIPANTS).content.decode()
    assert all(f'value="{action}"' in menu for action in ("approve_participants", "bonus_participants"))
    assert Participant.objects.get(pk=participant.pk).status == "approved"
    assert Payment.objects.get().state == "sent"
