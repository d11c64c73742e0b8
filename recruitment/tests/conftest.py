"""Fixtures and helpers of recruitment's tests: Mechanical Turk through botocore's Stubber,
Amazon SNS's stand-in and deliveries to the SNS listener."""

import json

import pytest
from django.test import TestCase

from core.models import Notification
from experiments.tests.api_support import TEST_EXPERIMENTS
from recruitment.mturk import sns
from recruitment.tests.mturk_support import MTurkStubs
from tests.fakes.sns import FakeSns

URL = "/mturk-sns-listener"
#: The experiment's id, so also the name of the SNS topic its MTurk events come through.
EXPERIMENT_ID = "6c1d5a0e-sns-test"


@pytest.fixture
def mturk(monkeypatch):
    """Every boto3 client the MTurk code builds is a real one answered by botocore's Stubber:
    `mturk.mturk` and `mturk.sns` take the expected calls (parameters asserted), `mturk.built`
    lists the clients built. At the end, every expected call must have been made."""
    from recruitment.mturk import client as client_module

    stubs = MTurkStubs()
    monkeypatch.setattr(client_module, "boto3_client", stubs.build)
    with stubs.mturk, stubs.sns:
        yield stubs
        stubs.mturk.assert_no_pending_responses()
        stubs.sns.assert_no_pending_responses()


@pytest.fixture
def fake_sns(monkeypatch):
    """SNS's HTTPS addresses answered by a stand-in; no certificate kept from another test."""
    fake = FakeSns()
    monkeypatch.setattr(sns, "fetch", fake.fetch)
    sns.signing_keys_forget()
    yield fake
    sns.signing_keys_forget()


@pytest.fixture
def sns_experiment(db, use_experiment):
    """The test experiment that records its hooks, with an id (its SNS topic's name)."""
    return use_experiment(TEST_EXPERIMENTS / "recording", id=EXPERIMENT_ID)


def deliver(client, message=None, *, raw=None, method="POST"):
    """Send one SNS delivery as SNS does (a JSON text body) and run what it enqueued."""
    body = raw if raw is not None else json.dumps(message)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.generic(method, URL, body, content_type="text/plain; charset=UTF-8")


def events_recorded() -> list[tuple[str, str]]:
    """The recruiter events stored (not the recording experiment's hook rows)."""
    rows = Notification.objects.exclude(event_type="hook").order_by("id")
    return [(row.event_type, row.assignment_id) for row in rows]
