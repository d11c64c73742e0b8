"""The Celery application: tasks are discovered in every installed app's `tasks` module."""

import os

from celery import Celery
from celery.signals import after_setup_logger, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")

app = Celery("dallinger_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(sender=None, **kwargs) -> None:
    """Treat each task like a request: reuse its thread's database connection within
    `CONN_MAX_AGE`, and drop it if broken (Django does the same around every request).

    Celery's own Django fix-up would close and reopen the connection around every task,
    a new PostgreSQL backend per task; settings.CELERY_DB_REUSE_MAX turns that off.
    Eager tasks run inside the caller's transaction and leave its connection alone.
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _enter_workdir(**kwargs) -> None:
    """A worker runs the experiment's tasks and bots in its folder, as the web server serves from it."""
    from experiments.workdir import enter_workdir

    enter_workdir()


@after_setup_logger.connect
def _keep_records_for_the_dashboard(logger=None, **kwargs) -> None:
    """A worker replaces the root logger's handlers with its own: the handler that keeps the
    recent records for the dashboard's Logger tab is put back."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    described = settings.LOGGING["handlers"]["recent_records"]
    handler_class = import_string(described["class"])
    if logger is not None and not any(isinstance(handler, handler_class) for handler in logger.handlers):
        logger.addHandler(handler_class(level=described["level"]))
