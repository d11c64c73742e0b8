from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experiments"

    def ready(self):
        from experiments.host import RuntimeHost
        from experiments.realtime import quorum
        from recruitment import host

        host.install(RuntimeHost())
        quorum.connect()
