"""A client for Prolific's REST API: authentication, bounded retries with back-off, readable errors.

Transient failures (429, 5xx, timeouts, connection errors) are retried with exponential back-off
and full jitter, within a number of attempts and a total deadline. A call that is not safe to
repeat (creating a study, paying bonuses) is retried only when Prolific certainly did not act on
it; when the outcome is unknown it raises `ProlificAmbiguous` so the caller can check first.
"""

import json as jsonlib
import random
import time

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from recruitment.prolific.errors import (
    ProlificAmbiguous,
    ProlificError,
    ProlificRefused,
    ProlificUnavailable,
    envelope_reason,
    readable,
    redacted,
)

__all__ = [
    "ProlificAmbiguous",
    "ProlificClient",
    "ProlificError",
    "ProlificRefused",
    "ProlificUnavailable",
    "redacted",
]

DEFAULT_BASE_URL = "https://api.prolific.com/api/v1"
# Prolific asks API callers to name themselves; this names the project and its API client version.
REFERER = "https://github.com/dallinger-on-django/dallinger-on-django/v1"
PAGE_SIZE = 100


class _Transient(Exception):
    """One attempt failed in a way that may pass; `reached` says whether Prolific may have acted."""

    def __init__(self, reason: str, *, reached: bool, status=None, error_code="", retry_after=None):
        super().__init__(reason)
        self.reason = reason
        self.reached = reached
        self.status = status
        self.error_code = error_code
        self.retry_after = retry_after


class ProlificClient:
    """Calls Prolific's API with one researcher token."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 15,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        deadline: float = 60.0,
        sleep=time.sleep,
        session=None,
        clock=time.monotonic,
    ):
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.deadline = deadline
        self._sleep = sleep
        self._clock = clock
        self._session = session if session is not None else requests.Session()

    def __repr__(self):
        return f"<ProlificClient {self.base_url} token={redacted(self._token)}>"

    # The transport ---------------------------------------------------------------------------

    def request(self, method, path, *, json=None, params=None, idempotent=True, full=False):
        """Send one call, retrying transient failures; returns the parsed JSON body (None if empty).

        With `full=True` returns `(body, headers)`. Raises `ProlificRefused`, `ProlificUnavailable`
        or, for a call with `idempotent=False` whose outcome is unknown, `ProlificAmbiguous`.
        """
        method = method.upper()
        path = _normalised_path(path)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            remaining = self.deadline - (self._clock() - started)
            try:
                return self._attempt(method, path, json, params, full, timeout=max(0.001, min(self.timeout, remaining)))
            except _Transient as failure:
                if failure.reached and not idempotent:
                    raise ProlificAmbiguous(
                        method,
                        path,
                        status=failure.status,
                        error_code=failure.error_code,
                        detail=f"{failure.reason}; check its effect before repeating it",
                    ) from None
                wait = self._wait_before_retry(attempt, failure.retry_after)
                spent = self._clock() - started
                if attempt >= self.attempts or spent + wait >= self.deadline:
                    raise ProlificUnavailable(
                        method,
                        path,
                        status=failure.status,
                        error_code=failure.error_code,
                        detail=f"{failure.reason} (gave up after {attempt} attempt{'s' * (attempt > 1)})",
                    ) from None
                self._sleep(wait)

    def _wait_before_retry(self, attempt: int, retry_after) -> float:
        if retry_after is not None:
            return min(self.max_backoff, retry_after)
        return random.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    def _attempt(self, method, path, json, params, full, *, timeout):
        headers = {
            "Authorization": f"Token {self._token}",
            "Referer": REFERER,
            "Accept": "application/json",
        }
        try:
            response = self._session.request(
                method, self.base_url + path, json=json, params=params, headers=headers, timeout=timeout
            )
        except requests.exceptions.ConnectTimeout:
            raise _Transient("connecting timed out", reached=False) from None
        except requests.exceptions.Timeout:
            raise _Transient(f"no answer within {timeout:g} s", reached=True) from None
        except requests.exceptions.ConnectionError as error:
            # Refused or unresolvable connections never carried the request; a connection dropped
            # after it was sent may have been acted on.
            if _never_sent(error):
                raise _Transient("could not connect", reached=False) from None
            raise _Transient("the connection broke before an answer came", reached=True) from None
        except requests.exceptions.RequestException as error:
            raise ProlificError(
                method, path, detail=f"the request could not be sent ({type(error).__name__})"
            ) from None
        return self._interpret(method, path, response, full)

    def _interpret(self, method, path, response, full):
        status = response.status_code
        body = _parsed(response)
        if status == 429 or status >= 500:
            error_code, detail = envelope_reason(body)
            raise _Transient(
                detail or response.reason or "server error",
                reached=status != 429,
                status=status,
                error_code=error_code,
                retry_after=_retry_after(response) if status == 429 else None,
            )
        if not 200 <= status < 300 or (isinstance(body, dict) and "error" in body):
            error_code, detail = envelope_reason(body)
            if status == 401:
                detail = "the API token was refused (check prolific_api_token)" + (f": {detail}" if detail else "")
            raise ProlificRefused(method, path, status=status, error_code=error_code, detail=detail)
        return (body, response.headers) if full else body

    # Account and workspaces ------------------------------------------------------------------

    def me(self):
        """The researcher the token belongs to (also a cheap check that the token works)."""
        return self.request("GET", "/users/me/")

    def workspaces(self) -> list:
        """Every workspace the researcher can use."""
        return _results(self.request("GET", "/workspaces/", params={"limit": 1000}))

    def projects(self, workspace_id) -> list:
        """The projects of a workspace."""
        return self._all_pages(f"/workspaces/{workspace_id}/projects/")

    def create_project(self, workspace_id, title):
        """Create a project in a workspace (not repeated automatically: a repeat makes a second one)."""
        return self.request("POST", f"/workspaces/{workspace_id}/projects/", json={"title": title}, idempotent=False)

    # Studies ----------------------------------------------------------------------------------

    def create_study(self, body):
        """Create an unpublished study (not repeated automatically: a repeat makes a second one)."""
        return self.request("POST", "/studies/", json=body, idempotent=False)

    def get_study(self, study_id):
        """One study."""
        return self.request("GET", f"/studies/{study_id}/")

    def update_study(self, study_id, **fields):
        """Change a study's fields (after publishing, only `total_available_places` and `internal_name`)."""
        return self.request("PATCH", f"/studies/{study_id}/", json=fields)

    def transition_study(self, study_id, action):
        """PUBLISH, PAUSE, START or STOP a study."""
        return self.request("POST", f"/studies/{study_id}/transition/", json={"action": action})

    def delete_study(self, study_id):
        """Delete an unpublished study."""
        return self.request("DELETE", f"/studies/{study_id}/")

    def project_studies(self, project_id) -> list:
        """Every study of a project."""
        return self._all_pages(f"/projects/{project_id}/studies/")

    # Submissions ------------------------------------------------------------------------------

    def submissions(self, study_id, status=None) -> list:
        """Every submission of a study, optionally only those with one status."""
        params = {"study": study_id, "ordering": "started_at"}
        if status:
            params["status"] = status
        return self._all_pages("/submissions/", params)

    def get_submission(self, submission_id):
        """One submission (its participant is under `participant`)."""
        return self.request("GET", f"/submissions/{submission_id}/")

    def transition_submission(self, submission_id, action, **body):
        """APPROVE, REJECT (with `message` and `rejection_category`) or COMPLETE a submission.

        Prolific ignores a repeat of a transition already made, so this is retried like a read.
        """
        return self.request("POST", f"/submissions/{submission_id}/transition/", json={"action": action, **body})

    def screen_out(self, study_id, submission_ids, bonus_per_submission, increase_places):
        """Screen out submissions, paying each the fixed screen-out bonus (moves money: not repeated)."""
        body = {
            "submission_ids": list(submission_ids),
            "bonus_per_submission": float(bonus_per_submission),
            "increase_places": bool(increase_places),
        }
        return self.request("POST", f"/studies/{study_id}/screen-out-submissions/", json=body, idempotent=False)

    # Bonuses ----------------------------------------------------------------------------------

    def bonus_setup(self, study_id, csv_bonuses):
        """Prepare bonus payments (`"<participant or submission id>,<amount>"` lines); pays nothing yet."""
        body = {"study_id": study_id, "csv_bonuses": csv_bonuses}
        return self.request("POST", "/submissions/bonus-payments/", json=body, idempotent=False)

    def bonus_pay(self, setup_id):
        """Pay a prepared set of bonuses. Prolific pays again on every call, so this is never repeated."""
        return self.request("POST", f"/bulk-bonus-payments/{setup_id}/pay/", json={}, idempotent=False)

    # Webhooks ---------------------------------------------------------------------------------

    def event_types(self) -> list:
        """The event types a subscription can name."""
        return _results(self.request("GET", "/hooks/event-types/"))

    def create_secret(self, workspace_id):
        """Make a new signing secret for a workspace's webhooks, replacing the previous one."""
        # A repeat only replaces the secret again, and the answer names the one in force.
        return self.request("POST", "/hooks/secrets/", json={"workspace_id": workspace_id})

    def secrets(self, workspace_id) -> list:
        """A workspace's signing secrets."""
        return _results(self.request("GET", "/hooks/secrets/", params={"workspace_id": workspace_id}))

    def create_subscription(self, workspace_id, event_type, target_url):
        """Subscribe a URL to an event type: returns (subscription, the X-Hook-Secret to confirm it with)."""
        body = {"workspace_id": workspace_id, "event_type": event_type, "target_url": target_url, "is_enabled": True}
        answer, headers = self.request("POST", "/hooks/subscriptions/", json=body, idempotent=False, full=True)
        return answer, headers.get("X-Hook-Secret")

    def confirm_subscription(self, subscription_id, secret):
        """Confirm a subscription with the X-Hook-Secret its creation returned."""
        return self.request("POST", f"/hooks/subscriptions/{subscription_id}/", json={"secret": secret})

    def subscriptions(self, workspace_id) -> list:
        """A workspace's webhook subscriptions."""
        return _results(self.request("GET", "/hooks/subscriptions/", params={"workspace_id": workspace_id}))

    def delete_subscription(self, subscription_id):
        """Remove a webhook subscription."""
        return self.request("DELETE", f"/hooks/subscriptions/{subscription_id}/")

    # Listing ----------------------------------------------------------------------------------

    def _all_pages(self, path, params=None) -> list:
        """Every item of a paginated listing, page by page until the last."""
        items, page, previous = [], 1, None
        while True:
            query = {**(params or {}), "page": page, "page_size": PAGE_SIZE}
            try:
                body = self.request("GET", path, params=query)
            except ProlificRefused as refusal:
                # Asking past the last page is answered with 404.
                if refusal.status == 404 and page > 1:
                    return items
                raise
            results = _results(body)
            if results == previous:  # a listing that ignores `page` would otherwise never end
                return items
            items.extend(results)
            links = body.get("_links") if isinstance(body, dict) else None
            if isinstance(links, dict):
                if not (links.get("next") or {}).get("href"):
                    return items
            elif len(results) < PAGE_SIZE:
                return items
            previous = results
            page += 1


def _normalised_path(path: str) -> str:
    path = "/" + path.lstrip("/")
    return path if path.endswith("/") else path + "/"


def _never_sent(error) -> bool:
    """Whether a requests ConnectionError happened before the request left this machine."""
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _parsed(response):
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return readable(response.text)


def _retry_after(response):
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _results(body) -> list:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return body["results"]
    raise ProlificError("GET", "listing", detail=f"expected a list of results, got {jsonlib.dumps(body)[:200]}")
