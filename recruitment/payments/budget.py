"""Budget caps on what a study spends, per participant and per experiment, and the notices as the budget runs out.

What an experiment has committed is, in the study's currency (one experiment, one currency):
every payout on the ledger that was sent, is being sent or may have been (`sending`,
`sent`, `unknown`); every base payment still `intended` (a place already taken is owed its
reward); and the base payment of every place recruited whose participant has not yet reached
the ledger. Bonuses and compensations still `intended` are not counted: each is checked when
it is claimed, so a payout the cap later refuses never crowds out one that fits.

Both checks run under `BUDGET_LOCK` (a PostgreSQL advisory lock held to the end of the
transaction), so two processes cannot both spend the last of a budget. A payout no cap can
refuse (`budget_may_refuse`) is claimed without it: most studies set no cap, and the lock
would make every payout of every process wait in one queue for nothing.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum

from core.locks import lock_keys
from core.models import Recruitment
from recruitment.models import LedgerNotice, Payment, RecruitmentRefusal
from recruitment.notices.outbox import experimenter_notify

logger = logging.getLogger(__name__)

#: Held while a payout or new places are checked against the caps and committed.
BUDGET_LOCK = "ledger:budget"
#: The share of the budget at which the experimenter is warned the first time.
WARNING_FRACTION = Decimal("0.8")
CENT = Decimal("0.01")

_COMMITTED = Q(state__in=(Payment.State.SENDING, Payment.State.SENT, Payment.State.UNKNOWN)) | Q(
    state=Payment.State.INTENDED, kind=Payment.Kind.BASE
)


def budget_may_refuse(payment: Payment, *, config) -> bool:
    """Whether a cap could refuse `payment` (and `budget_refusal` must run, under `BUDGET_LOCK`).

    A base payment is never refused: it is the reward advertised when the place was recruited,
    which the budget reserved then, and it pays work already done; `max_participant_payment`
    bounds what is added to it (bonus, compensation). Without either cap nothing is refused.
    """
    if config is None or payment.kind == Payment.Kind.BASE:
        return False
    return _cap(config, "max_participant_payment") is not None or _cap(config, "budget") is not None


def budget_refusal(payment: Payment, *, config) -> str | None:
    """Why paying `payment` would break a cap, or None; called as the ledger claims the row
    (the row locked, `BUDGET_LOCK` held when `budget_may_refuse`). Sends the budget notices
    the payout brings about.
    """
    if not budget_may_refuse(payment, config=config):
        return None
    amount = payment.amount
    per_participant = _cap(config, "max_participant_payment")
    if per_participant is not None:
        same_assignment = Payment.objects.filter(
            participant_id=payment.participant_id, assignment_id=payment.assignment_id, recruiter=payment.recruiter
        )
        already = _total(same_assignment.filter(_COMMITTED).exclude(pk=payment.pk))
        if already + amount > per_participant:
            return (
                f"the {payment.kind} of {amount} would bring participant {payment.participant_id}'s pay to "
                f"{already + amount}, above max_participant_payment {per_participant}"
            )
    budget = _cap(config, "budget")
    if budget is None:
        return None
    experiment_id = payment.experiment or _experiment_id(config)
    committed = budget_committed(experiment_id=experiment_id, base_payment=_base_payment(config))
    if committed + amount > budget:
        _budget_notices(config, experiment_id, committed, budget, refused=True)
        return (
            f"the {payment.kind} of {amount} for participant {payment.participant_id} would bring the "
            f"experiment's spending to {committed + amount}, above budget {budget} ({committed} committed)"
        )
    _budget_notices(config, experiment_id, committed + amount, budget)
    return None


def budget_allow_recruitment(*, config, recruiter_nickname: str, n: int, price, currency: str = "") -> int:
    """How many of `n` more places, each costing `price` (the base payment), the budget allows;
    when fewer than `n`, the refusal is recorded (RecruitmentRefusal) with its reason.

    Call it inside the transaction that records the places (`record_recruitments`): the lock it
    takes is held to that transaction's end, so two recruitments cannot both take the last of
    the budget.
    """
    n = max(0, int(n))
    budget = _cap(config, "budget")
    if budget is None or n == 0:
        return n
    price = _money(price)
    with transaction.atomic():
        lock_keys(BUDGET_LOCK)
        experiment_id = _experiment_id(config)
        committed = budget_committed(experiment_id=experiment_id, base_payment=_base_payment(config))
        left = max(Decimal(0), budget - committed)
        allowed = n if price <= 0 else min(n, int(left // price))
        if allowed < n:
            reason = (
                f"{n - allowed} of {n} {recruiter_nickname} place(s) at {price} refused: {n} would bring the "
                f"experiment's spending to {committed + n * price}, above budget {budget} ({committed} committed)"
            )
            RecruitmentRefusal.objects.create(
                experiment=experiment_id, recruiter=recruiter_nickname, requested=n, allowed=allowed,
                price=price, currency=currency or "", reason=reason,
            )  # fmt: skip
            logger.warning("Recruitment limited by the budget: %s", reason)
        _budget_notices(config, experiment_id, committed + allowed * price, budget, refused=allowed < n)
    return allowed


def budget_committed(*, experiment_id: str, base_payment, places_waiting: int | None = None) -> Decimal:
    """What experiment `experiment_id` has committed (see the module's docstring);
    `places_waiting`, when the caller has just counted them, saves counting them again."""
    payments = Payment.objects.filter(experiment=experiment_id)
    if places_waiting is None:
        places_waiting = _places_waiting(experiment_id)
    return _total(payments.filter(_COMMITTED)) + places_waiting * _money(base_payment)


def budget_status(config) -> dict:
    """The experiment's spending against its caps, in the study's currency: totals by state,
    what is committed, the cap and the share of it committed (None without a cap)."""
    experiment_id = _experiment_id(config)
    payments = Payment.objects.filter(experiment=experiment_id)
    by_state = payments.aggregate(
        **{state: Sum("amount", filter=Q(state=state)) for state in Payment.State.values},
        intended_base=Sum("amount", filter=Q(state=Payment.State.INTENDED, kind=Payment.Kind.BASE)),
        refused_payouts=Count("pk", filter=Q(state=Payment.State.REFUSED)),
    )
    refused_payouts = by_state.pop("refused_payouts")
    places = _places_waiting(experiment_id)
    base_payment = _base_payment(config)
    refused_places = RecruitmentRefusal.objects.filter(experiment=experiment_id).aggregate(
        requested=Sum("requested"), allowed=Sum("allowed"), refusals=Count("id")
    )
    committed = budget_committed(experiment_id=experiment_id, base_payment=base_payment, places_waiting=places)
    cap = _cap(config, "budget")
    currency = payments.exclude(currency="").values_list("currency", flat=True).first() or ""
    money = {key: value or Decimal("0.00") for key, value in by_state.items()}
    return {
        "experiment": experiment_id,
        "currency": currency,
        "committed": committed,
        "sent": money[Payment.State.SENT],
        "in_flight": money[Payment.State.SENDING],
        "unknown": money[Payment.State.UNKNOWN],
        "intended": money[Payment.State.INTENDED],
        "intended_base": money["intended_base"],
        "failed": money[Payment.State.FAILED],
        "refused": money[Payment.State.REFUSED],
        "refused_payouts": refused_payouts,
        "places_waiting": places,
        "places_reserved": places * base_payment,
        "refused_places": (refused_places["requested"] or 0) - (refused_places["allowed"] or 0),
        "cap": cap,
        "fraction": (committed / cap) if cap else None,
        "max_participant_payment": _cap(config, "max_participant_payment"),
    }


def _budget_notices(config, experiment_id: str, committed: Decimal, budget: Decimal, *, refused: bool = False) -> None:
    """Notify the experimenter, once per experiment each, at 80 % of the budget and at the cap."""
    if budget > 0 and committed >= budget * WARNING_FRACTION:
        _notice(
            config,
            f"budget-80:{experiment_id}",
            f"Experiment {experiment_id or '(no id)'} has committed {committed} of its budget of {budget} "
            f"({committed / budget:.0%}).",
        )
    if refused or committed >= budget:
        _notice(
            config,
            f"budget-cap:{experiment_id}",
            f"Experiment {experiment_id or '(no id)'} has reached its budget of {budget} ({committed} committed): "
            "further recruitment and bonuses are refused.",
        )


def _notice(config, key: str, message: str) -> None:
    """Record the notice `key` once; the first time, log it and email it (from a task, after
    the commit: the mail server is slow and may fail, and neither may hold up or undo the payout)."""
    _, created = LedgerNotice.objects.get_or_create(key=key, defaults={"message": message})
    if not created:
        return
    logger.warning("%s", message)
    experimenter_notify(
        config=config, kind="budget", key=f"budget:{key}", facts={"notice": message, "app_id": _experiment_id(config)}
    )


def _places_waiting(experiment_id: str) -> int:
    """Places recruited whose participant has not yet reached the ledger (each has one base row)."""
    arrived = Payment.objects.filter(experiment=experiment_id, kind=Payment.Kind.BASE).count()
    return max(0, Recruitment.objects.count() - arrived)


def _total(payments) -> Decimal:
    return payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def _cap(config, key: str) -> Decimal | None:
    value = config.get(key) if config is not None else None
    return None if value in (None, "") else _money(value)


def _base_payment(config) -> Decimal:
    return _money(config.get("base_payment") or 0)


def _experiment_id(config) -> str:
    return config.get("id") or ""


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)
