"""Automated participants: HTTP bots and browser bots.

Both kinds go through Dallinger's phases — sign up, participate, sign off (the
questionnaire), record completion — and report `worker_complete` or `worker_failed`.
Experiments subclass one of them and write `participate()`.

Unlike Dallinger's, every request is retried a bounded number of times with a timeout,
and a bot that cannot go on reports failure instead of retrying forever.
"""

import json
import logging
import random
import time
import uuid
from urllib.parse import parse_qs, urlparse

import requests
from django.utils.functional import cached_property
from urllib3.exceptions import NewConnectionError

from bots.sockets import BotSocket, SocketError, cookie_header, socket_url, waiting_room_release
from core.realtime import QUORUM_CHANNEL

logger = logging.getLogger(__name__)

QUESTION_RESPONSES = {"engagement": 4, "difficulty": 3}
ID_PARAMETERS = {
    "assignment_id": ("assignment_id", "assignmentId"),
    "worker_id": ("worker_id", "workerId"),
    "hit_id": ("hit_id", "hitId"),
    "participant_id": ("participant_id",),
}


def _repeatable(method: str, path: str) -> bool:
    """Whether sending this request twice does no harm (see HighPerformanceBotBase.request)."""
    return method in ("GET", "HEAD") or path == "/worker_complete" or path.startswith("/participant/")


def _never_sent(error: requests.RequestException) -> bool:
    """Whether the request failed before reaching the server (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


#: The ad's begin button: Dallinger's id, the project's, or (as Dallinger's bot looks) a primary or success button.
AD_BEGIN = "#begin-button, #begin, button.btn-primary, button.btn-success"
#: The instructions' begin button: the project's id, or a success button, as Dallinger's bot looks.
INSTRUCTIONS_BEGIN = "#begin, button.btn-success"


class BotError(Exception):
    """A bot could not complete a step (the server refused it, or stayed unreachable)."""


def _ids_from_url(url: str) -> dict:
    query = parse_qs(urlparse(url).query)
    found = {}
    for field, names in ID_PARAMETERS.items():
        for name in names:
            if query.get(name):
                found[field] = query[name][0]
                break
    return found


class _Bot:
    """What both kinds of bot share: identity, logging, the questionnaire answers."""

    #: Answers given to the standard questionnaire.
    question_responses = QUESTION_RESPONSES
    #: Whether `participate()`'s return value decides whether the bot succeeded (a false value
    #: reports `worker_failed`). Dallinger ignores it (only an exception stops a bot there), and
    #: so do the classes experiments import from `dallinger.bots`, which set this to False.
    participate_decides = True

    def __init__(self, URL, assignment_id="", worker_id="", participant_id="", hit_id=""):
        if not URL:
            raise ValueError("A bot needs the URL of the experiment's ad page.")
        self.URL = URL
        from_url = _ids_from_url(URL)
        self.assignment_id = assignment_id or from_url.get("assignment_id") or uuid.uuid4().hex[:16]
        self.worker_id = worker_id or from_url.get("worker_id") or uuid.uuid4().hex[:16]
        self.hit_id = hit_id or from_url.get("hit_id") or "bot-hit"
        self.participant_id = participant_id or from_url.get("participant_id") or ""
        self.mode = parse_qs(urlparse(URL).query).get("mode", ["debug"])[0]
        self.unique_id = f"{self.worker_id}:{self.assignment_id}"
        logger.info("Creating bot with URL: %s", URL)

    @property
    def host(self) -> str:
        """The server's scheme and address, without path or query."""
        parsed = urlparse(self.URL)
        return f"{parsed.scheme}://{parsed.netloc}"

    def log(self, message: str) -> None:
        """Log a message tagged with the bot's participant id."""
        logger.info("%s: %s", self.participant_id or self.worker_id, message)

    def participate(self) -> bool:
        """Take part in the experiment; True on success. Every bot defines it."""
        raise NotImplementedError(f"{type(self).__name__}.participate() must be defined.")

    def took_part(self) -> bool:
        """Run `participate()`: whether the bot goes on to sign off (see `participate_decides`)."""
        result = self.participate()
        return bool(result) if self.participate_decides else True


class HighPerformanceBotBase(_Bot):
    """A bot that speaks HTTP to the server directly, without a browser.

    `max_attempts` bounds the tries of each request (connection errors and 5xx answers
    are retried with a growing, jittered delay); `timeout` bounds each request.
    """

    max_attempts = 5
    timeout = 10.0
    retry_delay = 0.25
    #: Seconds a bot waits in the waiting room for the quorum before it gives up (and fails).
    quorum_timeout = 300.0

    def __init__(self, URL, assignment_id="", worker_id="", participant_id="", hit_id=""):
        super().__init__(URL, assignment_id, worker_id, participant_id, hit_id)
        self.session = requests.Session()
        #: True when the server turned this bot away as over-recruited: it then only completes.
        self.overrecruited = False

    @property
    def driver(self):
        """HTTP bots have no browser."""
        raise NotImplementedError("HTTP bots have no web driver.")

    def stochastic_sleep(self, attempt: int = 1) -> None:
        """Wait before retrying: a short delay that grows with the attempt, with jitter."""
        time.sleep(self.retry_delay * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5))

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send a request to the server, retrying what failed when a second copy does no harm.

        A request that never reached the server (no connection) is always sent again. One that
        may have (a 5xx, a broken connection, a timeout) is sent again only if repeating it is
        harmless: reads, creating the participant (a repeat restarts the same assignment) and
        `worker_complete` (processed once); any other POST may have done its work, so the
        failure is final, as in `dallinger2.js`. A 4xx answer is returned as is (the caller
        decides); BotError when every attempt failed.
        """
        url = path if path.startswith("http") else f"{self.host}{path}"
        repeatable = _repeatable(method, urlparse(url).path)
        last_problem = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as error:
                last_problem = f"{type(error).__name__}: {error}"
                if not (repeatable or _never_sent(error)):
                    break
            else:
                if response.status_code < 500:
                    return response
                last_problem = f"HTTP {response.status_code}"
                if not repeatable:
                    break
            if attempt < self.max_attempts:
                self.stochastic_sleep(attempt)
        else:
            raise BotError(f"{method} {url} failed {self.max_attempts} times ({last_problem}).")
        raise BotError(f"{method} {url} failed ({last_problem}); it may have been processed, so it is not sent again.")

    def request_json(self, method: str, path: str, **kwargs) -> dict:
        """`request`, then the JSON answer; BotError if the server answered an error envelope."""
        return self.checked(self.request(method, path, **kwargs))

    def checked(self, response: requests.Response) -> dict:
        """The JSON of a successful answer; BotError for a refusal or an answer without JSON."""
        where = f"{response.request.method} {urlparse(response.url).path}"
        try:
            body = response.json()
        except ValueError:
            raise BotError(f"{where} answered {response.status_code} without JSON.") from None
        if response.status_code >= 400 or body.get("status") == "error":
            raise BotError(f"{where} was refused ({response.status_code}): {body.get('message', '')}")
        return body

    def create_node(self) -> dict | None:
        """POST /node for this participant: the new node, or None when no network has a place
        left (403), where Dallinger's front end goes straight on to the questionnaire."""
        created = self.request("POST", f"/node/{self.participant_id}")
        if created.status_code == 403:
            self.log("No place is left in the experiment; going straight to the questionnaire.")
            return None
        return self.checked(created)["node"]

    def socket(self, channels: list[str] | str) -> BotSocket:
        """Open a websocket to the server's `/chat`, subscribed to `channels`, as this participant.

        The bot's session cookies go with the handshake (among them the one that binds the
        participant to this bot), so the server knows the socket is this participant's. BotError
        when it cannot be opened.
        """
        names = [channels] if isinstance(channels, str) else list(channels)
        url = socket_url(self.host, names, participant_id=self.participant_id, worker_id=self.worker_id)
        try:
            return BotSocket(url, cookie=cookie_header(self.session, self.host), timeout=self.timeout)
        except SocketError as error:
            raise BotError(str(error)) from None

    def subscribe_to_quorum_channel(self, quorum: dict | None = None) -> None:
        """Wait in the waiting room until the quorum is reached, over the `quorum` channel.

        `quorum` is the state the server answered at sign-up (`{"q", "n", "overrecruited"}`), or
        None for an experiment without a waiting room, which has nothing to wait for. A bot
        turned away as over-recruited does not wait either. The bot is released by any count at
        or above the quorum, so a frame missed while its socket was opening does not hold it for
        ever. With group formation by arrival (`"grouping"` in the state) the count says nothing:
        the bot waits for the group frame that names it (or its snapshot naming its network, if
        the group formed as its socket opened), and one released when the wait ran out goes
        straight to completion, as the waiting page sends a person. BotError once
        `quorum_timeout` seconds have passed.
        """
        if not quorum or quorum.get("overrecruited"):
            return
        grouping = bool(quorum.get("grouping"))
        if not grouping and quorum.get("n", 0) >= quorum.get("q", 0):
            return
        self.log(f"Waiting for the quorum ({quorum.get('n')} of {quorum.get('q')}).")
        deadline = time.monotonic() + self.quorum_timeout
        with self.socket(QUORUM_CHANNEL) as waiting_room:
            while (remaining := deadline - time.monotonic()) > 0:
                frame = waiting_room.receive(timeout=remaining)
                if frame is None:
                    if waiting_room.closed.is_set():
                        raise BotError("The server closed the waiting room's websocket.")
                    continue
                if self._released_by(frame, grouping):
                    return
        raise BotError(f"The waiting room did not release this bot within {self.quorum_timeout:g} s.")

    def _released_by(self, frame, grouping: bool) -> bool:
        release = waiting_room_release(frame, self.participant_id, grouping)
        if release == "complete":
            self.log("Released from the waiting room: going straight to completion.")
            self.overrecruited = True
        elif release == "play" and not grouping:
            self.log("The quorum is reached.")
        return release is not None

    def sign_up(self) -> bool:
        """Create the participant; with a waiting room, wait there until the quorum is reached."""
        self.log("Bot player signing up.")
        body = self.request_json(
            "POST",
            f"/participant/{self.worker_id}/{self.hit_id}/{self.assignment_id}/{self.mode}",
            params={"fingerprint_hash": uuid.uuid4().hex, "recruiter": f"bots:{type(self).__name__}"},
        )
        self.on_signup(body)
        quorum = body.get("quorum")
        if quorum and quorum.get("overrecruited"):
            self.log("Over-recruited: the experiment is full, so the bot goes straight to completion.")
            self.overrecruited = True
        self.subscribe_to_quorum_channel(quorum)
        return True

    def on_signup(self, data: dict) -> None:
        """Hook: the server's answer to sign-up; records the participant id."""
        self.participant_id = data["participant"]["id"]

    def complete_questionnaire(self) -> bool:
        """Answer the standard questionnaire."""
        self.request_json(
            "POST",
            f"/question/{self.participant_id}",
            data={"question": "questionnaire", "number": 1, "response": json.dumps(self.question_responses)},
        )
        return True

    def sign_off(self) -> bool:
        """Answer the questionnaire."""
        self.log("Bot player signing off.")
        return self.complete_questionnaire()

    def complete_experiment(self, status: str) -> requests.Response:
        """Report `worker_complete` or `worker_failed`."""
        self.log(f"Bot player completing experiment: {status}.")
        return self.request("GET", f"/{status}", params={"participant_id": self.participant_id})

    def run_experiment(self) -> bool:
        """Sign up, participate, sign off and report; True when the bot completed successfully.

        A step that fails (a refusal, an unreachable server, an error in `participate`) is
        logged and reported as `worker_failed`.
        """
        succeeded = False
        try:
            try:
                self.sign_up()
                # An over-recruited participant is paid their base and sent to the end, as in Dallinger.
                succeeded = self.overrecruited or (self.took_part() and self.sign_off())
            except (BotError, SocketError) as error:
                self.log(f"Bot failed: {error}")
            except Exception:
                logger.exception("%s: the bot's participate() failed.", self.participant_id or self.worker_id)
            if self.participant_id:
                self.complete_experiment("worker_complete" if succeeded else "worker_failed")
        except BotError as error:
            self.log(f"Could not report completion: {error}")
            succeeded = False
        finally:
            self.session.close()
        return succeeded


class BotBase(_Bot):
    """A bot that takes part through the real pages in a browser (Selenium).

    `webdriver_type` (configuration; default `chrome`, Debian's headless Chromium) picks
    the browser; `webdriver_url` points to a remote Selenium server instead.
    """

    #: Seconds to wait for each page element.
    wait_seconds = 10

    def __init__(self, URL, assignment_id="", worker_id="", participant_id="", hit_id="", *, config=None):
        super().__init__(URL, assignment_id, worker_id, participant_id, hit_id)
        self.config = config

    @cached_property
    def driver(self):
        """The Selenium driver, created on first use."""
        from bots.webdriver import create_driver

        get = self.config.get if self.config is not None else (lambda key, default=None: default)
        return create_driver(get("webdriver_type", "chrome"), get("webdriver_url"), get("chrome-path", None))

    def wait_for(self, element_id: str, seconds: float | None = None):
        """The element with this id, once it can be clicked."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ready
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, seconds or self.wait_seconds).until(
            ready.element_to_be_clickable((By.ID, element_id))
        )

    def wait_for_any(self, css: str, seconds: float | None = None):
        """The first element matching the CSS selector `css` that can be clicked, once there is one."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        def clickable(driver):
            for element in driver.find_elements(By.CSS_SELECTOR, css):
                if element.is_displayed() and element.is_enabled():
                    return element
            return False

        return WebDriverWait(self.driver, seconds or self.wait_seconds).until(clickable)

    def sign_up(self) -> bool:
        """Open the ad, begin, consent, and start from the instructions page.

        Finds the buttons Dallinger's pages have as its bot finds them: the ad's begin button
        (`#begin-button`, or the first primary or success button), `#consent`, and the
        instructions' begin button (`#begin`, or a success button, enabled by the page's script).
        When the ad opens the experiment in a new window, as Dallinger's does, the bot follows it.
        """
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            self.driver.get(self.URL)
            windows = len(self.driver.window_handles)
            self.wait_for_any(AD_BEGIN).click()
            WebDriverWait(self.driver, self.wait_seconds).until(
                lambda driver: len(driver.window_handles) > windows or driver.find_elements(By.ID, "consent")
            )
            if len(self.driver.window_handles) > windows:
                self.driver.switch_to.window(self.driver.window_handles[-1])
            self.wait_for("consent").click()
            self.wait_for_any(INSTRUCTIONS_BEGIN).click()
            self.participant_id = self._participant_id_in_page() or self.participant_id
            return True
        except WebDriverException as error:
            logger.error("Error during experiment sign up: %s", error.msg or error)
            return False

    def _participant_id_in_page(self) -> str:
        """The participant id the page knows: `dallinger.identity`, else the URL's `participant_id`."""
        from selenium.common.exceptions import WebDriverException

        try:
            known = self.driver.execute_script(
                "return (window.dallinger && dallinger.identity && dallinger.identity.participantId) || ''"
            )
            return str(known or _ids_from_url(self.driver.current_url).get("participant_id", ""))
        except WebDriverException:
            return ""

    def complete_questionnaire(self) -> None:
        """Choose this bot's answers in the questionnaire form."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        for name, value in self.question_responses.items():
            fields = self.driver.find_elements(By.NAME, name)
            if not fields:
                continue
            field = fields[0]
            if field.tag_name == "select":
                Select(field).select_by_value(str(value))
            else:
                field.clear()
                field.send_keys(str(value))

    def sign_off(self) -> bool:
        """Answer and send the questionnaire, which submits the assignment."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support import expected_conditions as ready
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            submit = self.wait_for("submit-questionnaire", seconds=20)
            self.participant_id = self._participant_id_in_page() or self.participant_id
            self.complete_questionnaire()
            windows = self.driver.window_handles
            submit.click()
            # The questionnaire's page goes on to the recruiter's exit, or closes its window.
            WebDriverWait(self.driver, 20).until(
                lambda driver: (
                    len(driver.window_handles) < len(windows) or ready.url_contains("/recruiter-exit")(driver)
                )
            )
            return True
        except WebDriverException as error:
            logger.error("Error during experiment sign off: %s", error.msg or error)
            return False

    def complete_experiment(self, status: str) -> None:
        """Report `worker_failed` (a completed questionnaire has already reported completion),
        with the browser's cookies, which show the server that this bot is the participant.

        A participant created after sign-up (by a waiting room, as in Dallinger's chat
        experiments) is known only to the page: it is read from there, so that a bot failing
        after joining never leaves its participant working."""
        if status == "worker_complete":
            return
        if not self.participant_id and "driver" in self.__dict__:
            self.participant_id = self._participant_id_in_page()
        if not self.participant_id:
            return
        cookies = {cookie["name"]: cookie["value"] for cookie in self.driver.get_cookies()}
        requests.get(
            f"{self.host}/{status}", params={"participant_id": self.participant_id}, cookies=cookies, timeout=10
        )

    def run_experiment(self) -> bool:
        """Sign up, participate, sign off; report failure if any step fails (an error in
        `participate` included); always close the browser."""
        try:
            try:
                succeeded = self.sign_up() and self.took_part() and self.sign_off()
            except Exception:
                logger.exception("%s: the bot's participate() failed.", self.participant_id or self.worker_id)
                succeeded = False
            if not succeeded:
                self.complete_experiment("worker_failed")
            return succeeded
        finally:
            if "driver" in self.__dict__:  # a browser that failed to start is not started again to quit it
                self.driver.quit()
