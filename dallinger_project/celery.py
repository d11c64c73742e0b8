"""The Celery application: tasks are discovered in every installed app's `tasks` module."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

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
