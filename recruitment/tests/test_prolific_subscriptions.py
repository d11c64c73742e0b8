"""Setting up, listing and removing Prolific webhook subscriptions, against the fake Prolific."""

import pytest

from recruitment.base import RecruiterError
from recruitment.prolific.subscriptions import (
    EVENT_TYPES,
    SubscriptionError,
    subscriptions_list,
    subscriptions_remove,
    subscriptions_setup,
    webhook_url,
)

TARGET = "https://experiment.example.org/prolific-webhook"


class Config(dict):
    """The configuration keys these functions read."""

    def get(self, key, default=None):
        return super().get(key, default)


@pytest.fixture
def config(fake_prolific):
    return Config(
        prolific_api_token=fake_prolific.token,
        prolific_api_base_url=fake_prolific.base_url,
        prolific_workspace="my WORKSPACE",
    )


def confirmed(fake, target=TARGET) -> dict:
    """Event type → whether a confirmed subscription sends it to `target`."""
    return {s["event_type"]: s["confirmed"] for s in fake.subscriptions.values() if s["target_url"] == target}


def test_setup_subscribes_and_confirms_each_event_type_and_returns_the_secret(fake_prolific, config):
    secret = subscriptions_setup(config, TARGET)

    assert secret == fake_prolific.secrets[fake_prolific.workspace_id]["value"]
    assert confirmed(fake_prolific) == {event_type: True for event_type in EVENT_TYPES}


def test_setup_again_replaces_the_secret_and_keeps_the_subscriptions(fake_prolific, config):
    first = subscriptions_setup(config, TARGET)
    subscription_ids = set(fake_prolific.subscriptions)

    second = subscriptions_setup(config, TARGET)

    assert second != first
    assert second == fake_prolific.secrets[fake_prolific.workspace_id]["value"]
    assert set(fake_prolific.subscriptions) == subscription_ids


@pytest.mark.parametrize(
    "target",
    ["http://experiment.example.org/prolific-webhook", "ftp://example.org/x", "not a url", "https:///nohost"],
)
def test_setup_refuses_an_address_prolific_cannot_reach_and_changes_nothing(fake_prolific, config, target):
    with pytest.raises(SubscriptionError, match="https"):
        subscriptions_setup(config, target)

    assert not fake_prolific.secrets
    assert not fake_prolific.subscriptions


@pytest.mark.parametrize("target", ["http://127.0.0.1:8000/prolific-webhook", "http://localhost:8000/prolific-webhook"])
def test_plain_http_is_allowed_on_this_machine(fake_prolific, config, target):
    subscriptions_setup(config, target)

    assert confirmed(fake_prolific, target) == {event_type: True for event_type in EVENT_TYPES}


def test_an_unknown_workspace_is_a_readable_error_and_nothing_is_made(fake_prolific, config):
    config["prolific_workspace"] = "Nowhere"

    with pytest.raises(RecruiterError, match="Nowhere"):
        subscriptions_setup(config, TARGET)
    assert not fake_prolific.secrets


def test_setup_without_a_token_says_which_key_to_set(config):
    config["prolific_api_token"] = ""

    with pytest.raises(RecruiterError, match="prolific_api_token"):
        subscriptions_setup(config, TARGET)


def test_list_shows_the_workspaces_subscriptions(fake_prolific, config):
    subscriptions_setup(config, TARGET)

    listed = subscriptions_list(config)

    assert sorted(s["event_type"] for s in listed) == sorted(EVENT_TYPES)
    assert {s["target_url"] for s in listed} == {TARGET}
    assert all("hook_secret" not in s for s in listed)


def test_remove_one_by_id(fake_prolific, config):
    subscriptions_setup(config, TARGET)
    chosen = next(iter(fake_prolific.subscriptions))

    assert subscriptions_remove(config, chosen) == [chosen]
    assert chosen not in fake_prolific.subscriptions
    assert len(fake_prolific.subscriptions) == len(EVENT_TYPES) - 1


def test_remove_an_unknown_id_is_an_error_and_removes_nothing(fake_prolific, config):
    subscriptions_setup(config, TARGET)

    with pytest.raises(SubscriptionError, match="no webhook subscription"):
        subscriptions_remove(config, "0" * 24)
    assert len(fake_prolific.subscriptions) == len(EVENT_TYPES)


def test_remove_all_takes_only_this_servers_subscriptions(fake_prolific, config, settings):
    settings.DALLINGER_BASE_URL = "https://experiment.example.org"
    other = "https://other.example.org/prolific-webhook"
    subscriptions_setup(config, webhook_url())
    subscriptions_setup(config, other)

    removed = subscriptions_remove(config)

    assert len(removed) == len(EVENT_TYPES)
    assert {s["target_url"] for s in fake_prolific.subscriptions.values()} == {other}
