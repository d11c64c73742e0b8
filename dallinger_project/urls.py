"""Top-level URL configuration: the dashboard, the API schema, recruitment's routes, then the
experiment's routes (an experiment's custom route cannot take a recruitment path)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.realtime import RELAY_PATH, relay_in_use, relay_view

# Frames other processes publish on the embedded default (signed; see core/realtime.py). With
# Redis nothing uses the route, so it is not there to be probed.
relay = [path(RELAY_PATH.lstrip("/"), relay_view)] if relay_in_use() else []

urlpatterns = [
    path("dashboard/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file rather than inline, so the
    # page can run under a Content-Security-Policy without 'unsafe-inline' scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    *relay,
    path("", include("recruitment.urls")),
    path("", include("experiments.urls")),
]
