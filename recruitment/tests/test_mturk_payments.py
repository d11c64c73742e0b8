"""Mechanical Turk payouts through the payment ledger: approval, and bonuses whose request token
is made from the ledger key, so a retry is refused by MTurk and the bonus is paid at most once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from recruitment.models import Payment
from recruitment.mturk.recruiter import MTurkRecruiter
from recruitment.payments import ledger
from recruitment.tests.mturk_support import PUBLIC, assignment, mturk_config, token_of

pytestmark = pytest.mark.django_db

DUPLICATE = 'The idempotency token "{}" has already been processed. (1626172412406)'


@pytest.fixture
def participant(make_participant):
    return make_participant(recruiter_id="mturk", worker_id="W1", assignment_id="A1", hit_id="HIT1")


@pytest.fixture
def recruiter():
    return MTurkRecruiter(mturk_config(mode="live"), base_url=PUBLIC)


def payout(participant, kind, amount="1.50", reason="Well done") -> Payment:
    return Payment.objects.create(
        key=ledger.payment_key(participant, kind),
        kind=kind,
        participant_id=participant.pk,
        worker_id=participant.worker_id,
        assignment_id=participant.assignment_id,
        recruiter="mturk",
        amount=Decimal(amount),
        reason=reason,
    )


def bonus_request(payment) -> dict:
    return {
        "WorkerId": "W1",
        "BonusAmount": "1.50",
        "AssignmentId": "A1",
        "Reason": "Well done",
        "UniqueRequestToken": token_of(payment.key),
    }


def send(payment, recruiter, participant) -> Payment:
    ledger.payment_send(payment_id=payment.pk, recruiter=recruiter, participant=participant)
    payment.refresh_from_db()
    return payment


def test_a_bonus_carries_a_token_made_from_its_ledger_key_and_is_paid_once(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BONUS)
    mturk.expect("send_bonus", bonus_request(payment))

    assert send(payment, recruiter, participant).state == Payment.State.SENT
    assert len(bonus_request(payment)["UniqueRequestToken"]) == 64
    # Sent again: the ledger finds it paid, and MTurk is not called (the stub has no answer left).
    assert send(payment, recruiter, participant).state == Payment.State.SENT
    assert payment.attempts == 1


def test_mturk_refusing_a_duplicate_token_counts_as_sent(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BONUS)
    token = bonus_request(payment)["UniqueRequestToken"]
    mturk.refuse("send_bonus", bonus_request(payment), DUPLICATE.format(token))

    assert send(payment, recruiter, participant).state == Payment.State.SENT


def test_a_bonus_resumed_after_an_interruption_sends_the_same_token(mturk, recruiter, participant):
    """The worker died after asking MTurk to pay: MTurk does not list the bonus yet, so the row
    is resumed, and the retry carries the first call's token, which MTurk refuses."""
    payment = payout(participant, Payment.Kind.BONUS)
    mturk.expect("send_bonus", bonus_request(payment))
    recruiter.send_payment(payment, participant, ledger.PaymentSteps(payment))  # the call that was cut short
    long_ago = timezone.now() - ledger.SENDING_LEASE - timedelta(minutes=1)
    Payment.objects.filter(pk=payment.pk).update(state=Payment.State.SENDING, sending_since=long_ago)
    mturk.expect(
        "list_bonus_payments", {"AssignmentId": "A1", "MaxResults": 100}, {"NumResults": 0, "BonusPayments": []}
    )

    ledger.payment_reconcile_stale(recruiter_for=lambda row: recruiter)
    assert Payment.objects.get(pk=payment.pk).state == Payment.State.INTENDED
    mturk.refuse("send_bonus", bonus_request(payment), DUPLICATE.format(bonus_request(payment)["UniqueRequestToken"]))

    assert send(payment, recruiter, participant).state == Payment.State.SENT


def test_an_interrupted_bonus_mturk_lists_is_settled_as_sent(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BONUS)
    long_ago = timezone.now() - ledger.SENDING_LEASE - timedelta(minutes=1)
    Payment.objects.filter(pk=payment.pk).update(
        state=Payment.State.SENDING, sending_since=long_ago, pay_called_at=long_ago
    )
    mturk.expect(
        "list_bonus_payments",
        {"AssignmentId": "A1", "MaxResults": 100},
        {"NumResults": 1, "BonusPayments": [{"WorkerId": "W1", "BonusAmount": "1.50", "AssignmentId": "A1"}]},
    )

    ledger.payment_reconcile_stale(recruiter_for=lambda row: recruiter)

    assert Payment.objects.get(pk=payment.pk).state == Payment.State.SENT


def test_a_bonus_mturk_refuses_is_failed_not_retried(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BONUS)
    mturk.refuse("send_bonus", bonus_request(payment), "This assignment is not approved or rejected.")

    with pytest.raises(ledger.PaymentRefused):
        send(payment, recruiter, participant)
    assert Payment.objects.get(pk=payment.pk).state == Payment.State.FAILED


def test_reward_bonus_uses_the_token_of_the_ledger_bonus(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BONUS)
    mturk.expect("send_bonus", bonus_request(payment))

    recruiter.reward_bonus(participant, 1.5, "Well done")


def test_the_base_payment_approves_the_assignment(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BASE, amount="1.00", reason="")
    mturk.expect("approve_assignment", {"AssignmentId": "A1"})

    assert send(payment, recruiter, participant).state == Payment.State.SENT


def test_an_assignment_mturk_approved_on_submission_counts_as_paid(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BASE, amount="1.00", reason="")
    mturk.refuse(
        "approve_assignment", {"AssignmentId": "A1"}, "This operation can be called with a status of: Submitted"
    )
    mturk.expect("get_assignment", {"AssignmentId": "A1"}, assignment("A1", "Approved"))

    assert send(payment, recruiter, participant).state == Payment.State.SENT


def test_an_approval_mturk_refuses_is_failed(mturk, recruiter, participant):
    payment = payout(participant, Payment.Kind.BASE, amount="1.00", reason="")
    mturk.refuse(
        "approve_assignment", {"AssignmentId": "A1"}, "This operation can be called with a status of: Submitted"
    )
    mturk.expect("get_assignment", {"AssignmentId": "A1"}, assignment("A1", "Rejected"))

    with pytest.raises(ledger.PaymentRefused):
        send(payment, recruiter, participant)
    assert Payment.objects.get(pk=payment.pk).state == Payment.State.FAILED


def test_credentials_are_checked_with_dallingers_messages(mturk, monkeypatch, recruiter):
    from recruitment.mturk.client import MTurkError, client_from_config

    mturk.refuse("get_account_balance", {}, "The security token included in the request is invalid.")
    with pytest.raises(MTurkError, match="^Invalid AWS credentials!$"):
        recruiter.client.credentials_check()

    monkeypatch.undo()  # real clients, with no credentials anywhere
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    bare = client_from_config(mturk_config(aws_access_key_id=None, aws_secret_access_key=None))
    with pytest.raises(MTurkError, match="^No AWS credentials set!$"):
        bare.credentials_check()
