"""App configuration for the experimental record."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The experimental record: networks, nodes, infos, participants and their links."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Experimental record"

    def ready(self):
        # Register the bundled subclasses so rows of their types load as them.
        from core import infos, networks, nodes, transformations  # noqa: F401
