"""The HTTP bot's bounded retries and failure reports, against a small local fake server."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from bots.base import BotError, HighPerformanceBotBase


class FakeServer:
    """An HTTP server in a thread that answers with the scripted `answers`, in turn.

    Each answer is `(status, body)`; the last one repeats. Every request is recorded as
    `(method, path with query)`.
    """

    def __init__(self, answers, delay: float = 0.0):
        self.answers = list(answers)
        self.delay = delay
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.requests.append((self.command, self.path))
                status, body = server.answer_for(self.path)
                time.sleep(server.delay)
                payload = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/html")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped waiting (the timeout test)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def answer_for(self, path: str):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class RoutedServer(FakeServer):
    """A fake server that answers by path: `{"/participant": (200, {...}), ...}` (prefixes)."""

    def __init__(self, routes):
        super().__init__([(404, {"status": "error", "message": "not found"})])
        self.routes = routes

    def answer_for(self, path: str):
        for prefix, answer in self.routes.items():
            if urlparse(path).path.startswith(prefix):
                return answer
        return super().answer_for(path)


class QuickBot(HighPerformanceBotBase):
    """A bot that retries without waiting, so the tests run fast."""

    max_attempts = 4
    retry_delay = 0.001
    timeout = 2.0

    def participate(self) -> bool:
        return True


def bot_for(server: FakeServer, bot_class=QuickBot) -> HighPerformanceBotBase:
    return bot_class(f"{server.url}/ad?recruiter=bots&mode=debug")


def test_server_errors_are_retried_until_the_server_answers():
    with FakeServer([(500, "oops"), (500, "oops"), (200, {"status": "success"})]) as server:
        response = bot_for(server).request("GET", "/summary")

    assert response.status_code == 200
    assert len(server.requests) == 3


def test_a_server_that_keeps_failing_gives_a_bot_error_after_max_attempts():
    with FakeServer([(500, "oops")]) as server:
        with pytest.raises(BotError, match=r"failed 4 times \(HTTP 500\)"):
            bot_for(server).request("GET", "/summary")

    assert len(server.requests) == QuickBot.max_attempts


def test_a_server_that_does_not_answer_in_time_gives_a_bot_error():
    class ImpatientBot(QuickBot):
        max_attempts = 2
        timeout = 0.2

    with FakeServer([(200, {"status": "success"})], delay=1.0) as server:
        started = time.monotonic()
        with pytest.raises(BotError, match="failed 2 times"):
            bot_for(server, ImpatientBot).request("GET", "/summary")

    assert time.monotonic() - started < 3


def test_an_unreachable_server_gives_a_bot_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = QuickBot(f"http://127.0.0.1:{port}/ad?recruiter=bots")

    with pytest.raises(BotError, match="ConnectionError"):
        bot.request("POST", "/participant/w/h/a/debug")


@pytest.mark.parametrize("path", ["/node/1", "/info/4", "/question/1"])
def test_a_post_that_may_have_been_processed_is_not_sent_again(path):
    with FakeServer([(502, "bad gateway"), (200, {"status": "success"})]) as server:
        with pytest.raises(BotError, match="may have been processed"):
            bot_for(server).request("POST", path)

    assert len(server.requests) == 1


@pytest.mark.parametrize("path", ["/worker_complete", "/participant/w/h/a/debug"])
def test_posts_that_are_harmless_to_repeat_are_retried(path):
    with FakeServer([(502, "bad gateway"), (200, {"status": "success"})]) as server:
        response = bot_for(server).request("POST", path)

    assert response.status_code == 200
    assert len(server.requests) == 2


def test_a_post_that_never_reached_the_server_is_retried():
    with socket.socket() as probe:  # a port nothing listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = QuickBot(f"http://127.0.0.1:{port}/ad?recruiter=bots")

    with pytest.raises(BotError, match=r"failed 4 times \(ConnectionError"):
        bot.request("POST", "/node/1")


def test_a_refusal_is_not_retried_and_checked_raises_it():
    refusal = {"status": "error", "message": "The experiment is full."}
    with FakeServer([(403, refusal)]) as server:
        bot = bot_for(server)
        response = bot.request("POST", "/node/1")

        assert response.status_code == 403
        assert len(server.requests) == 1
        with pytest.raises(BotError, match=r"POST /node/1 was refused \(403\): The experiment is full."):
            bot.checked(response)


def test_create_node_gives_the_node_or_none_when_no_place_is_left():
    node = {"id": 7, "network_id": 2}
    answers = [(200, {"status": "success", "node": node}), (403, {"status": "error", "message": "full"})]
    with FakeServer(answers) as server:
        bot = bot_for(server)
        bot.participant_id = 3

        assert bot.create_node() == node
        assert bot.create_node() is None
        assert server.requests == [("POST", "/node/3"), ("POST", "/node/3")]


def test_create_node_raises_any_other_refusal():
    with FakeServer([(400, {"status": "error", "message": "Participant 3 is approved, not working"})]) as server:
        bot = bot_for(server)
        bot.participant_id = 3

        with pytest.raises(BotError, match="not working"):
            bot.create_node()


def test_an_answer_without_json_is_a_bot_error():
    with FakeServer([(200, "<html>not json</html>")]) as server:
        with pytest.raises(BotError, match="without JSON"):
            bot_for(server).request_json("GET", "/summary")


def test_a_bot_whose_participate_raises_reports_worker_failed():
    class BrokenBot(QuickBot):
        def participate(self) -> bool:
            raise RuntimeError("the experiment's page changed")

    routes = {
        "/participant/": (200, {"status": "success", "participant": {"id": 7}}),
        "/worker_failed": (200, {"status": "success"}),
    }
    with RoutedServer(routes) as server:
        succeeded = bot_for(server, BrokenBot).run_experiment()

    assert succeeded is False
    paths = [path for _, path in server.requests]
    assert paths[0].startswith("/participant/")
    assert paths[1:] == ["/worker_failed?participant_id=7"]  # no questionnaire, no worker_complete


def test_a_bot_that_completes_answers_the_questionnaire_and_reports_worker_complete():
    routes = {
        "/participant/": (200, {"status": "success", "participant": {"id": 3}}),
        "/question/3": (200, {"status": "success"}),
        "/worker_complete": (200, {"status": "success"}),
    }
    with RoutedServer(routes) as server:
        succeeded = bot_for(server).run_experiment()

    assert succeeded is True
    assert [path for _, path in server.requests][1:] == ["/question/3", "/worker_complete?participant_id=3"]


def test_a_bot_whose_sign_up_is_refused_reports_nothing_and_fails():
    routes = {"/participant/": (403, {"status": "error", "message": "Already took part."})}
    with RoutedServer(routes) as server:
        succeeded = bot_for(server).run_experiment()

    assert succeeded is False
    assert len(server.requests) == 1  # no participant, so nothing to report


class ChattyBot(QuickBot):
    """A bot whose participate() is recorded, to see whether it ran."""

    def participate(self) -> bool:
        self.participated = True
        return True


def test_an_over_recruited_bot_goes_straight_to_completion_without_waiting_or_taking_part():
    quorum = {"q": 2, "n": 3, "overrecruited": True}
    routes = {
        "/participant/": (200, {"status": "success", "participant": {"id": 5}, "quorum": quorum}),
        "/worker_complete": (200, {"status": "success"}),
    }
    with RoutedServer(routes) as server:
        bot = bot_for(server, ChattyBot)
        succeeded = bot.run_experiment()

    assert succeeded is True
    assert not hasattr(bot, "participated")
    assert [path for _, path in server.requests][1:] == ["/worker_complete?participant_id=5"]


def test_the_bot_that_completes_the_quorum_does_not_wait():
    quorum = {"q": 2, "n": 2, "overrecruited": False}
    routes = {
        "/participant/": (200, {"status": "success", "participant": {"id": 2}, "quorum": quorum}),
        "/question/2": (200, {"status": "success"}),
        "/worker_complete": (200, {"status": "success"}),
    }
    with RoutedServer(routes) as server:  # a plain HTTP server: a socket to it would fail
        bot = bot_for(server, ChattyBot)
        assert bot.run_experiment() is True
    assert bot.participated


def test_a_bot_below_the_quorum_whose_socket_cannot_open_fails_and_reports_it():
    quorum = {"q": 2, "n": 1, "overrecruited": False}
    routes = {
        "/participant/": (200, {"status": "success", "participant": {"id": 1}, "quorum": quorum}),
        "/worker_failed": (200, {"status": "success"}),
    }
    with RoutedServer(routes) as server:  # no /chat here: the handshake is answered 404
        bot = bot_for(server, ChattyBot)
        assert bot.run_experiment() is False
    assert not hasattr(bot, "participated")
    assert [path for _, path in server.requests][-1] == "/worker_failed?participant_id=1"
