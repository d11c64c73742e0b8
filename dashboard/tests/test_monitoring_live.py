"""The Monitoring page's socket (/dashboard/live): staff logins only, and a change to the record
made anywhere is announced to the open page."""

import json
import re
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import Node, Participant
from dashboard.monitoring import live
from dashboard.monitoring.consumers import MonitoringConsumer
from dashboard.tests.study import build_study
from recruitment.models import Payment

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 5  # seconds a message may take before the test fails
QUIET = 0.4  # seconds in which no message may come when nothing changed
CHANGED = {"type": "changed"}


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch):
    monkeypatch.setattr(MonitoringConsumer, "check_seconds", 0.05)


def session_cookie(*, staff: bool) -> str:
    user = get_user_model().objects.create_user(f"user-{staff}", password="a long passphrase here", is_staff=staff)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket(session: str | None = None, origin: bytes = b"http://testserver", path: str = "/dashboard/live"
           ) -> WebsocketCommunicator:  # fmt: skip
    from dallinger_project.asgi import application

    headers = [(b"origin", origin), (b"host", b"testserver")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def run(scenario):
    return async_to_sync(scenario)()


async def closed_with(communicator) -> int | None:
    output = await communicator.receive_output(WAIT)
    assert output["type"] == "websocket.close"
    await communicator.disconnect(code=output.get("code") or 1000, timeout=WAIT)
    return output.get("code")


@pytest.mark.parametrize("who", ["nobody", "not staff", "an unknown session"])
def test_a_socket_without_a_staff_login_is_closed_with_4403(who):
    session = {"nobody": None, "not staff": session_cookie(staff=False), "an unknown session": "x" * 32}[who]

    async def scenario():
        communicator = socket(session)
        connected, _ = await communicator.connect(WAIT)
        assert connected
        assert await closed_with(communicator) == 4403

    run(scenario)


def test_a_socket_opened_from_another_sites_page_is_refused():
    session = session_cookie(staff=True)

    async def scenario():
        communicator = socket(session, origin=b"https://evil.example")
        connected, _ = await communicator.connect(WAIT)
        assert not connected

    run(scenario)


def sync(function):
    """`function` to await, run in a worker thread."""
    return sync_to_async(function, thread_sensitive=False)


def in_another_thread(work) -> None:
    """Run `work` in a thread of its own (its own database connection, as another process has)."""

    def target():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(WAIT)


def test_a_staff_page_hears_of_each_change_made_elsewhere_and_of_nothing_else():
    session = session_cookie(staff=True)
    study = build_study(agents=2)
    participant = study.participants[0]

    def new_participant():
        Participant(worker_id="w-new", assignment_id="a-new", hit_id="h", recruiter_id="hotair", mode="debug").save()

    async def scenario():
        communicator = socket(session)
        connected, _ = await communicator.connect(WAIT)
        assert connected
        assert json.loads(await communicator.receive_from(WAIT)) == CHANGED  # at once: fetch the snapshot
        assert await communicator.receive_nothing(QUIET)

        await sync(in_another_thread)(new_participant)
        assert json.loads(await communicator.receive_from(WAIT)) == CHANGED
        assert await communicator.receive_nothing(QUIET)

        await sync(in_another_thread)(lambda: Participant.objects.filter(pk=participant.pk).update(status="submitted"))
        assert json.loads(await communicator.receive_from(WAIT)) == CHANGED

        node = study.nodes[study.networks[0].pk][1]
        await sync(in_another_thread)(lambda: Node.objects.get(pk=node.pk).fail())
        assert json.loads(await communicator.receive_from(WAIT)) == CHANGED
        await communicator.disconnect()

    run(scenario)


def test_the_socket_closes_once_its_session_is_logged_out():
    user = get_user_model().objects.create_user("watcher", password="a long passphrase here", is_staff=True)
    browser = Client()
    browser.force_login(user)
    session = browser.cookies["sessionid"].value

    async def scenario():
        communicator = socket(session)
        connected, _ = await communicator.connect(WAIT)
        assert connected
        assert json.loads(await communicator.receive_from(WAIT)) == CHANGED
        assert await communicator.receive_nothing(QUIET)  # still logged in: the socket stays open

        await sync(in_another_thread)(lambda: browser.post("/dashboard/logout/"))

        assert await closed_with(communicator) == 4403

    run(scenario)


def test_the_socket_closes_once_its_user_loses_staff_status():
    session = session_cookie(staff=True)

    async def scenario():
        communicator = socket(session)
        connected, _ = await communicator.connect(WAIT)
        assert connected
        assert json.loads(await communicator.receive_from(WAIT)) == CHANGED

        await sync(in_another_thread)(lambda: get_user_model().objects.filter(username="user-True").update(is_staff=False))

        assert await closed_with(communicator) == 4403

    run(scenario)


def test_the_change_marker_moves_with_each_kind_of_change_and_only_then(django_assert_num_queries):
    study = build_study(agents=2)
    with django_assert_num_queries(1):
        before = live.change_marker()
    assert live.change_marker() == before

    Participant.objects.filter(pk=study.participants[0].pk).update(status="approved")
    after_status = live.change_marker()
    study.networks[0].full = True
    study.networks[0].save()
    after_full = live.change_marker()
    Payment.objects.create(key="k1", kind="bonus", recruiter="hotair", amount="1.00")
    after_payment = live.change_marker()

    assert len({before, after_status, after_full, after_payment}) == 4
    assert live.change_marker() == after_payment


def test_the_change_marker_costs_the_same_however_many_participants_there_are(django_assert_num_queries):
    """Its one statement reads the counter alone: no table of the record is named, so none is
    scanned; on PostgreSQL the plan says so too."""
    tables = {model._meta.db_table for model in live.WATCHED}
    with CaptureQueriesContext(connection) as captured:
        live.change_marker()
    (statement,) = [query["sql"] for query in captured.captured_queries]
    named = set(re.findall(r"[a-z_]+", statement.lower()))
    assert named.isdisjoint(tables), statement
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + live.change_marker_sql())
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "participant" not in plan and "Scan on dashboard_record_changes" in plan, plan
