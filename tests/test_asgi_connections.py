"""Database connections under ASGI (dallinger_project/asgi.py): an HTTP request closes its own,
while the websockets' one database thread keeps its connection (tests/test_production_layout.py
counts PostgreSQL's sessions for that)."""

import threading

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished
from django.db import connection

import dallinger_project.asgi  # noqa: F401  (connects the ASGI requests' receiver)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def connection_left_open_after(sender) -> bool:
    """In a thread of its own, as Django runs an ASGI request: open the connection, finish a
    request sent by `sender`, and say whether the thread's connection is still open."""
    result = []

    def request_thread():
        connection.ensure_connection()
        request_finished.send(sender=sender)
        result.append(connection.connection is not None)
        connection.close()

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join()
    return result[0]


def test_an_http_request_finished_under_asgi_closes_its_thread_s_connection():
    if connection.settings_dict["CONN_MAX_AGE"] == 0:
        pytest.skip("connections kept between requests (CONN_MAX_AGE) are what this is about")
    # A WSGI request keeps its thread's connection (CONN_MAX_AGE); an ASGI one closes it.
    assert connection_left_open_after(WSGIHandler) is True
    assert connection_left_open_after(ASGIHandler) is False
