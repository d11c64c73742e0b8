"""A fake Prolific API served over real HTTP on 127.0.0.1, for tests of the Prolific client and recruiter.

    with FakeProlific(token="t0ken") as fake:
        client = ProlificClient("t0ken", fake.base_url)

It keeps Prolific's rules for studies, submissions, bonuses and webhooks (recruitment spec, part A),
records what was asked of it for assertions (`.requests`, `.approvals`, `.bonus_payments`,
`.deliveries`), simulates participants (`start_submission`, `complete_submission`, ...) and injects
faults (`fail`, `respond`, `delay`, `drop`).
"""

import hmac
import json
import re
import threading
import time
from collections import namedtuple
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.fakes.prolific_common import ApiError, ApiRequest
from tests.fakes.prolific_hooks import Event, HooksMixin, signature
from tests.fakes.prolific_studies import StudiesMixin
from tests.fakes.prolific_submissions import SubmissionsMixin

__all__ = ["Event", "FakeProlific", "RecordedRequest", "signature"]

API_ROOT = "/api/v1"

#: One request the fake received: method, path under the API root (no query), parsed JSON body.
RecordedRequest = namedtuple("RecordedRequest", "method path json")


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern
    times: int
    kind: str  # "fail", "respond", "delay" or "drop"
    status: int = 500
    body: object = None
    retry_after: object = None
    seconds: float = 0
    apply: bool = True

    def matches(self, method, path) -> bool:
        return self.times > 0 and self.method in (method, "*") and self.pattern.search(path) is not None


class FakeProlific(StudiesMixin, SubmissionsMixin, HooksMixin):
    """A running fake Prolific: start it with `with` (or `start()`/`stop()`), point a client at `.base_url`."""

    def __init__(
        self,
        token: str = "fake-prolific-token",
        workspace: str = "My workspace",
        *,
        auto_deliver: bool = True,
        require_https: bool = False,
        delivery_timeout: float = 5,
    ):
        self.token = token
        self.require_https = require_https
        #: Leave `_links` out of submission listings, as some Prolific answers do.
        self.omit_links = False
        self.lock = threading.RLock()
        #: Every request received, in order (including refused and faulted ones).
        self.requests = []
        self._faults = []
        self._in_flight = 0
        self._quiet = threading.Condition()
        self._server = None
        self._init_studies(workspace)
        self._init_submissions()
        self._init_hooks(auto_deliver, delivery_timeout)
        self._routes = [
            (method, re.compile(pattern + r"\Z"), getattr(self, name))
            for method, pattern, name in self.study_routes + self.submission_routes + self.hook_routes
        ]

    # Lifecycle

    def start(self):
        """Start serving on a free port of 127.0.0.1."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a delayed request must not hold up the end of a test
        self._server.fake = self
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-prolific", daemon=True
        ).start()
        return self

    def stop(self):
        """Stop serving and delivering."""
        self._stop_courier()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self) -> str:
        """The API root the client should use: http://127.0.0.1:<port>/api/v1."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{API_ROOT}"

    # Faults

    def fail(self, method, path_regex, status=500, times=1, retry_after=None):
        """Answer the next `times` matching requests with `status` (500, 429...) without acting on them."""
        self._add_fault(
            _Fault(method.upper(), re.compile(path_regex), times, "fail", status=status, retry_after=retry_after)
        )

    def respond(self, method, path_regex, status, body, times=1):
        """Answer the next `times` matching requests with this status and JSON body, without acting on them."""
        self._add_fault(_Fault(method.upper(), re.compile(path_regex), times, "respond", status=status, body=body))

    def delay(self, method, path_regex, seconds, times=1, apply=True):
        """Hold the next `times` matching requests for `seconds`, then act on them (or not, `apply=False`)."""
        self._add_fault(_Fault(method.upper(), re.compile(path_regex), times, "delay", seconds=seconds, apply=apply))

    def drop(self, method, path_regex, times=1, apply=True):
        """Close the connection of the next `times` matching requests without answering, after acting (or not)."""
        self._add_fault(_Fault(method.upper(), re.compile(path_regex), times, "drop", apply=apply))

    def wait_idle(self, timeout: float = 10) -> bool:
        """Wait until no request is being handled (a delayed one acts late); False on timeout."""
        with self._quiet:
            return self._quiet.wait_for(lambda: self._in_flight == 0, timeout)

    def requests_to(self, method, path_regex) -> list:
        """The recorded requests with this method whose path matches."""
        with self.lock:
            return [r for r in self.requests if r.method == method.upper() and re.search(path_regex, r.path)]

    def _add_fault(self, fault):
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, method, path):
        with self.lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    # Dispatch

    def handle(self, method, raw_path, headers, raw_body):
        """Answer one HTTP request: (status, body, extra headers), or None to drop the connection."""
        with self._quiet:
            self._in_flight += 1
        try:
            return self._handle(method, raw_path, headers, raw_body)
        finally:
            with self._quiet:
                self._in_flight -= 1
                self._quiet.notify_all()

    def _handle(self, method, raw_path, headers, raw_body):
        parts = urlsplit(raw_path)
        path = parts.path[len(API_ROOT) :] if parts.path.startswith(API_ROOT + "/") else None
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = ValueError
        with self.lock:
            self.requests.append(RecordedRequest(method, path if path is not None else parts.path, body))
        fault = self._take_fault(method, path or "")
        if fault is not None and fault.kind == "fail":
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, ApiError(fault.status, "Injected failure.", title="Injected").envelope(), extra
        if fault is not None and fault.kind == "respond":
            return fault.status, fault.body, {}
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        answer = self._apply(method, path, parts.query, headers, body) if fault is None or fault.apply else None
        if fault is not None and fault.kind == "drop":
            return None
        return answer or (500, ApiError(500, "Not applied.").envelope(), {})

    def _apply(self, method, path, query_string, headers, body):
        try:
            if not self._authorised(headers.get("Authorization", "")):
                raise ApiError(401, "Invalid token.", title="Not authenticated")
            if path is None:
                raise ApiError(404, "Not found.")
            if body is ValueError:
                raise ApiError(400, "The body is not valid JSON.")
            query = {key: values[0] for key, values in parse_qs(query_string).items()}
            with self.lock:
                for route_method, pattern, handler in self._routes:
                    match = pattern.match(path)
                    if match and route_method == method:
                        request = ApiRequest(method, path, query, body, self.base_url, match.groups())
                        answer = handler(request)
                        return answer if len(answer) == 3 else (*answer, {})
            known_path = any(pattern.match(path) for _, pattern, _ in self._routes)
            raise ApiError(405 if known_path else 404, "Method not allowed." if known_path else "Not found.")
        except ApiError as error:
            return error.status, error.envelope(), {}

    def _authorised(self, header: str) -> bool:
        scheme, _, given = header.partition(" ")
        return scheme == "Token" and hmac.compare_digest(given.encode(), self.token.encode())


class _Handler(BaseHTTPRequestHandler):
    """Hands each HTTP request to the fake and writes its answer."""

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        answer = self.server.fake.handle(self.command, self.path, self.headers, raw_body)
        if answer is None:
            self.close_connection = True
            return
        status, body, extra = answer
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delay fault); the request was still acted on

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):
        pass  # keep test output quiet
