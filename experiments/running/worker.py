"""The Celery app of a run's worker: the project's app, reading a folder queue safely.

Without Redis, a run's tasks travel through a folder (settings: DALLINGER_TASK_QUEUE_DIR);
the worker reads it with `experiments.running.taskqueue`, which never takes a message
before its writer has written it.
"""

from django.conf import settings

from dallinger_project.celery import app

if not settings.REDIS_URL and settings.DALLINGER_TASK_QUEUE_DIR:
    app.conf.broker_transport = "experiments.running.taskqueue:Transport"

__all__ = ["app"]
