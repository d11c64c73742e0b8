from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experiments"

    def ready(self):
        from experiments.config import get_config
        from experiments.host import RuntimeHost
        from experiments.realtime import quorum
        from experiments.services.runtime_settings import runtime_setting_read
        from recruitment import host

        host.install(RuntimeHost())
        quorum.connect()
        # The process's configuration reads the values the dashboard changes while running.
        get_config().shared_values = runtime_setting_read
