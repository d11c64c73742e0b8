"""Subscribing this server to Prolific's webhooks, listing and removing the subscriptions.

Used by `manage.py prolific webhooks`. Setting up creates the workspace's signing secret,
which REPLACES the workspace's previous one: any other server receiving this workspace's
webhooks must be given the new secret too.
"""

import ipaddress
import logging
from urllib.parse import urlsplit

from django.conf import settings

from recruitment.base import RecruiterError
from recruitment.prolific.connection import client_for
from recruitment.prolific.workspaces import workspace_id

logger = logging.getLogger(__name__)

#: The events the project applies (recruitment/prolific/webhooks.py).
EVENT_TYPES = ("submission.status.change", "study.status.change")
#: Where this server receives them, under its public address.
WEBHOOK_PATH = "/prolific-webhook"


class SubscriptionError(RecruiterError):
    """A subscription cannot be made or removed as asked."""


def webhook_url(base_url: str | None = None) -> str:
    """The address Prolific should send events to: the server's base URL + /prolific-webhook."""
    return (base_url or settings.DALLINGER_BASE_URL).rstrip("/") + WEBHOOK_PATH


def subscriptions_setup(config, target_url: str) -> str:
    """Create the workspace's signing secret, subscribe `target_url` to every event type the
    project applies (those already subscribed to it are kept) and confirm each subscription.

    Returns the secret, for the caller to store as `prolific_webhook_secret`: Prolific never
    shows it again. It replaces the workspace's previous secret.
    """
    _require_https(target_url)
    client = client_for(config)
    workspace = workspace_id(client, config.get("prolific_workspace"))
    existing = {
        subscription.get("event_type")
        for subscription in client.subscriptions(workspace)
        if subscription.get("target_url") == target_url
    }
    secret = client.create_secret(workspace).get("value")
    if not secret:
        raise SubscriptionError("Prolific created a webhook secret but did not return its value.")
    for event_type in EVENT_TYPES:
        if event_type in existing:
            continue
        subscription, hook_secret = client.create_subscription(workspace, event_type, target_url)
        if not hook_secret:
            raise SubscriptionError(
                f"Prolific did not return the X-Hook-Secret for the {event_type} subscription "
                f"{subscription.get('id')}: remove it and set up again."
            )
        client.confirm_subscription(subscription["id"], hook_secret)
        logger.info("Subscribed %s to Prolific's %s events.", target_url, event_type)
    return secret


def subscriptions_list(config) -> list[dict]:
    """The webhook subscriptions of the configured workspace (id, event_type, target_url, is_enabled)."""
    client = client_for(config)
    return client.subscriptions(workspace_id(client, config.get("prolific_workspace")))


def subscriptions_remove(config, subscription_id: str | None = None, *, target_url: str | None = None) -> list[str]:
    """Remove one subscription of the configured workspace, or (no id) every one that sends
    to `target_url` (default: this server's webhook address). The ids removed."""
    client = client_for(config)
    subscriptions = client.subscriptions(workspace_id(client, config.get("prolific_workspace")))
    if subscription_id is not None:
        if not any(subscription.get("id") == subscription_id for subscription in subscriptions):
            raise SubscriptionError(f"The workspace has no webhook subscription {subscription_id}.")
        chosen = [subscription_id]
    else:
        target = target_url or webhook_url()
        chosen = [s["id"] for s in subscriptions if s.get("target_url") == target]
    for chosen_id in chosen:
        client.delete_subscription(chosen_id)
        logger.info("Removed Prolific webhook subscription %s.", chosen_id)
    return chosen


def _require_https(target_url: str) -> None:
    """Prolific delivers only to public https:// addresses; plain http is allowed on this machine."""
    parts = urlsplit(target_url or "")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return
    raise SubscriptionError(
        f"Prolific sends webhooks only to a public https:// address, not {target_url!r}: "
        "set DALLINGER_BASE_URL to the server's https address."
    )


def _loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
