"""Helpers for the tests of the browser client (`static/scripts/dallinger2.js`).

`settle(browser, "dallinger.getInfo(args[0], args[1])", node, info)` runs a call in the page
and returns how its Deferred settled: `{"resolved": True, "value": ...}` or
`{"resolved": False, "rejection": {"status", "message", "errorCode", "html", ...}}`.
"""

from pathlib import Path
from urllib.parse import urlencode

from selenium.webdriver.support.ui import WebDriverWait

#: A small experiment of our own: an optional quorum, public properties, a broken route.
JS_CLIENT = str(Path(__file__).resolve().parent / "experiments" / "js_client")

PRELUDE = """
var done = arguments[arguments.length - 1];
var args = Array.prototype.slice.call(arguments, 0, arguments.length - 1);
function describe(rejection) {
  return {
    isAjaxRejection: rejection instanceof dallinger.AjaxRejection,
    status: rejection.status,
    message: rejection.message === undefined ? null : rejection.message,
    errorCode: rejection.errorCode === undefined ? null : rejection.errorCode,
    html: typeof rejection.html === "string" ? rejection.html : null
  };
}
function settle(promise) {
  promise.then(
    function (value) { done({resolved: true, value: value === undefined ? null : value}); },
    function (rejection) { done({resolved: false, rejection: describe(rejection)}); }
  );
}
"""


def run(browser, body: str, *args):
    """Run `body` in the page; it has `args`, `settle(promise)`, `describe(rejection)` and `done(result)`."""
    return browser.execute_async_script(PRELUDE + body, *args)


def settle(browser, expression: str, *args) -> dict:
    """How the Deferred that `expression` (JavaScript, with `args`) returns settles."""
    return run(browser, f"settle({expression});", *args)


def resolved(browser, expression: str, *args):
    """The value the Deferred resolves with (the test fails if it is rejected)."""
    outcome = settle(browser, expression, *args)
    assert outcome["resolved"], outcome
    return outcome["value"]


def rejected(browser, expression: str, *args) -> dict:
    """The rejection of the Deferred (the test fails if it resolves)."""
    outcome = settle(browser, expression, *args)
    assert not outcome["resolved"], outcome
    assert outcome["rejection"]["isAjaxRejection"], outcome
    return outcome["rejection"]


def identity(browser) -> dict:
    """`dallinger.identity` as the page sees it."""
    return browser.execute_script("return JSON.parse(JSON.stringify(dallinger.identity));")


def stored_identity(browser) -> dict:
    """The identity as kept in local storage."""
    return browser.execute_script("return JSON.parse(window.localStorage.getItem('dallinger.identity'));")


def enter(browser, server_url, worker, *, page="ad", **extra):
    """Arrive as a recruited worker: `/ad?recruiter=hotair&hitId=hit1&assignmentId=assign-<worker>&...`."""
    params = {
        "recruiter": "hotair",
        "hitId": "hit1",
        "assignmentId": f"assign-{worker}",
        "workerId": worker,
        "mode": "debug",
        **extra,
    }
    browser.get(f"{server_url}/{page}?{urlencode(params)}")


def join(browser, server_url, worker, **extra) -> int:
    """Arrive as `worker` and create the participant; returns the participant's id."""
    enter(browser, server_url, worker, **extra)
    return resolved(browser, "dallinger.createParticipant()")["participant"]["id"]


def wait_for_path(browser, path: str, timeout: float = 10):
    """Wait until the browser is on `path` (and the page there has loaded its client)."""
    WebDriverWait(browser, timeout).until(lambda driver: path in driver.current_url)
    WebDriverWait(browser, timeout).until(
        lambda driver: driver.execute_script("return document.readyState === 'complete'")
    )


def hold(browser, participant) -> None:
    """Give the browser (on a page of the server) the cookie of a participant it created
    earlier, as it would have kept it since (experiments/binding.py)."""
    from experiments.binding import cookie_name, participant_token

    browser.add_cookie({"name": cookie_name(participant.pk), "value": participant_token(participant), "path": "/"})
