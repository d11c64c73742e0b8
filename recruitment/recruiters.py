"""Finding recruiters: by nickname, from the configuration, or for a participant.

A recruiter opens recruitment, recruits more participants, closes recruitment, approves and
rewards participants, and decides where a participant goes when they finish. Each one is
constructed with the experiment's configuration (`experiments.config.Configuration`) and the
public base URL of the server.
"""

from django.conf import settings

from recruitment.base import (
    CLOSE_RECRUITMENT_LOG_PREFIX,
    NEW_RECRUIT_LOG_PREFIX,
    RECRUITERS,
    CLIRecruiter,
    HotAirRecruiter,
    Recruiter,
    RecruiterError,
    RecruiterNotInstalled,
    generate_random_id,
)
from recruitment.bots import BotRecruiter
from recruitment.mturk.recruiter import MTurkLargeRecruiter, MTurkRecruiter
from recruitment.multi import MultiRecruiter
from recruitment.prolific.recruiter import DevProlificRecruiter, ProlificRecruiter

__all__ = [
    "CLOSE_RECRUITMENT_LOG_PREFIX",
    "NEW_RECRUIT_LOG_PREFIX",
    "RECRUITERS",
    "BotRecruiter",
    "CLIRecruiter",
    "DevProlificRecruiter",
    "HotAirRecruiter",
    "MTurkLargeRecruiter",
    "MTurkRecruiter",
    "MultiRecruiter",
    "ProlificRecruiter",
    "Recruiter",
    "RecruiterError",
    "RecruiterNotInstalled",
    "by_name",
    "for_participant",
    "participant_recruiter",
    "from_config",
    "generate_random_id",
    "is_installed",
    "nickname_of",
]


def by_name(name: str) -> type[Recruiter]:
    """The recruiter class with this nickname (or class name); RecruiterError if unknown."""
    for recruiter in RECRUITERS.values():
        if name in (recruiter.nickname, recruiter.__name__):
            return recruiter
    known = ", ".join(sorted(RECRUITERS))
    raise RecruiterError(f"Unknown recruiter '{name}'. Known recruiters: {known}.")


def from_config(config, base_url: str) -> Recruiter:
    """The recruiter the configuration names (`recruiter`, default `hotair`)."""
    name = config.get("recruiter", "hotair") or "hotair"
    return _for_mode(by_name(name), config)(config, base_url=base_url)


def _for_mode(recruiter_class: type[Recruiter], config) -> type[Recruiter]:
    """The recruiter class to use under the configured mode: in debug mode a recruiter with a
    debug stand-in (prolific → devprolific) is replaced by it, so nothing reaches the platform."""
    if recruiter_class.debug_stand_in and config.get("mode", "debug") == "debug":
        return by_name(recruiter_class.debug_stand_in)
    return recruiter_class


def nickname_of(recruiter_id: str | None) -> str:
    """The recruiter nickname a participant's `recruiter_id` stands for (`bots:<type>` is `bots`)."""
    if not recruiter_id:
        return "hotair"
    return recruiter_id.split(":", 1)[0]


def is_installed(recruiter_id: str | None) -> bool:
    """Whether the recruiter a participant's `recruiter_id` names is installed here."""
    nickname = nickname_of(recruiter_id)
    return any(nickname in (recruiter.nickname, recruiter.__name__) for recruiter in RECRUITERS.values())


def for_participant(participant, config, base_url: str) -> Recruiter:
    """The recruiter that brought `participant` in; RecruiterNotInstalled if it is not installed
    here (Dallinger records any recruiter name a participant arrives with)."""
    if not is_installed(participant.recruiter_id):
        raise RecruiterNotInstalled(
            f"The recruiter {participant.recruiter_id!r} this participant came through is not installed "
            f"here (known: {', '.join(sorted(RECRUITERS))}), so what needs it (the exit page, submission, "
            "approval, payment) cannot be done."
        )
    return _for_mode(by_name(nickname_of(participant.recruiter_id)), config)(config, base_url=base_url)


def participant_recruiter(*, experiment, participant) -> Recruiter:
    """The recruiter that brought `participant` in, configured as the running experiment is and
    addressed at the server's public URL."""
    return for_participant(participant, experiment.config, base_url=settings.DALLINGER_BASE_URL)
