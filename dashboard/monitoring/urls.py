"""Routes of the dashboard's monitoring pages, each behind the dashboard login (`site.admin_view`)."""

from functools import partial

from django.urls import path

from dashboard.monitoring import views


def urls(site) -> list:
    """This area's URL patterns, for `DashboardSite.get_urls`."""
    return [
        path("monitoring/", site.admin_view(partial(views.page, site=site)), name="dashboard-monitoring"),
        path("monitoring/data/", site.admin_view(partial(views.data, site=site)), name="dashboard-monitoring-data"),
        path(
            "monitoring/details/<str:object_type>/<int:pk>/",
            site.admin_view(partial(views.details, site=site)),
            name="dashboard-monitoring-details",
        ),
    ]
