"""Budget caps on the payment ledger: per-participant and per-experiment limits, refusals
recorded with their reason, notices at 80 % and at the cap, and the caps under concurrency."""

import logging
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from core.models import Participant, Recruitment
from recruitment.base import RECRUITERS, HotAirRecruiter, register
from recruitment.models import LedgerNotice, Payment, RecruitmentRefusal
from recruitment.payments import budget, ledger

EXPERIMENT_ID = "budget-test"


class Counting(HotAirRecruiter):
    """Pays outside the database and counts what it was asked to pay."""

    nickname = "counting"
    pays_outside = True

    def __init__(self, config, base_url="http://localhost:8000"):
        super().__init__(config, base_url)
        self.paid = []

    def approve_hit(self, assignment_id):
        self.paid.append(("base", assignment_id))
        return True

    def reward_bonus(self, participant, amount, reason):
        self.paid.append(("bonus", participant.assignment_id))
        return None


@pytest.fixture(autouse=True)
def counting_recruiter():
    register(Counting)
    yield
    del RECRUITERS["counting"]


def configured(**values) -> dict:
    """An experiment configuration (the caps read it with `.get`)."""
    return {"id": EXPERIMENT_ID, "base_payment": 1.5, **values}


def submitted(number: int, *, bonus: float, base_pay: float = 1.5) -> Participant:
    """A processed submission with its payouts intended on the ledger."""
    participant = Participant.objects.create(
        worker_id=f"w{number}", assignment_id=f"a{number}", unique_id=f"w{number}:a{number}", hit_id="h",
        mode="debug", recruiter_id="counting", status="approved", bonus=bonus, base_pay=base_pay,
    )  # fmt: skip
    ledger.settlement_intend(
        participant=participant, recruit="none", bonus_reason="Thanks!", experiment_id=EXPERIMENT_ID
    )
    return participant


def settle(participant, recruiter) -> dict:
    """Send the participant's due payouts as the settling task does; their states by kind."""
    for payment in ledger.payments_due(participant=participant, kinds=("base", "bonus")):
        ledger.payment_send(payment_id=payment.pk, recruiter=recruiter, participant=participant)
    return dict(Payment.objects.filter(participant_id=participant.pk).values_list("kind", "state"))


@pytest.mark.django_db
def test_a_bonus_over_the_per_participant_cap_is_refused_with_its_reason_and_never_sent():
    recruiter = Counting(configured(max_participant_payment=3.0))
    participant = submitted(17, bonus=2.0)

    assert settle(participant, recruiter) == {"base": "sent", "bonus": "refused"}

    assert recruiter.paid == [("base", "a17")]
    assert Payment.objects.get(kind="bonus").error == (
        f"the bonus of 2.00 would bring participant {participant.pk}'s pay to 3.50, above max_participant_payment 3.00"
    )


@pytest.mark.django_db
def test_a_bonus_that_reaches_the_per_participant_cap_exactly_is_paid():
    recruiter = Counting(configured(max_participant_payment=3.0))

    assert settle(submitted(1, bonus=1.5), recruiter) == {"base": "sent", "bonus": "sent"}


@pytest.mark.django_db
def test_a_base_payment_is_paid_even_past_the_caps_as_its_place_was_reserved():
    recruiter = Counting(configured(max_participant_payment=1.0, budget=1.0))

    assert settle(submitted(1, bonus=0.5, base_pay=1.5), recruiter) == {"base": "sent", "bonus": "refused"}
    assert recruiter.paid == [("base", "a1")]


@pytest.mark.django_db
def test_without_caps_nothing_is_refused():
    recruiter = Counting({"id": EXPERIMENT_ID})

    assert settle(submitted(1, bonus=100.0), recruiter) == {"base": "sent", "bonus": "sent"}
    assert budget.budget_allow_recruitment(config={}, recruiter_nickname="counting", n=1000, price=5) == 1000


def budget_locks_taken(participant, recruiter) -> dict:
    """Settle the participant's payouts; how many times each kind's claim took `BUDGET_LOCK`."""
    taken = {}
    for payment in ledger.payments_due(participant=participant, kinds=("base", "bonus")):
        with CaptureQueriesContext(connection) as captured:
            ledger.payment_send(payment_id=payment.pk, recruiter=recruiter, participant=participant)
        taken[payment.kind] = sum("pg_advisory_xact_lock" in query["sql"] for query in captured.captured_queries)
    return taken


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "caps, locked",
    [
        ({}, {"base": 0, "bonus": 0}),
        ({"budget": ""}, {"base": 0, "bonus": 0}),
        ({"budget": 100}, {"base": 0, "bonus": 1}),
        ({"max_participant_payment": 10}, {"base": 0, "bonus": 1}),
    ],
)
def test_the_budget_lock_is_taken_only_for_a_payout_a_cap_could_refuse(caps, locked):
    # Every payout of every process would otherwise queue on the one lock, for nothing.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    recruiter = Counting(configured(**caps))

    assert budget_locks_taken(submitted(1, bonus=2.0), recruiter) == locked
    assert Payment.objects.filter(state="sent").count() == 2


@pytest.mark.django_db
def test_a_bonus_over_the_budget_is_refused_counting_places_recruited_but_not_yet_submitted():
    # Budget 10: four places recruited at 1.50 (6.00), one of them submitted.
    Recruitment.objects.bulk_create([Recruitment(recruiter_id="counting") for _ in range(4)])
    recruiter = Counting(configured(budget=10))
    settle(submitted(1, bonus=3.0), recruiter)  # 6.00 + 3.00 = 9.00: fits
    participant = submitted(2, bonus=1.5)  # 9.00 + 1.50 > 10

    assert settle(participant, recruiter) == {"base": "sent", "bonus": "refused"}
    assert Payment.objects.get(participant_id=participant.pk, kind="bonus").error == (
        f"the bonus of 1.50 for participant {participant.pk} would bring the experiment's spending to 10.50, "
        "above budget 10.00 (9.00 committed)"
    )
    status = budget.budget_status(configured(budget=10))
    assert (status["committed"], status["sent"], status["refused"], status["places_waiting"]) == (
        Decimal("9.00"), Decimal("6.00"), Decimal("1.50"), 2,
    )  # fmt: skip
    assert status["fraction"] == Decimal("0.9")
    assert status["refused_payouts"] == 1


@pytest.mark.django_db
def test_recruitment_is_trimmed_to_what_the_budget_allows_and_the_refusal_recorded():
    Recruitment.objects.bulk_create([Recruitment(recruiter_id="counting") for _ in range(4)])  # 6.00
    config = configured(budget=10)

    allowed = budget.budget_allow_recruitment(config=config, recruiter_nickname="counting", n=5, price=1.5, currency="GBP")

    assert allowed == 2  # 6.00 + 2 × 1.50 = 9.00; a third would make 10.50
    refusal = RecruitmentRefusal.objects.get()
    assert (refusal.requested, refusal.allowed, refusal.price, refusal.currency) == (5, 2, Decimal("1.50"), "GBP")
    assert refusal.reason == (
        "3 of 5 counting place(s) at 1.50 refused: 5 would bring the experiment's spending to 13.50, "
        "above budget 10.00 (6.00 committed)"
    )
    assert budget.budget_status(config)["refused_places"] == 3


@pytest.mark.django_db
def test_recruitment_that_fits_records_no_refusal():
    assert budget.budget_allow_recruitment(config=configured(budget=10), recruiter_nickname="counting", n=6, price=1.5) == 6
    assert not RecruitmentRefusal.objects.exists()


@pytest.mark.django_db
def test_the_experimenter_is_notified_once_at_80_percent_and_once_at_the_cap(caplog):
    config = configured(budget=10, base_payment=1)

    def recruit(n):
        allowed = budget.budget_allow_recruitment(config=config, recruiter_nickname="counting", n=n, price=1)
        Recruitment.objects.bulk_create([Recruitment(recruiter_id="counting") for _ in range(allowed)])
        return sorted(LedgerNotice.objects.values_list("key", flat=True))

    with caplog.at_level(logging.WARNING, logger="recruitment.payments.budget"):
        assert recruit(7) == []
        assert recruit(1) == [f"budget-80:{EXPERIMENT_ID}"]
        assert recruit(1) == [f"budget-80:{EXPERIMENT_ID}"]
        assert recruit(1) == [f"budget-80:{EXPERIMENT_ID}", f"budget-cap:{EXPERIMENT_ID}"]
        assert recruit(1) == [f"budget-80:{EXPERIMENT_ID}", f"budget-cap:{EXPERIMENT_ID}"]  # refused: no new notice

    notices = [record.getMessage() for record in caplog.records if "budget of" in record.getMessage()]
    assert notices == [
        f"Experiment {EXPERIMENT_ID} has committed 8.00 of its budget of 10.00 (80%).",
        f"Experiment {EXPERIMENT_ID} has reached its budget of 10.00 (10.00 committed): "
        "further recruitment and bonuses are refused.",
    ]


@pytest.mark.django_db
def test_a_bonus_refused_by_the_budget_sends_the_cap_notice():
    recruiter = Counting(configured(budget=2))
    settle(submitted(1, bonus=1.0), recruiter)

    assert set(LedgerNotice.objects.values_list("key", flat=True)) == {f"budget-cap:{EXPERIMENT_ID}"}


class SlowCounting(Counting):
    """Waits in the paying call, so that claims made at once overlap."""

    def reward_bonus(self, participant, amount, reason):
        threading.Event().wait(0.2)
        return super().reward_bonus(participant, amount, reason)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bonuses_claimed_at_once_by_separate_connections_never_exceed_the_budget():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    # Budget 10: six base payments of 1.50 (9.00) leave room for one bonus of 1.00 out of six.
    participants = [submitted(number, bonus=1.0) for number in range(6)]
    for payment in Payment.objects.filter(kind="base"):
        Payment.objects.filter(pk=payment.pk).update(state=Payment.State.SENT)
    config = configured(budget=10)
    start = threading.Barrier(len(participants))
    recruiters, errors = [], []

    def claim(participant):
        recruiter = SlowCounting(config)
        recruiters.append(recruiter)
        try:
            [bonus] = ledger.payments_due(participant=participant, kinds=("bonus",))
            start.wait()
            ledger.payment_send(payment_id=bonus.pk, recruiter=recruiter, participant=participant)
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=claim, args=(participant,)) for participant in participants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(len(recruiter.paid) for recruiter in recruiters) == 1
    bonuses = Payment.objects.filter(kind="bonus")
    assert sorted(bonuses.values_list("state", flat=True)) == ["refused"] * 5 + ["sent"]
    assert budget.budget_status(config)["committed"] == Decimal("10.00")
