"""Routes of the dashboard's database pages, each behind the dashboard login (`site.admin_view`).

The tables themselves are the admin's; here are Dallinger's JSON route for the experiment's
database actions and the pages of the experiment's own tabs.
"""

from django.urls import path, register_converter

from dashboard.database import views
from dashboard.database.converters import ExperimentTabConverter

register_converter(ExperimentTabConverter, "dashboard_tab")


def urls(site) -> list:
    """This area's URL patterns, for `DashboardSite.get_urls`."""
    return [
        path(
            "database/action/<str:name>",
            site.admin_view(views.database_action),
            name="dashboard-database-action",
        ),
        path(
            "<dashboard_tab:name>/",
            site.admin_view(views.experiment_tab),
            {"site": site},
            name="dashboard-experiment-tab",
        ),
    ]
