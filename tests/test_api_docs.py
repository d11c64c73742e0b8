"""The API documentation page (Swagger UI) is served whole by this server: no outside host,
with or without collectstatic, from a live daphne as from the test client."""

import http.client
import os
import re
import sys

import pytest
from django.core.management import call_command

from dallinger_project.content_security import API_DOCS_POLICY
from experiments.content_security import header_value
from experiments.running.processes import ChildProcess, wait_for_port
from tests.web_servers import HOST, PROJECT_DIR, free_port

ADDRESS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE = re.compile(r"(?:https?:)?//", re.IGNORECASE)


def referenced(html: str) -> list[str]:
    """Every address the page's src and href attributes name."""
    return ADDRESS.findall(html)


def static_paths(addresses: list[str]) -> list[str]:
    """The addresses under /static/, without that prefix."""
    return [address.removeprefix("/static/") for address in addresses if address.startswith("/static/")]


def test_the_page_and_its_script_name_no_other_host(client):
    page = client.get("/api/docs/")
    addresses = referenced(page.content.decode())

    assert page.status_code == 200
    assert len(static_paths(addresses)) == 4  # Swagger UI's style sheet, two scripts, its icon
    assert [address for address in addresses if ABSOLUTE.match(address)] == []
    [script] = [address for address in addresses if address.startswith("/api/docs/?script")]
    assert not re.search(r"https?://", client.get(script).content.decode())


def test_every_file_the_page_needs_is_served_here(client):
    page = client.get("/api/docs/").content.decode()

    for address in referenced(page):
        response = client.get(address)
        assert response.status_code == 200, address
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 0, address


def test_collectstatic_gathers_every_file_the_page_needs(client, settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path / "collected")
    page = client.get("/api/docs/").content.decode()

    call_command("collectstatic", interactive=False, verbosity=0)

    assert len(static_paths(referenced(page))) == 4
    for path in static_paths(referenced(page)):
        assert (tmp_path / "collected" / path).is_file(), path
        assert client.get(f"/static/{path}").status_code == 200, path


@pytest.fixture
def daphne(tmp_path):
    """A daphne process of the embedded default (SQLite, no collectstatic); its port."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DALLINGER_TASK_QUEUE_DIR", "DJANGO_STATIC_ROOT")
    }
    environment["DALLINGER_SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    command = [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "dallinger_project.asgi:application"]
    child = ChildProcess("daphne", command, environment, tmp_path / "daphne.log", cwd=PROJECT_DIR)
    try:
        assert wait_for_port(port, child, timeout=60, host=HOST), child.log_tail(40)
        yield port
    finally:
        child.stop()


def fetch(port: int, path: str) -> tuple[int, bytes, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), response.headers
    finally:
        connection.close()


def test_a_live_daphne_serves_the_page_and_its_files_without_collectstatic(daphne):
    status, page, headers = fetch(daphne, "/api/docs/")

    assert status == 200
    assert headers["Content-Security-Policy"] == header_value(API_DOCS_POLICY)
    addresses = referenced(page.decode())
    assert static_paths(addresses)
    for address in addresses:
        status, body, _ = fetch(daphne, address)
        assert (status, bool(body)) == (200, True), address
