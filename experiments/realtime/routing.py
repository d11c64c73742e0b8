"""The websocket route of the experiment runtime."""

from django.urls import path

from experiments.realtime.consumers import ChatConsumer

websocket_urlpatterns = [path("chat", ChatConsumer.as_asgi())]
