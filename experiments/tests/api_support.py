"""Helpers for the HTTP API tests: sending parameters each way, and checking envelopes."""

import itertools
import json
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import escape  # the participant pages are Jinja2, which escapes with MarkupSafe

from core.models import Notification

#: Experiment packages written for the tests (folders with experiment.py and config.txt, not
#: Python packages), loaded with `use_experiment(TEST_EXPERIMENTS / "<name>")`.
TEST_EXPERIMENTS = Path(__file__).resolve().parent / "experiments"

_numbers = itertools.count(1)


def post_form(client, url, data=None):
    """POST `data` as an `application/x-www-form-urlencoded` body."""
    return client.post(url, urlencode(data or {}), content_type="application/x-www-form-urlencoded")


def post_json(client, url, data=None):
    """POST `data` as a JSON body."""
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def post_query(client, url, data=None):
    """POST with the parameters in the query string and no body."""
    return client.post(f"{url}?{urlencode(data or {})}")


#: The three ways a front end may send parameters to a POST route.
SENDERS = {"query": post_query, "form": post_form, "json": post_json}


def success(response, status=200) -> dict:
    """The body of a success envelope (after checking it is one)."""
    assert response.status_code == status, response.content[:2000]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "success", body
    return body


def assert_error(response, status, *, error_code=None, message=None) -> dict:
    """Check Dallinger's error envelope: a JSON `status: "error"`, a rendered error page that
    shows the message and offers the feedback form, the message itself and, when named,
    the machine-readable `error_code`. Returns the body."""
    assert response.status_code == status, response.content[:2000]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error", body
    assert body["message"], body
    assert escape(body["message"]) in body["html"]
    assert '<form id="error-response" method="post" action="/handle-error">' in body["html"]
    if message is not None:
        assert message in body["message"]
    if error_code is not None:
        assert body["error_code"] == error_code
    return body


def unique_ids(prefix="w") -> dict:
    """Fresh worker, HIT and assignment ids."""
    number = next(_numbers)
    return {"worker_id": f"{prefix}worker{number}", "hit_id": "hit1", "assignment_id": f"{prefix}assignment{number}"}


def create_participant(client, *, worker_id=None, hit_id="hit1", assignment_id=None, mode="debug", **params) -> dict:
    """Create a participant through POST /participant/<w>/<h>/<a>/<mode>; returns the response body."""
    ids = unique_ids()
    worker_id = worker_id or ids["worker_id"]
    assignment_id = assignment_id or ids["assignment_id"]
    response = post_form(client, f"/participant/{worker_id}/{hit_id}/{assignment_id}/{mode}", params)
    return success(response)


def hook_calls(*names) -> list[dict]:
    """The hooks the `recording` experiment saw, oldest first (only `names`, if given)."""
    calls = [notification.details for notification in Notification.objects.filter(event_type="hook").order_by("id")]
    if names:
        calls = [call for call in calls if call["hook"] in names]
    return calls


def hook_names() -> list[str]:
    """The names of the hooks the `recording` experiment saw, oldest first."""
    return [call["hook"] for call in hook_calls()]
