"""Django's admin, configured with the dashboard's site as its default site."""

from django.contrib.admin.apps import AdminConfig


class DashboardAdminConfig(AdminConfig):
    """The admin app, whose `admin.site` is the dashboard (its pages, tabs and login)."""

    default_site = "dashboard.site.DashboardSite"
