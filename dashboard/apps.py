"""App configuration for the dashboard."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The Django admin, customised as the monitoring and database dashboard."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = "Dashboard"
