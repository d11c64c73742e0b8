"""Routes of the dashboard's configuration pages, each behind the dashboard login (`site.admin_view`)."""

from django.urls import path

from dashboard.configuration import views


def urls(site) -> list:
    """This area's URL patterns, for `DashboardSite.get_urls`."""
    return [
        path("config/", site.admin_view(views.config_page), name="dashboard-config"),
        path("development/", site.admin_view(views.development_page), name="dashboard-development"),
    ]
