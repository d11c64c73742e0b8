"""Compensating a Mechanical Turk worker: a qualification only they hold, and a one-assignment
HIT that requires it, whose reward is the compensation (paid when they submit it)."""

import logging

from recruitment.mturk.client import (
    MTurkDuplicateToken,
    MTurkError,
    MTurkUnavailable,
    request_token,
    submit_url,
)
from recruitment.mturk.questions import compensation_question, must_have
from recruitment.payments import ledger

logger = logging.getLogger(__name__)

TITLE = "Dallinger Compensation HIT"
QUALIFICATION_PREFIX = "Dallinger Compensation Qualification - "
DURATION_HOURS = 1
LIFETIME_DAYS = 3


def qualification_name(key: str) -> str:
    """The compensation qualification's name: unique to the ledger key, so a resumed payout
    finds the one it made instead of making another."""
    return QUALIFICATION_PREFIX + request_token(key)[:16]


def compensation_send(*, client, payment, steps, notify: bool) -> str:
    """Make the ledger's compensation `payment` to its worker: the qualification (its id kept
    as the prepared step), granted with score 1 (MTurk emails the worker if `notify`), then
    the HIT, whose request token is made from the ledger key. The HIT's id."""
    amount = f"{payment.amount:.2f}"
    try:
        qualification_id = payment.setup_id
        if not qualification_id:
            qualification = client.qualification_type_ensure(
                name=qualification_name(payment.key),
                description=(
                    "You have received a qualification to allow you to complete a compensation HIT "
                    f"from Dallinger for ${amount}."
                ),
            )
            qualification_id = qualification["id"]
            steps.prepared(qualification_id)
        client.qualification_assign(
            qualification_id=qualification_id, worker_id=payment.worker_id, score=1, notify=notify
        )
        hit_type_id = client.hit_type_create(
            title=TITLE,
            description=f"For compensation only: no task is required. Reward ${amount}.",
            reward=amount,
            duration_hours=DURATION_HOURS,
            keywords=[],
            qualifications=[must_have(qualification_id)],
        )
    except MTurkUnavailable as error:
        # Nothing that pays has been asked for yet: safe to try again.
        raise ledger.PaymentNotReady(str(error)) from error
    except MTurkError as error:
        raise ledger.PaymentRefused(str(error)) from error
    steps.paying()
    try:
        hit = client.hit_create(
            hit_type_id=hit_type_id,
            question=compensation_question(title=TITLE, submit_url=submit_url(client.sandbox)),
            lifetime_days=LIFETIME_DAYS,
            max_assignments=1,
            token=request_token(payment.key),
        )
    except MTurkDuplicateToken:
        logger.info("The compensation HIT of %s was created before.", payment.key)
        return ""
    except MTurkUnavailable:
        raise
    except MTurkError as error:
        raise ledger.PaymentRefused(str(error)) from error
    logger.info("Compensation HIT %s for worker %s (%s USD).", hit["id"], payment.worker_id, amount)
    return hit["id"]
