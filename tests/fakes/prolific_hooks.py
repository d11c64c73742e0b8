"""The fake Prolific's webhooks: secrets, subscriptions, and signed event deliveries to the test's server."""

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from tests.fakes.prolific_common import new_id, require

EVENT_TYPES = {
    "submission.status.change": "A submission's status changed.",
    "study.status.change": "A study's status changed.",
    "study.progress.change": "A study's progress changed.",
    "study.has_high_return_rate": "A study has a high return rate.",
}


@dataclass
class Event:
    """One event Prolific sends: the same id and timestamp on every delivery of it."""

    event_type: str
    body: dict
    workspace_id: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: int = field(default_factory=lambda: int(time.time()))


def signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    """Prolific's signature: base64 of HMAC-SHA256 over the timestamp followed by the raw body."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class HooksMixin:
    """Webhook secrets, subscriptions and deliveries of the fake."""

    hook_routes = [
        ("GET", r"/hooks/event-types/", "_list_event_types"),
        ("POST", r"/hooks/secrets/", "_create_secret"),
        ("GET", r"/hooks/secrets/", "_list_secrets"),
        ("POST", r"/hooks/subscriptions/", "_create_subscription"),
        ("GET", r"/hooks/subscriptions/", "_list_subscriptions"),
        ("POST", r"/hooks/subscriptions/(\w+)/", "_confirm_subscription"),
        ("GET", r"/hooks/subscriptions/(\w+)/", "_get_subscription"),
        ("PATCH", r"/hooks/subscriptions/(\w+)/", "_update_subscription"),
        ("DELETE", r"/hooks/subscriptions/(\w+)/", "_delete_subscription"),
    ]

    def _init_hooks(self, auto_deliver: bool, delivery_timeout: float):
        self.secrets = {}  # workspace id → {"id", "value", "workspace_id"}
        self.subscriptions = {}  # id → subscription, with its private "hook_secret" and "confirmed"
        #: Every event made, by id, in the order made.
        self.events = {}
        #: Events waiting for `deliver_pending` while `auto_deliver` is off.
        self.pending_events = []
        #: Every delivery attempt: (event id, status code or None when the connection failed).
        self.deliveries = []
        self.auto_deliver = auto_deliver
        self.delivery_timeout = delivery_timeout
        self._outbox = queue.Queue()
        self._unfinished = 0
        self._idle = threading.Condition()
        self._courier = None

    # Test side

    def deliver(self, event, *, times: int = 1, concurrently: bool = False) -> list:
        """Send an event (or an event id) `times` times, at once if `concurrently`; returns the status codes."""
        event = self.events[event] if isinstance(event, str) else event
        if not concurrently:
            return [self._send(event) for _ in range(times)]
        results = [None] * times
        start = threading.Barrier(times)

        def one(index):
            start.wait()
            results[index] = self._send(event)

        threads = [threading.Thread(target=one, args=(index,)) for index in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def redeliver(self, event_id: str):
        """Send an event again with the same X-Event-ID, as Prolific does after a failure; returns the status code."""
        return self.deliver(event_id)[0]

    def deliver_pending(self) -> list:
        """Send, in order, the events held while `auto_deliver` is off; returns their status codes."""
        with self.lock:
            held, self.pending_events = self.pending_events, []
        return [code for event in held for code in self.deliver(event)]

    def send_event(
        self, event_type: str, body: dict, *, timestamp=None, secret=None, workspace_id=None, target_url=None
    ):
        """Make and send a hand-written event (stale with an old `timestamp`, forged with a wrong `secret`).

        It goes to `target_url` if given, else to the subscriptions that want it. Returns the Event;
        the delivery results are in `.deliveries`.
        """
        event = Event(event_type, {"event_type": event_type, **body}, workspace_id or self.workspace_id)
        if timestamp is not None:
            event.timestamp = int(timestamp)
        with self.lock:
            self.events[event.id] = event
        self._send(event, secret=secret, timestamp=timestamp, target_url=target_url)
        return event

    def wait_deliveries(self, timeout: float = 10) -> bool:
        """Wait until every automatic delivery has been attempted; False if some are still going."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def subscription_secret(self, subscription_id) -> str:
        """The X-Hook-Secret a subscription was created with."""
        with self.lock:
            return self.subscriptions[subscription_id]["hook_secret"]

    # Handlers

    def _list_event_types(self, request):
        return 200, {"results": [{"event_type": name, "description": text} for name, text in EVENT_TYPES.items()]}

    def _create_secret(self, request):
        workspace_id = (request.json or {}).get("workspace_id")
        require(workspace_id in self.workspaces, 400, {"workspace_id": ["No workspace with this id."]})
        secret = {"id": new_id(), "value": secrets.token_urlsafe(48), "workspace_id": workspace_id}
        self.secrets[workspace_id] = secret  # one secret per workspace: a new one replaces the old
        return 201, secret

    def _list_secrets(self, request):
        workspace_id = request.query.get("workspace_id")
        return 200, {"results": [s for w, s in self.secrets.items() if workspace_id in (None, w)]}

    def _create_subscription(self, request):
        body = request.json if isinstance(request.json, dict) else {}
        errors = {}
        if body.get("workspace_id") not in self.workspaces:
            errors["workspace_id"] = ["No workspace with this id."]
        elif body["workspace_id"] not in self.secrets:
            errors["workspace_id"] = ["Create a secret for this workspace first."]
        if body.get("event_type") not in EVENT_TYPES:
            errors["event_type"] = [f"Must be one of {sorted(EVENT_TYPES)}."]
        target = body.get("target_url")
        schemes = ("https://",) if self.require_https else ("https://", "http://")
        if not isinstance(target, str) or not target.startswith(schemes):
            errors["target_url"] = ["A public https:// URL is required."]
        require(not errors, 400, errors)
        subscription = {
            "id": new_id(),
            "event_type": body["event_type"],
            "target_url": target,
            "workspace_id": body["workspace_id"],
            "is_enabled": body.get("is_enabled", True) is not False,
        }
        self.subscriptions[subscription["id"]] = {
            **subscription,
            "hook_secret": secrets.token_hex(32),
            "confirmed": False,
        }
        return 201, subscription, {"X-Hook-Secret": self.subscriptions[subscription["id"]]["hook_secret"]}

    def _list_subscriptions(self, request):
        workspace_id = request.query.get("workspace_id")
        found = [self._public(s) for s in self.subscriptions.values() if workspace_id in (None, s["workspace_id"])]
        return 200, {"results": found}

    def _confirm_subscription(self, request):
        subscription = self._subscription_or_404(request.groups[0])
        given = (request.json or {}).get("secret")
        require(isinstance(given, str) and hmac.compare_digest(given, subscription["hook_secret"]), 400,
                {"secret": ["This is not the subscription's X-Hook-Secret."]})  # fmt: skip
        subscription["confirmed"] = True
        return 200, self._public(subscription)

    def _get_subscription(self, request):
        return 200, self._public(self._subscription_or_404(request.groups[0]))

    def _update_subscription(self, request):
        subscription = self._subscription_or_404(request.groups[0])
        fields = {k: v for k, v in (request.json or {}).items() if k in {"event_type", "target_url", "is_enabled"}}
        subscription.update(fields)
        return 200, self._public(subscription)

    def _delete_subscription(self, request):
        self._subscription_or_404(request.groups[0])
        del self.subscriptions[request.groups[0]]
        return 204, None

    # Events

    def _on_submission_status_change(self, submission):
        body = {
            "resource_id": submission["id"],
            "event_type": "submission.status.change",
            "participant_id": submission["participant_id"],
            "status": submission["status"],
        }
        self._emit(body, self._workspace_of(submission["study_id"]))

    def _on_study_status_change(self, study):
        body = {
            "resource_id": study["id"],
            "event_type": "study.status.change",
            "status": study["status"],
            "metadata": {},
        }
        self._emit(body, self._workspace_of(study["id"]))

    def _workspace_of(self, study_id):
        project = self.projects.get(self.studies[study_id]["project"], {})
        return project.get("workspace")

    def _emit(self, body, workspace_id):
        """Record an event; queue it for delivery when a confirmed subscription wants it (lock held)."""
        if not any(self._wants(s, body["event_type"], workspace_id) for s in self.subscriptions.values()):
            return
        event = Event(body["event_type"], body, workspace_id)
        self.events[event.id] = event
        if not self.auto_deliver:
            self.pending_events.append(event)
            return
        with self._idle:
            self._unfinished += 1
        self._outbox.put(event)
        if self._courier is None:
            self._courier = threading.Thread(target=self._courier_loop, name="fake-prolific-webhooks", daemon=True)
            self._courier.start()

    def _courier_loop(self):
        while True:
            event = self._outbox.get()
            if event is None:
                return
            try:
                self._send(event)
            finally:
                with self._idle:
                    self._unfinished -= 1
                    self._idle.notify_all()

    def _stop_courier(self):
        if self._courier is not None:
            self._outbox.put(None)
            self._courier.join(timeout=5)
            self._courier = None

    @staticmethod
    def _wants(subscription, event_type, workspace_id) -> bool:
        return (
            subscription["confirmed"]
            and subscription["is_enabled"]
            and subscription["event_type"] == event_type
            and subscription["workspace_id"] == workspace_id
        )

    def _send(self, event, *, secret=None, timestamp=None, target_url=None):
        """POST one event to every subscription that wants it, signed; returns the last status code."""
        with self.lock:
            targets = (
                [target_url]
                if target_url
                else [
                    s["target_url"]
                    for s in self.subscriptions.values()
                    if self._wants(s, event.event_type, event.workspace_id)
                ]
            )
            secret = secret if secret is not None else self.secrets.get(event.workspace_id, {}).get("value", "")
        raw = json.dumps(event.body).encode("utf-8")
        sent_at = str(int(timestamp if timestamp is not None else time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Prolific-Request-Signature": signature(secret, sent_at, raw),
            "X-Prolific-Request-Timestamp": sent_at,
            "X-Event-ID": event.id,
            "X-Timestamp": str(event.timestamp),
        }
        code = None
        for target in targets:
            try:
                code = requests.post(target, data=raw, headers=headers, timeout=self.delivery_timeout).status_code
            except requests.RequestException:
                code = None
            with self.lock:
                self.deliveries.append((event.id, code))
        return code

    @staticmethod
    def _public(subscription) -> dict:
        return {k: v for k, v in subscription.items() if k not in {"hook_secret", "confirmed"}}

    def _subscription_or_404(self, subscription_id):
        subscription = self.subscriptions.get(subscription_id)
        require(subscription is not None, 404, "Subscription not found.")
        return subscription
