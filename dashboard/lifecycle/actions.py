"""The Lifecycle page's actions: what each asks before it acts, and the service it calls.

Each action's `perform(request)` returns the message to show, or a response to send (the
export's download); it raises `ActionRefused` (or a recruiter's, launch's or
configuration's error) with a message for the experimenter when it cannot be done.
"""

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from django.http import FileResponse
from django.http.response import HttpResponseBase

from dashboard.permissions import PAY_PERMISSION
from experiments import runtime
from experiments.export import export_data, export_id
from experiments.services.lifecycle import experiment_launch, recruitment_close
from experiments.services.owed_payouts import payouts_send_owed
from experiments.services.runtime_settings import runtime_setting_set
from recruitment.expiry import expiry_plan, study_expire

UNSAFE_IN_FILE_NAME = re.compile(r"[^\w.-]+", re.ASCII)


class ActionRefused(Exception):
    """The action cannot be done now; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class LifecycleAction:
    """One action of the Lifecycle page."""

    slug: str
    title: str
    #: What the confirmation step says will happen.
    explanation: str
    #: What the audit record says was done ("paused recruitment").
    done: str
    perform: Callable[..., "str | HttpResponseBase"]
    #: Whether the confirmation step offers to keep worker ids (the export only).
    offers_identities: bool = False
    #: The permission needed beyond the staff login (moving money), if any.
    permission: str = ""


def launch(request) -> str:
    """Set up the networks and open recruitment (once)."""
    return experiment_launch(experiment=runtime.experiment())


def _auto_recruit(on: bool) -> str:
    config = runtime.active().config
    runtime_setting_set(config=config, name="auto_recruit", value=on)
    if on:
        return "Recruitment resumed: auto_recruit is on for every process."
    return "Recruitment paused: auto_recruit is off for every process; the recruiter asks for nobody new."


def pause(request) -> str:
    return _auto_recruit(False)


def resume(request) -> str:
    return _auto_recruit(True)


def close(request) -> str:
    """Ask the recruiter to stop recruiting."""
    return recruitment_close(experiment=runtime.experiment())


def expire(request) -> str:
    """Stop the experiment's Prolific study for good (what `manage.py expire --yes` does)."""
    recruiter = runtime.experiment().recruiter
    plan = expiry_plan(recruiter=recruiter)
    if plan.already_done:
        return f"Prolific study {plan.study_id} ({plan.name}) is already {plan.status}. Nothing was done."
    new_status = study_expire(recruiter=recruiter, plan=plan)
    return f"Prolific study {plan.study_id} ({plan.name}) is now {new_status or 'changed'}."


def send_owed_payouts(request) -> str:
    """Send every payout the payment ledger says is owed, each at most once."""
    return payouts_send_owed(experiment=runtime.experiment()).message()


def export(request) -> FileResponse:
    """The whole record as Dallinger's zip, as a download; worker ids pseudonymised unless asked."""
    loaded = runtime.active()
    keep_identities = request.POST.get("keep_identities") == "on"
    experiment_id = export_id(name=loaded.name, config=loaded.config)
    folder = Path(tempfile.mkdtemp(prefix="dashboard-export-"))
    try:
        path = export_data(folder / "export.zip", experiment_id=experiment_id, scrub=not keep_identities)
        # Open, then remove the folder: the open file stays readable until the download ends.
        download = path.open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    file_name = f"{UNSAFE_IN_FILE_NAME.sub('-', experiment_id).strip('-.') or 'experiment'}-data.zip"
    return FileResponse(download, as_attachment=True, filename=file_name, content_type="application/zip")


ACTIONS = {
    action.slug: action
    for action in (
        LifecycleAction(
            "launch",
            "Launch the experiment",
            "Creates the experiment's networks and opens recruitment for its first participants "
            "(initial_recruitment_size), through the configured recruiter.",
            "launched the experiment",
            launch,
        ),
        LifecycleAction(
            "pause-recruitment",
            "Pause recruitment",
            "Turns auto_recruit off for every web and worker process at once: the recruiter asks for "
            "nobody new (on Prolific, no places are added) until recruitment is resumed. Participants "
            "already taking part carry on.",
            "paused recruitment",
            pause,
        ),
        LifecycleAction(
            "resume-recruitment",
            "Resume recruitment",
            "Turns auto_recruit on for every web and worker process at once: the recruiter asks for "
            "new participants again whenever the experiment needs them.",
            "resumed recruitment",
            resume,
        ),
        LifecycleAction(
            "close-recruitment",
            "Close recruitment",
            "Asks the recruiter to stop recruiting (on Prolific, the study is paused; it can be started "
            "again in the Prolific web app). Participants already taking part carry on.",
            "closed recruitment",
            close,
        ),
        LifecycleAction(
            "expire",
            "Expire",
            "Stops the experiment's Prolific study for good, as manage.py expire does: this is "
            "irreversible, a stopped study never takes participants again.",
            "expired the study",
            expire,
        ),
        LifecycleAction(
            "send-owed-payouts",
            "Send owed payouts",
            "Sends every payout the payment ledger holds as owed but not sent (base payments and bonuses "
            "the platform was not ready for, or whose task was lost), through each participant's recruiter, "
            "and resumes those an interruption cut short before their paying call. Each is paid at most "
            "once: one that may have been paid is never sent again (check it on the recruiter's site).",
            "sent owed payouts",
            send_owed_payouts,
            permission=PAY_PERMISSION,
        ),
        LifecycleAction(
            "export",
            "Export the data",
            "Downloads the whole experimental record as a zip in Dallinger's export layout "
            "(experiment_id.md and data/<table>.csv). Worker ids are pseudonymised unless you keep them.",
            "exported the data",
            export,
            offers_identities=True,
        ),
    )
}
