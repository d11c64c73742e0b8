"""`manage.py bot <experiment> --url URL`: run one of the experiment's bots against a running server."""

from django.core.management.base import BaseCommand, CommandError

from experiments.bot_classes import BotNotFound, bot_class, bot_kind, make_bot
from experiments.loader import ExperimentLoadError, load_experiment


class Command(BaseCommand):
    help = "Run one bot of an experiment against a running server (the equivalent of `dallinger bot`)."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="a bundled demo's name, an installed experiment, or a folder")
        parser.add_argument("--url", required=True, help="the server's ad page, or just its address")
        parser.add_argument(
            "--bot-type",
            choices=("http", "browser"),
            help="the kind of bot (default: the experiment's HTTP bot, else its browser bot)",
        )

    def handle(self, *args, **options):
        try:
            loaded = load_experiment(options["experiment"])
            bot_type = options["bot_type"] or bot_kind(loaded.module, loaded.config)
            bot_class_ = bot_class(loaded.module, bot_type)
        except (ExperimentLoadError, BotNotFound) as error:
            raise CommandError(str(error)) from None
        url = options["url"]
        if "/ad" not in url:
            url = url.rstrip("/") + "/ad?recruiter=bots&mode=debug"
        bot = make_bot(bot_class_, url, loaded.config)
        self.stdout.write(f"Running {bot_class_.__name__} against {url}")
        if not bot.run_experiment():
            raise CommandError(f"The bot did not complete (participant {bot.participant_id or 'not created'}).")
        self.stdout.write(self.style.SUCCESS(f"The bot completed as participant {bot.participant_id}."))
