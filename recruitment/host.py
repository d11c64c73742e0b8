"""What recruitment needs from the experiment runtime, handed to it when Django starts.

Recruitment sits below the experiment runtime (`core` ← `recruitment` ← `experiments`) and
never imports it. The runtime installs a `Host` from its app configuration; recruitment's
tasks ask it for the running experiment (its configuration, recruiter and hooks), for the
processing of a submission a recruiter confirms, and for the task that runs one bot.
"""

from recruitment.base import RecruiterError


class Host:
    """The experiment runtime as recruitment sees it."""

    def experiment(self):
        """The running experiment: `config`, `recruiter`, `recruit()` and Dallinger's hooks
        (`assignment_abandoned`, `assignment_returned`, ...)."""
        raise NotImplementedError

    def config(self):
        """The running experiment's configuration, without building the experiment (which
        needs the database): what a command that only reads settings needs."""
        return self.experiment().config

    def process_submission(self, experiment, participant) -> None:
        """Check, approve and settle a participant whose submission their recruiter confirmed
        (inside the caller's transaction, the participant's row locked)."""
        raise NotImplementedError

    def auto_recruit_off(self) -> None:
        """Turn `auto_recruit` off for every process at once (the runtime's shared setting), so
        nobody new is recruited until the experimenter turns it on again."""
        raise NotImplementedError

    def bot_run(self, url: str, bot_type: str):
        """The Celery signature of the task that runs one of the experiment's bots from `url`."""
        raise NotImplementedError


_installed: Host | None = None


def install(host: Host) -> None:
    """Make `host` the runtime recruitment talks to (once per process, at start-up)."""
    global _installed
    _installed = host


def current() -> Host:
    """The installed runtime; RecruiterError if there is none."""
    if _installed is None:
        raise RecruiterError("No experiment runtime is installed: recruitment cannot reach the experiment.")
    return _installed
