"""Fixtures of recruitment's tests: Mechanical Turk through botocore's Stubber."""

import pytest

from recruitment.tests.mturk_support import MTurkStubs


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
