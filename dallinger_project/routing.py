"""Websocket routes: Dallinger's `/chat` (experiments/realtime/routing.py)."""

from experiments.realtime.routing import websocket_urlpatterns as realtime_urlpatterns

websocket_urlpatterns: list = [*realtime_urlpatterns]
