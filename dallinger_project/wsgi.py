"""WSGI entry point for servers that speak WSGI only (HTTP routes, no websockets)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")

application = get_wsgi_application()

from experiments.workdir import enter_workdir  # noqa: E402

enter_workdir()
