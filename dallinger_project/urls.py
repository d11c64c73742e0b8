"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("dashboard/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
