"""A browser bot signs up through pages built as Dallinger's are (headless Chromium).

Dallinger's ad opens the experiment in a new window from `#begin-button`; its consent page has
`#consent`; an experiment's instructions page often has only a `btn-success` Begin button,
enabled by the page's script. The pages here have exactly those elements, and nothing the
project's own pages add.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from bots.base import BotBase

PAGES = {
    "/ad": """
        <button type="button" id="begin-button" class="btn btn-primary btn-lg">Begin Experiment</button>
        <script>
          document.getElementById("begin-button").onclick = function () {
            window.open("/consent" + window.location.search, "Popup", "toolbar=no,location=no");
          };
        </script>""",
    "/consent": """
        <button type="button" class="btn btn-primary btn-lg" id="consent"
                onclick="window.location = '/instructions/instruct-ready' + window.location.search;">I agree</button>
        <button type="button" class="btn btn-danger btn-lg" onclick="self.close();">No thanks</button>""",
    "/instructions/instruct-ready": """
        <button type="button" class="btn btn-success btn-lg" disabled
                onclick="window.location = '/exp?participant_id=12';">Begin</button>
        <script>
          window.setTimeout(function () { document.querySelector("button").disabled = false; }, 300);
        </script>""",
    "/exp": "<p>The experiment.</p>",
    # A waiting room creates the participant after sign-up: only the page knows its id.
    "/waiting": "<script>window.dallinger = {identity: {participantId: '21'}};</script><p>Waiting.</p>",
    "/worker_failed": "<p>Recorded.</p>",
}


class DallingerPages:
    """A local server of `PAGES`."""

    def __enter__(self):
        requests = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                body = PAGES.get(urlparse(self.path).path)
                payload = f"<!doctype html><html><body>{body}</body></html>".encode() if body else b"not found"
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class PageBot(BotBase):
    def participate(self):
        return True


@pytest.fixture
def pages():
    with DallingerPages() as server:
        yield server


def test_sign_up_follows_dallingers_ad_popup_consent_and_begin_button(pages):
    bot = PageBot(f"{pages.url}/ad?recruiter=bots&assignmentId=A1&hitId=H1&workerId=W1&mode=debug")
    try:
        signed_up = bot.sign_up()

        assert signed_up is True
        assert len(bot.driver.window_handles) == 2  # the ad's window and the experiment's
        assert urlparse(bot.driver.current_url).path == "/exp"
        assert bot.participant_id == "12"  # read from the page's URL, as Dallinger's bot reads it
    finally:
        bot.driver.quit()


class WaitingRoomBot(BotBase):
    """Signs up into a waiting room, where the page creates the participant, then fails."""

    def sign_up(self):
        self.driver.get(f"{self.host}/waiting?participant_id=")
        return True

    def participate(self):
        raise RuntimeError("the bot lost its way")


def test_a_bot_failing_after_a_waiting_room_reports_the_participant_the_page_created(pages):
    bot = WaitingRoomBot(f"{pages.url}/ad?recruiter=bots&assignmentId=A2&hitId=H2&workerId=W2&mode=debug")

    assert bot.run_experiment() is False

    # `worker_failed` names the participant the waiting room created (from `dallinger.identity`),
    # so that it is not left working until the run gives up
    assert [path for path in pages.requests if path.startswith("/worker_failed")] == [
        "/worker_failed?participant_id=21"
    ]
