"""Routes of the dashboard's Logger tab, each behind the dashboard login (`site.admin_view`)."""

from functools import partial

from django.urls import path

from dashboard.logger import views


def urls(site) -> list:
    """This area's URL patterns, for `DashboardSite.get_urls`."""
    return [
        path("logger/", site.admin_view(partial(views.page, site=site)), name="dashboard-logger"),
        path("logger/data/", site.admin_view(partial(views.data, site=site)), name="dashboard-logger-data"),
    ]
