"""Routes of the dashboard's lifecycle pages, each behind the dashboard login (`site.admin_view`)."""

from django.urls import path

from dashboard.lifecycle import views


def urls(site) -> list:
    """This area's URL patterns, for `DashboardSite.get_urls`."""
    return [
        path("lifecycle/", site.admin_view(views.lifecycle_page), name="dashboard-lifecycle"),
        path("lifecycle/<slug:slug>/", site.admin_view(views.lifecycle_action), name="dashboard-lifecycle-action"),
    ]
