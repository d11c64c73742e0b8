"""Each answer with a 5xx status leaves one log line naming the request and its cause."""

import logging
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.db import OperationalError
from django.test import AsyncClient

from dallinger_project.server_errors import MARKER
from tests.experiments.broken_route.experiment import FAILURE

BROKEN_ROUTE = Path(__file__).parent / "experiments" / "broken_route"


def server_error_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.getMessage().startswith(MARKER)]


@pytest.fixture
def locked_database(monkeypatch):
    """GET /summary fails as it would when SQLite gives up waiting for the write lock."""

    def summary(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("experiments.api.lifecycle.experiment_summary", summary)


@pytest.mark.django_db
def test_an_api_error_is_logged_with_its_request_and_cause(client, use_experiment, locked_database, caplog):
    use_experiment("bartlett1932")
    caplog.set_level(logging.INFO)

    response = client.get("/summary?x=1")

    assert response.status_code == 500
    assert server_error_lines(caplog) == [f"{MARKER}GET /summary?x=1: OperationalError: database is locked"]


@pytest.mark.django_db(transaction=True)
def test_an_error_under_the_asgi_handler_is_logged_with_its_cause(use_experiment, caplog):
    # The ASGI handler (daphne's) runs the view in another thread than the middleware.
    use_experiment(BROKEN_ROUTE)
    caplog.set_level(logging.INFO)

    response = async_to_sync(AsyncClient(raise_request_exception=False).get)("/broken")

    assert response.status_code == 500
    assert server_error_lines(caplog) == [f"{MARKER}GET /broken: RuntimeError: {FAILURE}"]


@pytest.mark.django_db
def test_answers_below_500_leave_no_such_line(client, use_experiment, caplog):
    use_experiment("bartlett1932")
    caplog.set_level(logging.INFO)

    assert client.get("/node/999/received_infos").status_code == 400
    assert client.get("/summary").status_code == 200
    assert server_error_lines(caplog) == []


def test_a_cause_quoting_what_a_client_sent_cannot_drive_the_terminal():
    from types import SimpleNamespace

    from dallinger_project.server_errors import cause

    error = ValueError("bad value \x1b[2J\x1b]0;owned\x07 from\nthe client")

    assert cause([error], SimpleNamespace()) == "ValueError: bad value ?[2J?]0;owned? from the client"
