"""The Django project: settings, URLs and the ASGI, WSGI and Celery entry points."""

from dallinger_project.celery import app as celery_app

__all__ = ("celery_app",)
