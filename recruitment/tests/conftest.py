"""Fixtures of recruitment's tests: Mechanical Turk through botocore's Stubber, and Amazon SNS's
stand-in for the SNS listener."""

import pytest

from experiments.tests.api_support import TEST_EXPERIMENTS
from recruitment.mturk import sns
from recruitment.tests.mturk_support import MTurkStubs
from recruitment.tests.sns_support import EXPERIMENT_ID
from tests.fakes.sns import FakeSns


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
