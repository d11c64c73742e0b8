"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()


def close_request_connections(**kwargs) -> None:
    """Close the database connections of the HTTP request that just finished under ASGI.

    Django runs each ASGI request's synchronous code in a thread of its own: a connection kept
    open for the next request would stay with a thread that is gone, one per request (Django
    advises closing them under ASGI). Only HTTP requests: the websockets' database work runs in
    one thread per process (Channels), whose connection is kept, as a WSGI thread's is
    (`CONN_MAX_AGE`); closing it after each use cost a new PostgreSQL connection per database
    call of a socket, about 4 per participant in the waiting room (benchmarks/README.md).
    """
    connections.close_all()


# Sent in the request's own thread (the handler closes the response there), and only by
# Django's ASGI handler: the WSGI servers' and the test client's requests keep their rules.
request_finished.connect(close_request_connections, sender=ASGIHandler, dispatch_uid="asgi.close_request_connections")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.urls import URLPattern  # noqa: E402

from core.realtime import serve_websockets_here  # noqa: E402
from dallinger_project.routing import staff_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

# This process holds the sockets: frames published here go straight to its channel layer.
from experiments.workdir import enter_workdir  # noqa: E402

serve_websockets_here()
enter_workdir()


def with_login_session(patterns: list) -> list:
    """`patterns` with each consumer given the request's Django session and user (`scope["user"]`)."""
    return [URLPattern(route.pattern, AuthMiddlewareStack(route.callback), route.default_args, route.name)
            for route in patterns]  # fmt: skip


# Participants' routes (/chat) see only cookies; the dashboard's also the login session. Every
# socket must come from a page of an allowed host: a session cookie alone, sent by another
# site's page, opens nothing.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(URLRouter([*websocket_urlpatterns, *with_login_session(staff_websocket_urlpatterns)]))
        ),
    }
)
