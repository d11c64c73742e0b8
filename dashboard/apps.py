"""App configuration for the dashboard."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_record_triggers(sender, using=None, **kwargs) -> None:
    from dashboard.monitoring.live import record_triggers_install

    record_triggers_install(using=using)


class DashboardConfig(AppConfig):
    """The Django admin, customised as the monitoring and database dashboard."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self):
        # After every migrate, not in a migration: SQLite drops a table's triggers when a
        # later migration rebuilds the table, so they are made again each time.
        post_migrate.connect(_install_record_triggers, sender=self, dispatch_uid="dashboard-record-triggers")
