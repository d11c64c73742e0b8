"""Helpers of the SNS listener's tests: the experiment's id (its topic's name) and deliveries."""

import json

from django.test import TestCase

from core.models import Notification

URL = "/mturk-sns-listener"
#: The experiment's id, so also the name of the SNS topic its MTurk events come through.
EXPERIMENT_ID = "6c1d5a0e-sns-test"


def deliver(client, message=None, *, raw=None, method="POST"):
    """Send one SNS delivery as SNS does (a JSON text body) and run what it enqueued."""
    body = raw if raw is not None else json.dumps(message)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.generic(method, URL, body, content_type="text/plain; charset=UTF-8")


def events_recorded() -> list[tuple[str, str]]:
    """The recruiter events stored (not the recording experiment's hook rows)."""
    rows = Notification.objects.exclude(event_type="hook").order_by("id")
    return [(row.event_type, row.assignment_id) for row in rows]
