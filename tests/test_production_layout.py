"""The production layout (deploy/layout.py) survives faults: nginx in front of two web server
processes (gunicorn's, then granian's), two websocket processes, and a Celery worker, run on
the test database and Redis, as `scripts/production` runs them.

One layout per web server serves every test of this module (starting it costs seconds); the
tests that kill its processes come last. Waits poll with generous deadlines; nothing is timed.
"""

import http.client
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import websocket
from django.db import connection

from core.models import Notification, Participant
from deploy.layout import WSGI_SERVERS, Layout, LayoutOptions
from deploy.supervisor import RestartPolicy
from experiments.models import Presence
from tests.polling import poll_until
from tests.web_servers import HOST, free_port, holding, server_environment

#: Its `/slow` route answers after a while, so that requests are in flight when a process dies.
EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "slow_requests"
DEADLINE = 90.0
#: gunicorn's keep-alive before this layout set it: idle connections were closed after it.
OLD_GUNICORN_KEEPALIVE = 5
#: Threads sending requests to `/slow` while a web process is killed: together more than the
#: layout's 8 request threads, so that both web server processes are busy.
GET_THREADS = 6
POST_THREADS = 3

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module", params=WSGI_SERVERS)
def layout(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The layout behind nginx, with each WSGI server in turn, with restarts, on the test
    database and Redis."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
            pytest.skip("the layout needs PostgreSQL and Redis")
        settings_dict = dict(connection.settings_dict)
    env = server_environment(settings_dict=settings_dict, experiment=EXPERIMENT)
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    env["DJANGO_TRUST_X_FORWARDED_PROTO"] = "true"  # as behind a TLS proxy, without its redirect
    options = LayoutOptions(server=request.param, web_processes=2, threads=4, port=free_port(), worker_concurrency=2,
                            beat=False, websocket_processes=2)  # fmt: skip
    lines = []
    running = Layout(options, env, tmp_path_factory.mktemp("layout"), restart=RestartPolicy(first_delay=0.2),
                     report=lines.append)  # fmt: skip
    running.reports = lines
    try:
        running.start(timeout=DEADLINE)
        yield running
    finally:
        running.stop()


def request(
    port: int, method: str, path: str, body: str | None = None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    """One request on a new connection: status, headers (names in any case, as HTTP has them), body."""
    client = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        return response.status, response.msg, response.read()
    finally:
        client.close()


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def established_connections(port: int) -> int:
    """TCP connections accepted on local `port` that are open now (from /proc/net/tcp)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 01: ESTABLISHED
                count += 1
    return count


def test_nginx_does_not_tell_its_version(layout):
    status, headers, _ = request(layout.options.port, "GET", "/summary")
    assert status == 200
    assert headers["Server"] == "nginx"


def test_nginx_passes_on_the_scheme_a_load_balancer_in_front_saw(layout):
    # Behind a load balancer that ends TLS, the browser's scheme is the balancer's header; the
    # participant's cookie is then marked Secure. Straight to nginx, the scheme is nginx's own.
    behind_tls = request(layout.options.port, "POST", "/participant/lb-w1/lb-h/lb-a1/debug", "",
                         {"X-Forwarded-Proto": "https"})  # fmt: skip
    direct = request(layout.options.port, "POST", "/participant/lb-w2/lb-h/lb-a2/debug", "")

    assert (behind_tls[0], direct[0]) == (200, 200)
    assert "Secure" in behind_tls[1]["Set-Cookie"]
    assert "Secure" not in direct[1]["Set-Cookie"]


def test_websockets_are_spread_over_the_websocket_processes_and_frames_cross_between_them(layout):
    ports = layout.options.websocket_ports
    assert len(ports) == 2
    sockets, participants = [], []
    try:
        # Given four participants' sockets opened one after the other through nginx
        for number in range(4):
            participants.append(participant_socket(layout, f"ws{number}", sockets))
        # Then each websocket process holds two of them (least_conn: the one holding fewer)
        assert [established_connections(port) for port in ports] == [2, 2]

        # and a frame sent on one reaches all four: those held by the other process too
        sockets[0].send("room:across")
        for sock in sockets:
            assert next_room_frame(sock) == "room:across"
    finally:
        close_sockets(sockets, participants)


def participant_socket(layout, worker_id: str, sockets: list) -> int:
    """A new participant's socket on channel `room` through nginx, added to `sockets`; their id."""
    who = Participant(recruiter_id="hotair", worker_id=worker_id, assignment_id=f"{worker_id}-a", hit_id="h")
    who.save()
    cookie = "; ".join(f"{name}={value}" for name, value in holding(who.pk).items())
    url = f"ws://{HOST}:{layout.options.port}/chat?channel=room&participant_id={who.pk}"
    sockets.append(websocket.create_connection(url, timeout=DEADLINE, cookie=cookie))
    return who.pk


def close_sockets(sockets: list, participants: list) -> None:
    """Close the sockets, and wait until the servers have recorded each close in the database
    (not to empty the test's database under them)."""
    for sock in sockets:
        sock.close()
    poll_until(lambda: not Presence.objects.filter(pk__in=participants, sockets__gt=0).exists(),
               "the websocket processes to record the closed sockets", timeout=DEADLINE)  # fmt: skip


def test_the_websocket_processes_keep_their_database_connections(layout):
    def socket_round(prefix: str, count: int, at_once: int) -> None:
        """`count` participants each open a socket (`at_once` of them open together) and close it."""
        for start in range(0, count, at_once):
            sockets = []
            participants = [participant_socket(layout, f"{prefix}{number}", sockets) for number in range(start, start + at_once)]
            close_sockets(sockets, participants)

    def sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]

    # Given both websocket processes have served a socket (two open at once: one on each)
    socket_round("warm", 2, at_once=2)
    # PostgreSQL's statistics of a backend still running reach its views within a second.
    time.sleep(1.5)
    before = sessions()

    # When eight participants open a socket one after the other, each socket's database work
    # (authorising it, counting and uncounting its presence) done before the next opens
    socket_round("kept", 8, at_once=1)
    time.sleep(1.5)

    # Then that work ran on the processes' kept connections: no new PostgreSQL session for it
    # (closing the connection after each use, as ASGI HTTP must, opened about three per socket)
    assert sessions() - before < 4


def next_room_frame(sock: websocket.WebSocket) -> str:
    """The next frame that is not a control event (an error frame fails the test at once)."""
    deadline = time.monotonic() + DEADLINE  # the server's pings would keep a blocking recv waiting
    while time.monotonic() < deadline:
        text = sock.recv()
        assert '"type": "error"' not in text, text
        if not text.startswith("dallinger_control:"):
            return text
    raise AssertionError("no frame came")


def test_a_64_kilobyte_form_reaches_the_application(layout):
    # Given a form body larger than nginx keeps in memory, which it writes to a temp file
    body = urlencode({"filler": "x" * 65536})

    # When it is posted through nginx
    status, _, answer = request(layout.options.port, "POST", "/participant/bigform/h1/a1/debug", body)

    # Then the application answers it (not nginx with a 500)
    assert status == 200, answer[:500]
    assert Participant.objects.filter(worker_id="bigform").count() == 1


def test_posts_after_idle_keep_alive_connections_all_succeed(layout):
    port, upstream = layout.options.port, layout.options.http_port
    statuses = []

    def post_several(round_number: int):
        threads = [
            threading.Thread(
                target=lambda number=number: statuses.append(
                    request(
                        port, "POST", f"/participant/idle{round_number}w{number}/h/idle{round_number}a{number}/debug"
                    )[0]
                )
            )
            for number in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)

    for round_number in range(2):
        # Given nginx's keep-alive connections to the web server, left idle for longer than gunicorn
        # used to keep them
        post_several(round_number)
        assert established_connections(upstream) > 0
        time.sleep(OLD_GUNICORN_KEEPALIVE + 1.5)

        # Then the web server has not closed them (nginx closes idle ones first: no request can meet a
        # connection that the web server is closing)
        assert established_connections(upstream) > 0

    # and the POSTs sent on them all succeed
    post_several(2)
    assert statuses == [200] * 18


@dataclass
class Outcome:
    """One request of the load: its method, when it was sent, and its status (None: no answer)."""

    method: str
    started: float
    status: int | None
    error: str | None = None
    token: str = ""


def load(port: int, method: str, name: str, outcomes: list, stop: threading.Event) -> None:
    """Requests to `/slow` one after another on a keep-alive connection to nginx until `stop`
    is set; each POST carries a token of its own."""
    client, number = None, 0
    while not stop.is_set():
        number += 1
        if client is None:
            client = http.client.HTTPConnection(HOST, port, timeout=60)
        started = time.monotonic()
        token = f"{name}-{number}"
        try:
            if method == "GET":
                client.request("GET", "/slow?seconds=0.2")
            else:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                client.request("POST", "/slow", body=urlencode({"seconds": 0.2, "token": token}), headers=headers)
            response = client.getresponse()
            response.read()
            outcomes.append(Outcome(method, started, response.status, token=token))
            if response.will_close:
                client.close()
                client = None
        except (OSError, http.client.HTTPException) as error:
            outcomes.append(Outcome(method, started, None, repr(error), token=token))
            client.close()
            client = None
    if client is not None:
        client.close()


def test_a_killed_web_process_costs_at_most_the_posts_it_was_serving(layout):
    if layout.options.server != "gthread":
        pytest.skip("granian once lost a GET here, not yet explained (docs/deployment.md, 'What a killed web process costs')")
    port = layout.options.port
    master = layout.pids()["web"]
    poll_until(
        lambda: len(children_of(master)) == 2,
        "the web server's two worker processes",
        timeout=DEADLINE,
        meanwhile=layout.check,
    )
    workers = children_of(master)

    # Given GETs and POSTs through nginx from several threads at once, more than one web server
    # process serves at a time
    outcomes: list[Outcome] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=load, args=(port, "GET", f"g{number}", outcomes, stop)) for number in range(GET_THREADS)
    ]
    threads += [threading.Thread(target=load, args=(port, "POST", f"p{number}", outcomes, stop)) for number in range(POST_THREADS)]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        poll_until(lambda: len(outcomes) >= 3 * len(threads), "the load to get going", timeout=DEADLINE)

        # When one of the two web server worker processes is killed
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        poll_until(
            lambda: len(children_of(master) - {victim}) == 2,
            "the web server to replace its worker",
            timeout=DEADLINE,
            meanwhile=layout.check,
        )
        after = len(outcomes)
        poll_until(
            lambda: len(outcomes) >= after + 3 * len(threads),
            "more requests after the replacement",
            timeout=DEADLINE,
            meanwhile=layout.check,
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(DEADLINE)

    gets = [outcome for outcome in outcomes if outcome.method == "GET"]
    posts = [outcome for outcome in outcomes if outcome.method == "POST"]
    failed_posts = [outcome for outcome in posts if outcome.status != 200]
    print(f"\n{len(gets)} GETs, {len(posts)} POSTs; failed POSTs: {failed_posts}")
    # Then no GET failed: nginx sent those the dead process held to a live one
    failed_gets = [outcome for outcome in gets if outcome.status != 200]
    assert failed_gets == [], f"{failed_gets}; nginx said:\n{_tail(layout.log_dir / 'proxy.log')}"
    # and the POSTs that failed were at most those in flight on the killed process (each
    # thread has one request in flight at a time), answered by nginx with a 502
    assert len(failed_posts) <= POST_THREADS
    assert all(outcome.status == 502 for outcome in failed_posts), failed_posts
    # and no POST was sent twice: each token was stored once at most, every answered one once
    stored = list(Notification.objects.filter(event_type="slow-post").values_list("assignment_id", flat=True))
    assert len(stored) == len(set(stored))
    assert {outcome.token for outcome in posts if outcome.status == 200} <= set(stored)
    # and the layout went on without restarting anything: the web server replaced its own worker
    assert layout.pids()["web"] == master
    layout.check()


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def test_killed_processes_are_started_again_and_the_record_is_kept(layout):
    port = layout.options.port
    # Given a participant in the record
    status, _, _ = request(port, "POST", "/participant/keptw/h/kepta/debug", "")
    assert status == 200
    before = layout.pids()

    # When the Celery worker, nginx and the web server's master are killed
    for name in ("worker", "proxy", "web"):
        os.kill(before[name], signal.SIGKILL)

    # Then each is started again, as a new process
    def all_replaced():
        now = layout.pids()
        return all(name in now and now[name] != before[name] for name in ("worker", "proxy", "web"))

    poll_until(all_replaced, "the killed processes to be started again", timeout=DEADLINE, meanwhile=layout.check)
    for name in ("worker", "proxy", "web"):
        assert f"{name}: was killed by SIGKILL; starting it again" in "\n".join(layout.reports)

    # and the layout serves again, with the record as it was
    def serving():
        try:
            return request(port, "GET", "/summary")[0] == 200
        except OSError:
            return False

    poll_until(serving, "the layout to serve again", timeout=DEADLINE, meanwhile=layout.check)
    assert Participant.objects.filter(worker_id="keptw").count() == 1

    # and the new worker takes tasks from the broker
    from dallinger_project.celery import app

    poll_until(
        lambda: app.control.ping(timeout=1.0),
        "the new worker to answer a ping",
        timeout=DEADLINE,
        meanwhile=layout.check,
    )
