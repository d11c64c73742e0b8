"""Websocket routes: Dallinger's `/chat` (experiments/realtime/routing.py), which participants
open with their own cookies, and the dashboard's (dashboard/monitoring/routing.py), which need a
staff member's login session (dallinger_project/asgi.py adds it to those routes only)."""

from dashboard.monitoring.routing import websocket_urlpatterns as dashboard_urlpatterns
from experiments.realtime.routing import websocket_urlpatterns as realtime_urlpatterns

websocket_urlpatterns: list = [*realtime_urlpatterns]
staff_websocket_urlpatterns: list = [*dashboard_urlpatterns]
