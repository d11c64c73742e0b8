"""The work of `/mturk-sns-listener`: a verified SNS message kept once, then acted on after commit.

A Notification carries MTurk events (one message can hold several): each is stored as a
recruiter event and applied by a task, through the experiment's hooks (recruitment/events.py).
A SubscriptionConfirmation is confirmed by a task. The message is written down under its
MessageId, which is unique, so a message SNS delivers twice (or two web processes receive at
once) is acted on once.
"""

import json
import logging

from django.db import DataError, transaction
from django.utils import timezone

from core.background import send_after_commit
from recruitment import events
from recruitment.models import SnsMessage
from recruitment.mturk import sns
from recruitment.mturk.hit import hit_topic_arn
from recruitment.mturk.sns import MessageRefused

logger = logging.getLogger(__name__)

#: Longest MessageId kept (SNS's are UUIDs).
MESSAGE_ID_LIMIT = 100
#: Longest event field kept (MTurk's ids are about 30 characters).
EVENT_FIELD_LIMIT = 255


def sns_message_receive(*, raw_body: bytes, experiment_id: str) -> dict:
    """Verify and keep one SNS delivery for experiment `experiment_id`; the answer to give SNS.

    The topic expected is the one recorded with the experiment's HIT; before there is one (the
    subscription is confirmed before the HIT is made), any topic named after the experiment.
    Raises MessageRefused, having written nothing: 400 for a body that is not an SNS message
    (or a Notification whose Message holds no MTurk events), 403 for a message SNS did not
    sign for this experiment's topic, 503 when SNS's certificate cannot be fetched now.
    """
    try:
        message = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MessageRefused(400, "The body is not JSON.", "malformed_body") from None
    sns.message_verify(message, experiment_id=experiment_id, configured_arn=hit_topic_arn(experiment_id))
    message_id = message["MessageId"]
    if len(message_id) > MESSAGE_ID_LIMIT:
        raise MessageRefused(400, "MessageId is too long.", "malformed_body")
    mturk_events = _mturk_events(message) if message["Type"] == "Notification" else []
    try:
        with transaction.atomic():
            # Two deliveries of one message racing each other: get_or_create catches the unique
            # constraint's error in a savepoint and finds the other's row, so one acts.
            row, created = SnsMessage.objects.get_or_create(
                message_id=message_id,
                defaults={"message_type": message["Type"], "topic_arn": message["TopicArn"], "body": message},
            )
            if created:
                _act_on(row, mturk_events)
            elif row.message_type == "SubscriptionConfirmation" and row.confirmed_at is None:
                # SNS repeats a confirmation request that was not confirmed (the first
                # attempt failed): try again.
                _confirm_after_commit(row)
    except (DataError, ValueError):
        # Text the database cannot store (a NUL character, say).
        raise MessageRefused(400, "The message could not be stored.", "malformed_body") from None
    return {"status": "success", "message_id": message_id, "duplicate": not created}


def _mturk_events(message: dict) -> list[dict]:
    """The events of a Notification's Message (a JSON string holding `Events`), each checked."""
    try:
        content = json.loads(message["Message"])
    except (ValueError, RecursionError):
        raise MessageRefused(400, "The notification's Message is not JSON.", "malformed_message") from None
    listed = content.get("Events") if isinstance(content, dict) else None
    if not isinstance(listed, list) or not listed:
        raise MessageRefused(400, "The notification's Message holds no Events list.", "malformed_message")
    checked = []
    for event in listed:
        fields = event if isinstance(event, dict) else {}
        if not isinstance(fields.get("EventType"), str) or not fields["EventType"]:
            raise MessageRefused(400, "Each event needs an EventType.", "malformed_message")
        for name in ("EventType", "AssignmentId", "HITId", "HITTypeId", "EventTimestamp"):
            value = fields.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > EVENT_FIELD_LIMIT):
                raise MessageRefused(400, f"An event's {name} is not a short text.", "malformed_message")
        checked.append(fields)
    return checked


def _act_on(row: SnsMessage, mturk_events: list[dict]) -> None:
    if row.message_type == "Notification":
        for event in mturk_events:
            try:
                events.event_record(
                    event_type=event["EventType"],
                    assignment_id=event.get("AssignmentId") or "",
                    details={
                        "hit_id": event.get("HITId") or "",
                        "hit_type_id": event.get("HITTypeId") or "",
                        "event_timestamp": event.get("EventTimestamp") or "",
                        "sns_message_id": row.message_id,
                    },
                )
            except events.EventError as error:
                # An assignment's event naming no assignment: nobody to apply it to.
                logger.warning("An event of SNS message %s was skipped: %s", row.message_id, error)
    elif row.message_type == "SubscriptionConfirmation":
        logger.info("SNS asks to confirm a subscription to %s.", row.topic_arn)
        _confirm_after_commit(row)
    else:
        logger.info("SNS says a subscription to %s was removed.", row.topic_arn)


def _confirm_after_commit(row: SnsMessage) -> None:
    from recruitment import tasks

    send_after_commit(tasks.mturk_subscription_confirm.s(row.pk))


def subscription_confirm(*, sns_message_id: int) -> bool:
    """Confirm the subscription a kept SubscriptionConfirmation asked for; whether this call
    confirmed it (False if it was confirmed before). Raises sns.FetchFailed when SNS cannot be
    reached, for the task to try again.

    The confirmation is a GET of the message's SubscribeURL, as AWS documents for HTTP(S)
    endpoints, rather than boto3's `confirm_subscription` (what Dallinger calls): the URL holds
    the token, so no AWS credentials are needed in the web or worker processes, and it is part
    of the signed text and was checked to be an HTTPS address on an SNS host, so nothing else
    can be made to be fetched. Confirming twice does no harm, so a retry is safe.
    """
    row = SnsMessage.objects.get(pk=sns_message_id)
    if row.confirmed_at is not None:
        return False
    url = row.body.get("SubscribeURL")
    if not sns.sns_url_allowed(url):
        # Checked when the message arrived; kept as a guard on what is fetched.
        raise MessageRefused(403, "SubscribeURL is not an HTTPS address on an SNS host.", "bad_subscribe_url")
    sns.fetch(url)
    updated = SnsMessage.objects.filter(pk=row.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    logger.info("Confirmed the SNS subscription to %s.", row.topic_arn)
    return bool(updated)
