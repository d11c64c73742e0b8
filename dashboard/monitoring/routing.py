"""Websocket routes of the dashboard's monitoring, for staff logins only (dallinger_project/asgi.py
puts them behind Django's session and user)."""

from django.urls import path

from dashboard.monitoring.consumers import LIVE_PATH, MonitoringConsumer

websocket_urlpatterns = [path(LIVE_PATH.lstrip("/"), MonitoringConsumer.as_asgi())]
