"""The dashboard's admin site: the record's tables plus the monitoring, lifecycle, logger,
configuration and development pages, with the tabs that lead to them.

Each area of the dashboard is a package that contributes its routes through `urls(site)`; the
site wraps nothing itself beyond Django's admin views, so every page needs the staff login.
"""

from django.contrib import admin

from dashboard import tabs
from dashboard.configuration import urls as configuration_urls
from dashboard.database import urls as database_urls
from dashboard.lifecycle import urls as lifecycle_urls
from dashboard.logger import urls as logger_urls
from dashboard.monitoring import urls as monitoring_urls

AREAS = (monitoring_urls, database_urls, lifecycle_urls, configuration_urls, logger_urls)


class DashboardSite(admin.AdminSite):
    """The experimenter's dashboard at /dashboard/."""

    site_header = "Experiment dashboard"
    site_title = "Experiment dashboard"
    index_title = "The experimental record"

    def get_urls(self):
        own = [pattern for area in AREAS for pattern in area.urls(self)]
        return own + super().get_urls()

    def each_context(self, request):
        context = super().each_context(request)
        if request.user.is_active and request.user.is_staff:
            context["dashboard_tabs"] = tabs.tab_list(request)
        return context
