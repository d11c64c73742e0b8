"""Websocket routes (waiting rooms and chat are added by the experiments app)."""

websocket_urlpatterns: list = []
