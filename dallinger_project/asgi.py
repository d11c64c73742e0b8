"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")
# An ASGI server runs each request's synchronous code in a thread of its own: a connection kept
# open for the next request would stay with a thread that is gone, one per request, until
# PostgreSQL refuses new clients. Here each request closes its connection (as Django advises
# for ASGI); the WSGI servers that carry the participant routes keep theirs. The variable is
# read once, as the settings load, and removed again so that no child process inherits it.
# A process that serves websockets only is started with DATABASE_CONN_MAX_AGE set
# (deploy/layout.py): Channels runs its database work in one thread, which keeps its connection.
_closing_connections = "DATABASE_CONN_MAX_AGE" not in os.environ
if _closing_connections:
    os.environ["DATABASE_CONN_MAX_AGE"] = "0"

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

if _closing_connections:
    del os.environ["DATABASE_CONN_MAX_AGE"]

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
