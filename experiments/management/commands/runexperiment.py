"""`manage.py runexperiment <name-or-path>`: run an experiment end to end on this machine.

The equivalent of `dallinger debug`: prepares the database, starts the web server (HTTP and
websockets) and a task worker, launches the experiment and recruits. With `--bots N` it
follows the bots to the end and exits; otherwise it serves people until Ctrl-C.
"""

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import webbrowser
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.record import clear_record
from experiments.loader import ExperimentLoadError, load_experiment
from experiments.running.processes import ChildProcess, port_is_free, wait_for_port
from experiments.running.progress import bots_plan, nobody_took_part, snapshot
from experiments.running.serverlog import ServerLog
from experiments.services.dashboard_account import DashboardAccountError, dashboard_account_ensure
from experiments.services.runtime_settings import runtime_settings_clear
from experiments.workdir import WORKDIR_VARIABLE

BASE_DIR = Path(settings.BASE_DIR)


class Interrupted(Exception):
    """The run was stopped with Ctrl-C (SIGINT) or SIGTERM."""


class Command(BaseCommand):
    help = "Run an experiment end to end: database, web server, worker, launch and recruitment."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="a bundled demo's name, an installed experiment, or a folder")
        parser.add_argument("--bots", type=int, metavar="N", help="recruit N bots and follow them to the end")
        parser.add_argument(
            "--bot-type",
            choices=("http", "browser"),
            help="the kind of bot (default: the experiment's HTTP bot, else its browser bot)",
        )
        parser.add_argument("--recruiter", help="the recruiter to use (default: the experiment's configuration)")
        parser.add_argument("--port", type=int, default=8000, help="the web server's port (default 8000)")
        parser.add_argument("--no-browser", action="store_true", help="do not open a browser for participants")
        parser.add_argument("--timeout", type=float, help="give up after this many seconds (default 600 with bots)")
        parser.add_argument(
            "--export", nargs="?", const="", metavar="PATH", help="export the data at the end (to PATH)"
        )
        parser.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="override a configuration value"
        )
        parser.add_argument("--workers", type=int, default=4, help="tasks (bots) the worker runs at once")
        parser.add_argument("--keep-data", action="store_true", help="keep the data of earlier runs")

    def handle(self, *args, **options):
        run = Run(self, options)
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def interrupt(signum, frame):
            raise Interrupted

        for sig in previous:
            signal.signal(sig, interrupt)
        exit_status = 0
        failed = True
        try:
            run.start()
            if options["bots"] is not None:
                run.follow_bots()
            else:
                run.serve_people()
            failed = False
        except Interrupted:
            failed = False
            exit_status = 130 if options["bots"] is not None else 0
            self.stdout.write("\nStopping.")
        finally:
            # Whatever happened, even a failure to print (a terminal gone), the processes stop:
            # in their own sessions, they would outlive this one and keep the port and database.
            for sig in previous:
                signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
            run.stop(keep_logs=failed)  # after a failure, the logs tell what happened
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if exit_status:
            sys.exit(exit_status)


class Run:
    """One run of an experiment: its settings, its child processes, and what it prints."""

    def __init__(self, command: Command, options: dict):
        self.command = command
        self.options = options
        self.port = options["port"]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.children: list[ChildProcess] = []
        self.started = time.monotonic()
        self.folder: Path | None = None  # the children's logs and task queue, made when they start
        self.server_log: ServerLog | None = None  # the web server's log, read for server errors

    # Output ------------------------------------------------------------------------------

    def say(self, text: str, style=None) -> None:
        """Print a line for the experimenter (at once, also when the output is a pipe or a file)."""
        self.command.stdout.write(style(text) if style else text)
        self.command.stdout.flush()

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:6.1f}s"

    # Starting ------------------------------------------------------------------------------

    def overrides(self) -> dict:
        """Configuration values this run sets, as environment variables for every process."""
        values = {}
        for item in self.options["set"]:
            key, separator, value = item.partition("=")
            if not separator or not key.strip():
                raise CommandError(f"--set takes KEY=VALUE, not {item!r}.")
            values[key.strip()] = value
        if self.options["recruiter"]:
            values["recruiter"] = self.options["recruiter"]
        if self.options["bots"] is not None:
            if self.options["bots"] < 1:
                raise CommandError("--bots needs a positive number.")
            values.setdefault("recruiter", "bots")
            values["max_bots"] = str(self.options["bots"])
            if self.options["bot_type"]:
                values["bot_type"] = self.options["bot_type"]
        return values

    def start(self) -> None:
        """Load the experiment, prepare the database, start the processes, launch."""
        overrides = self.overrides()
        os.environ.update(overrides)
        try:
            loaded = load_experiment(self.options["experiment"])
        except (ExperimentLoadError, ValueError) as error:
            raise CommandError(str(error)) from None
        self.loaded = loaded
        if not loaded.config.get("id"):
            # Recruiters name what they create on their platforms by the experiment's id (a
            # Prolific study's internal name): each run is a new experiment unless one is set.
            overrides["id"] = str(uuid.uuid4())
            os.environ["id"] = overrides["id"]
            loaded.config.set("id", overrides["id"])
        if self.options["bots"] is not None and loaded.config.get("recruiter") not in ("bots", "multi"):
            raise CommandError("--bots needs the bots (or multi) recruiter; drop --recruiter or use bots.")
        if not port_is_free(self.port):
            raise CommandError(f"Port {self.port} is already in use: choose another with --port.")

        self.say(f"Experiment {loaded.name} ({loaded.experiment_class.__name__}) from {loaded.directory}")
        if "id" in overrides:
            self.say(f"Experiment id: {overrides['id']} (new for this run; set `id` in config.txt to keep one)")
        call_command("migrate", interactive=False, verbosity=0)
        if not self.options["keep_data"]:
            clear_record()
            runtime_settings_clear()  # what the dashboard changed in an earlier run (auto_recruit)
            if settings.REDIS_URL:
                # Tasks left on Redis by an earlier run must not act on this one.
                from dallinger_project.celery import app

                app.control.purge()
        database = settings.DATABASES["default"]
        where = "PostgreSQL" if database["ENGINE"].endswith("postgresql") else f"SQLite ({database['NAME']})"
        self.say(f"Database: {where}; tasks: {'Redis' if settings.REDIS_URL else 'a local queue'}")

        self.folder = Path(tempfile.mkdtemp(prefix="dallinger-run-"))
        env = self.child_environment(overrides)
        python = sys.executable
        web = ChildProcess(
            "web",
            [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "dallinger_project.asgi:application"],
            env,
            self.folder / "web.log",
        )
        self.children.append(web)
        self.server_log = ServerLog(web.log_path)
        worker_command = [
            python, "-m", "celery", "-A", "experiments.running.worker", "worker", "--pool", "threads",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        # The experiment's own tasks (settlements, websocket messages) and the periodic checks
        # (celery beat: the ledger's sweep, the Prolific status check) run beside the bots, which
        # have a worker of their own: a bot's task lasts as long as its participant takes part.
        worker = ChildProcess(
            "worker",
            [*worker_command, "--concurrency", "2", "--queues", "celery",
             "--hostname", "experiment@%h", "--beat", "--schedule", str(self.folder / "celerybeat-schedule")],
            env,
            self.folder / "worker.log",
        )  # fmt: skip
        bots = ChildProcess(
            "bots",
            [*worker_command, "--concurrency", str(self.options["workers"]), "--queues", settings.BOTS_QUEUE,
             "--hostname", "bots@%h"],
            env,
            self.folder / "bots.log",
        )  # fmt: skip
        self.children.extend([worker, bots])
        if not wait_for_port(self.port, web, timeout=60):
            raise CommandError(f"The web server did not start. Its output:\n{web.log_tail()}")
        self.launch()

    def child_environment(self, overrides: dict) -> dict:
        env = dict(os.environ)
        env.update(overrides)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "dallinger_project.settings"),
                "DALLINGER_EXPERIMENT": str(self.loaded.directory),
                # As in Dallinger, the experiment's relative paths resolve against its folder.
                WORKDIR_VARIABLE: str(self.loaded.directory),
                "DALLINGER_BASE_URL": self.base_url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        # The children import the project wherever the command was started from.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")]))
        if not settings.REDIS_URL:
            queue = self.folder / "tasks"
            queue.mkdir(exist_ok=True)
            env["DALLINGER_TASK_QUEUE_DIR"] = str(queue)
        if connection.vendor == "sqlite":
            env["DALLINGER_SQLITE_PATH"] = str(settings.DATABASES["default"]["NAME"])
        return env

    def request(self, method: str, path: str) -> dict:
        """A JSON request to the run's server."""
        call = urllib.request.Request(self.base_url + path, method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(call, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                return json.loads(error.read())
            except ValueError:
                return {"status": "error", "message": f"HTTP {error.code}"}
        except (urllib.error.URLError, OSError, ValueError) as error:
            return {"status": "error", "message": str(error)}

    def launch(self) -> None:
        answer = self.request("POST", "/launch")
        self.report_server_errors()
        if answer.get("status") != "success":
            raise CommandError(f"Launching failed: {answer.get('message', answer)}")
        if self.options["bots"] is not None and self.loaded.config.get("recruiter") == "bots":
            self.say(f"Launched: {self.bots_plan()}")
        else:
            self.say(f"Launched. {answer['recruitment_msg'].splitlines()[-1]}")

    def bots_plan(self) -> str:
        """How many bots will take part and how they come (the launch recruited the first)."""
        from experiments.experiment import Experiment
        from recruitment.base import recruited_count
        from recruitment.bots import BotRecruiter

        return bots_plan(
            limit=self.options["bots"],
            recruited=recruited_count(BotRecruiter.nickname),
            places=self.request("GET", "/summary").get("nodes_remaining"),
            recruits_more=self.loaded.experiment_class.recruit is not Experiment.recruit,
            at_once=self.options["workers"],
        )

    # Following -----------------------------------------------------------------------------

    def child(self, name: str) -> ChildProcess:
        """The child process called `name`."""
        return next(child for child in self.children if child.name == name)

    def check_children(self) -> None:
        for child in self.children:
            if not child.running:
                raise CommandError(f"The {child.name} process stopped unexpectedly. Its output:\n{child.log_tail()}")

    def report_server_errors(self) -> None:
        """Print each server error (5xx answer) the web server logged since the last look."""
        if self.server_log is None:
            return
        for cause in self.server_log.read():
            self.say(f"[{self.elapsed()}] {cause}", self.command.style.ERROR)

    def follow_bots(self) -> None:
        """Print progress until the experiment is complete; CommandError on timeout or a stall."""
        timeout = self.options["timeout"] or 600
        stall_limit = max(60.0, timeout / 5)
        last, last_change = None, time.monotonic()
        while True:
            self.check_children()
            self.report_server_errors()
            progress = snapshot()
            if progress != last:
                self.say(f"[{self.elapsed()}] {progress.line()}")
                last, last_change = progress, time.monotonic()
            summary = self.request("GET", "/summary")
            if summary.get("completed"):
                break
            if time.monotonic() - self.started > timeout:
                raise CommandError(f"Timed out after {timeout:.0f} s before the experiment completed: {progress.line()}")
            if time.monotonic() - last_change > stall_limit:
                raise CommandError(
                    f"No progress for {stall_limit:.0f} s: {progress.line()}.\n"
                    f"The worker's last output (the bots run there):\n{self.child('worker').log_tail()}"
                )
            time.sleep(0.5)
        final = snapshot()  # a fresh count: the last one may predate the completion
        if not final.count("approved"):
            raise CommandError(nobody_took_part(final))
        self.finish(final)

    def finish(self, progress) -> None:
        statuses = ", ".join(f"{count} {status}" for status, count in progress.statuses) or "none"
        self.say(f"Experiment complete in {time.monotonic() - self.started:.1f} s.", self.command.style.SUCCESS)
        self.say(f"  participants  {statuses}")
        self.say(f"  networks      {progress.networks_full} of {progress.networks} full, {progress.nodes} nodes")
        self.export()

    def export(self) -> None:
        if self.options["export"] is None:
            return
        from experiments.export import export_data

        try:
            path = export_data(self.export_path(), experiment_id=self.loaded.config.get("id") or self.loaded.name)
        except Exception as error:
            raise CommandError(f"Export failed: {error}") from error
        self.say(f"Data exported to {path}")

    def export_path(self) -> Path:
        """Where `--export` writes: the path given; in a folder given (an existing one, or a
        path ending with a slash), `<experiment>-data.zip`; by default a dated zip in data/."""
        given = self.options["export"]
        if not given:
            return Path(f"data/{self.loaded.name}-{time.strftime('%Y%m%d-%H%M%S')}.zip")
        if given.endswith(("/", os.sep)) or Path(given).is_dir():
            return Path(given) / f"{self.loaded.name}-data.zip"
        return Path(given)

    def serve_people(self) -> None:
        """Print where participants and the experimenter go, then serve until Ctrl-C."""
        try:
            user, password = dashboard_account_ensure(config=self.loaded.config)
        except DashboardAccountError as error:
            raise CommandError(str(error)) from None
        recruiter = self.loaded.config.get("recruiter") or "hotair"
        entry = f"{self.base_url}/ad?generate_tokens&recruiter={recruiter}"
        self.say(f"Participants start at: {entry}")
        self.say(f"Dashboard: {self.base_url}/dashboard/ (user {user}, password "
                 f"{password or 'as configured (dashboard_password)'})")
        self.say("Press Ctrl-C to stop.")
        if not self.options["no_browser"]:
            webbrowser.open(entry)
        timeout = self.options["timeout"]
        while not timeout or time.monotonic() - self.started < timeout:
            self.check_children()
            self.report_server_errors()
            time.sleep(0.5)
        self.say("Time is up.")

    # Stopping ------------------------------------------------------------------------------

    def stop(self, keep_logs: bool = False) -> None:
        """Stop every child process (the worker first, so that bots in flight end against a live
        server instead of retrying an absent one); remove the run's files unless `keep_logs`
        (after a failure, the logs tell what happened) or the web server answered a request
        with a server error (its log holds the traceback)."""
        for child in reversed(self.children):
            child.stop()
        self.children = []
        if self.folder is None:
            return
        self.report_server_errors()
        server_errors = self.server_log is not None and self.server_log.had_server_errors
        if server_errors:
            log = self.server_log
            count = max(len(log.causes), log.answered_5xx)
            self.command.stderr.write(
                f"The web server answered {count} request(s) with a server error (5xx); "
                f"the processes' logs are kept in {self.folder}"
            )
            if log.errors_without_cause:
                self.command.stderr.write(f"({log.errors_without_cause} of them with no cause logged: see web.log.)")
            return
        if keep_logs:
            self.command.stderr.write(f"The processes' logs are in {self.folder}")
            return
        shutil.rmtree(self.folder, ignore_errors=True)
