"""The Logger tab: the platform's recent log records, from every process, filtered and searched,
announced live, shown as text, with no secret in them."""

import json
import logging
import os
import subprocess
import sys
import threading

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import Client

from dallinger_project.celery import _keep_records_for_the_dashboard
from dashboard.logger import records as kept_records
from dashboard.logger.handler import RecentRecords
from dashboard.logger.records import log_records_clear, log_records_recent
from dashboard.monitoring.consumers import MonitoringConsumer
from dashboard.tests.test_monitoring_live import CHANGED, QUIET, WAIT, session_cookie, socket
from tests.polling import poll_until

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/logger/"
DATA = "/dashboard/logger/data/"
log = logging.getLogger("dashboard.tests.logger")


@pytest.fixture(autouse=True)
def no_records_yet():
    log_records_clear()
    yield
    log_records_clear()


def records(client, **arguments) -> list[dict]:
    response = client.get(DATA, arguments)
    assert response.status_code == 200, response.content[:300]
    return response.json()["records"]


def messages(client, **arguments) -> list[str]:
    return [record["message"] for record in records(client, **arguments) if record["logger"] == log.name]


def test_the_tab_lists_recent_records_newest_first_with_their_level_logger_and_process(admin_client):
    log.info("first thing")
    log.warning("second thing")

    page = admin_client.get(PAGE).content.decode()
    found = [record for record in records(admin_client) if record["logger"] == log.name]

    assert '<div id="content-main" class="dashboard-logger" data-poll-seconds="20">' in page
    assert [(record["level"], record["message"]) for record in found] == [("WARNING", "second thing"),
                                                                           ("INFO", "first thing")]  # fmt: skip
    assert found[0]["process"].endswith(f":{os.getpid()}") and found[0]["time"].endswith("+00:00")


def test_the_level_filter_and_the_search(admin_client):
    log.info("a participant joined")
    log.warning("a Participant left early")
    log.error("the recruiter failed")

    assert messages(admin_client, level="WARNING") == ["the recruiter failed", "a Participant left early"]
    assert messages(admin_client, level="ERROR") == ["the recruiter failed"]
    assert messages(admin_client, q="PARTICIPANT") == ["a Participant left early", "a participant joined"]
    assert messages(admin_client, q="participant", level="warning") == ["a Participant left early"]
    assert messages(admin_client, q="nothing like this") == []


def test_a_traceback_comes_with_its_record():
    try:
        raise KeyError("lost key")
    except KeyError:
        log.exception("it broke")

    (record,) = [record for record in log_records_recent() if record["logger"] == log.name]
    assert record["message"].startswith("it broke\nTraceback") and "KeyError: 'lost key'" in record["message"]


@pytest.mark.parametrize(
    "arguments, message",
    [({"level": "LOUD"}, "The level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."),
     ({"q": "x" * 201}, "Search at most 200 characters.")],
)  # fmt: skip
def test_a_bad_filter_is_refused_with_a_message(admin_client, arguments, message):
    response = admin_client.get(DATA, arguments)

    assert response.status_code == 400 and response.json() == {"status": "error", "message": message}


def test_the_tab_and_its_data_need_a_staff_login(client, django_user_model):
    log.warning("for staff only")
    participant_like = django_user_model.objects.create_user("someone", password="a long passphrase here")
    not_staff = Client()
    not_staff.force_login(participant_like)

    for visitor in (client, not_staff):
        for url in (PAGE, DATA):
            response = visitor.get(url)
            assert response.status_code == 302 and "/dashboard/login/" in response["Location"]


def test_a_message_with_markup_comes_as_text_in_json(admin_client):
    log.warning("<script>window.__xss = 1</script>")

    response = admin_client.get(DATA)

    assert response["Content-Type"] == "application/json"
    assert messages(admin_client) == ["<script>window.__xss = 1</script>"]  # the page writes it as text


def test_no_secret_value_is_shown_nor_found_by_a_search(admin_client, use_experiment):
    config = use_experiment("bartlett1932").config
    config.set("prolific_api_token", "Tok-3f9a8b7c6d5e4f")
    config.register("lab_secret_phrase", str)
    config.set("lab_secret_phrase", "the owl flies at noon")
    log.warning("calling Prolific with Tok-3f9a8b7c6d5e4f and the owl flies at noon, key %s", settings.SECRET_KEY)

    shown = json.dumps(records(admin_client))

    assert messages(admin_client) == ["calling Prolific with <redacted> and <redacted>, key <redacted>"]
    assert "Tok-3f9a8b7c6d5e4f" not in shown and "owl flies" not in shown and settings.SECRET_KEY not in shown
    assert messages(admin_client, q="Tok-3f9a") == [] and messages(admin_client, q="owl") == []


def test_only_the_newest_records_are_kept(settings):
    settings.DASHBOARD_LOG_RECORDS = 3
    for number in range(5):
        log.warning("record %s", number)

    assert [record["message"] for record in log_records_recent()] == ["record 4", "record 3", "record 2"]


def test_records_of_another_process_are_listed(admin_client):
    if not settings.REDIS_URL:
        pytest.skip("without Redis each process keeps its own records")
    script = ("import django, logging; django.setup(); "
              "logging.getLogger('bots.runner').warning('a bot gave up')")  # fmt: skip
    subprocess.run([sys.executable, "-c", script], check=True, env=dict(os.environ), timeout=60,
                   capture_output=True)  # fmt: skip

    (record,) = [record for record in records(admin_client) if record["logger"] == "bots.runner"]
    assert record["message"] == "a bot gave up" and not record["process"].endswith(f":{os.getpid()}")


def needs_redis():
    if not settings.REDIS_URL:
        pytest.skip("without Redis each process keeps its records in a list of its own, at once")


@pytest.fixture
def queued(monkeypatch):
    """This process's records wait in a fresh queue whose writer never runs: only what the
    test does writes them."""
    needs_redis()
    queue = kept_records._Queue()
    queue.writer = threading.Thread(target=lambda: None)  # never started
    monkeypatch.setattr(kept_records, "_queue", queue)
    return queue


@pytest.fixture
def redis_round_trips(monkeypatch):
    """The commands (or pipelines) this process sends to Redis, each one round trip: a list of
    the commands' first words."""
    from redis.connection import AbstractConnection

    sent, original = [], AbstractConnection.send_packed_command

    def counted(connection, command, check_health=True):
        sent.append(bytes(command if isinstance(command, bytes) else command[0]).split(b"\r\n")[2])
        return original(connection, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return sent


def test_records_logged_together_are_written_in_one_round_trip(queued, redis_round_trips):
    # A worker logs about four records per settled submission: one round trip each cost it
    # more than the rest of their logging.
    for number in range(20):
        log.warning("record %s", number)
    assert redis_round_trips == []  # logging waits on no round trip

    recent = [record["message"] for record in log_records_recent() if record["logger"] == log.name]

    assert recent == [f"record {number}" for number in reversed(range(20))]
    assert redis_round_trips == [b"MULTI", b"LRANGE"]  # the twenty records, then the reading


def test_the_writer_thread_writes_queued_records_by_itself(monkeypatch):
    needs_redis()
    monkeypatch.setattr(kept_records, "_queue", kept_records._Queue())
    redis = kept_records._redis(settings.REDIS_URL)

    log.warning("first")
    log.warning("second")

    def written():
        return [json.loads(raw)["message"] for raw in redis.lrange(kept_records.RECORDS_KEY, 0, 10)]

    poll_until(lambda: written() == ["second", "first"], "the records to reach Redis", timeout=30)


def test_records_still_queued_when_a_process_exits_are_written():
    needs_redis()
    # The writer would wait an hour: only the exit can write the record.
    script = ("import django, logging; django.setup(); from dashboard.logger import records; "
              "records.WRITE_EVERY = 3600; logging.getLogger('bots.runner').warning('the last words')")  # fmt: skip
    subprocess.run([sys.executable, "-c", script], check=True, env=dict(os.environ), timeout=60,
                   capture_output=True)  # fmt: skip

    assert [record["message"] for record in log_records_recent()] == ["the last words"]


def test_a_forked_child_leaves_its_parents_queued_records_to_the_parent(queued):
    log.warning("queued before the fork")

    child = os.fork()
    if child == 0:  # the child: logs one record of its own, writes what it has, and ends
        try:
            log.warning("from the child")
            kept_records.log_records_write_queued()
        finally:
            os._exit(0)
    os.waitpid(child, 0)

    assert sorted(record["message"] for record in log_records_recent()) == ["from the child", "queued before the fork"]


def test_a_worker_keeps_the_handler_its_logging_set_up_removed():
    worker_root = logging.Logger("root")

    _keep_records_for_the_dashboard(logger=worker_root)
    _keep_records_for_the_dashboard(logger=worker_root)

    assert [type(handler) for handler in worker_root.handlers] == [RecentRecords]


@pytest.mark.django_db(transaction=True)
def test_the_logger_tabs_socket_hears_of_new_records_and_the_monitoring_page_does_not(monkeypatch):
    monkeypatch.setattr(MonitoringConsumer, "check_seconds", 0.05)
    session = session_cookie(staff=True)

    async def scenario():
        logger_tab = socket(session, path="/dashboard/live?log=1")
        monitoring = socket(session)
        for communicator in (logger_tab, monitoring):
            connected, _ = await communicator.connect(WAIT)
            assert connected
        assert {json.loads(await logger_tab.receive_from(WAIT))["type"] for _ in range(2)} == {"changed", "logged"}
        assert json.loads(await monitoring.receive_from(WAIT)) == CHANGED
        assert await logger_tab.receive_nothing(QUIET)

        log.warning("something happened")

        assert json.loads(await logger_tab.receive_from(WAIT)) == {"type": "logged"}
        assert await monitoring.receive_nothing(QUIET)
        await logger_tab.disconnect()
        await monitoring.disconnect()

    async_to_sync(scenario)()
