"""The built-in configuration keys: name, type, default, synonyms, secrecy and validators.

Defaults follow Dallinger's shipped defaults where it has one; where the choice is ours the
reason is given in docs/configuration.md. A key with no default has no value until
something sets it: `get` returns the caller's default.
"""

import json
import re
from typing import Any, Callable, NamedTuple

from experiments.content_security import parse_additions

NO_DEFAULT = object()


class BuiltInKey(NamedTuple):
    """One built-in key as `Configuration` registers it."""

    name: str
    type: type
    default: Any = NO_DEFAULT
    synonyms: tuple[str, ...] = ()
    sensitive: bool = False
    validators: tuple[Callable[[Any], None], ...] = ()


# Validators: each raises ValueError saying what is wrong (never echoing the value).


def one_of(*choices: str) -> Callable[[Any], None]:
    """Accept only one of `choices`."""

    def check(value):
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")

    return check


def between(low: float, high: float) -> Callable[[Any], None]:
    """Accept numbers from `low` to `high` inclusive."""

    def check(value):
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}")

    return check


def at_least(low: float) -> Callable[[Any], None]:
    """Accept numbers of at least `low`."""

    def check(value):
        if value < low:
            raise ValueError(f"must be at least {low}")

    return check


def positive(value) -> None:
    """Accept numbers above zero."""
    if value <= 0:
        raise ValueError("must be greater than 0")


def json_of(kind: type) -> Callable[[Any], None]:
    """Accept JSON text whose top level is a `kind` (list or dict)."""

    def check(value):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"must be JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
        if not isinstance(parsed, kind):
            raise ValueError(f"must be a JSON {'list' if kind is list else 'object'}")

    return check


def route_rules(value: str) -> None:
    """Accept `protected_routes`: a JSON list of route rules, each a path such as `/info/<int:node_id>`."""
    json_of(list)(value)
    if not all(isinstance(rule, str) and rule.startswith("/") for rule in json.loads(value)):
        raise ValueError("must list route rules, each a path beginning with / (e.g. \"/info/<int:node_id>\")")


RECRUITER_COUNT = re.compile(r"\s*[\w.]+\s*:\s*[1-9][0-9]*\s*", re.ASCII)


def recruiter_counts(value: str) -> None:
    """Accept `recruiters` text: `nickname: count, nickname: count`, each count a whole number above 0."""
    if not all(RECRUITER_COUNT.fullmatch(item) for item in value.split(",") if item.strip()):
        raise ValueError("must be written 'nickname: count, nickname: count' (e.g. 'mturk: 5, bots: 5')")


def removed(explanation: str) -> Callable[[Any], None]:
    """Refuse a key that was removed, saying what replaces it."""

    def check(value):
        raise ValueError(f"was removed: {explanation}")

    return check


def policy_additions(value: str) -> None:
    """Accept `content_security_policy_extra`: JSON naming sources to add per directive."""
    parse_additions(value)


MODES = ("debug", "sandbox", "live")

BUILT_IN_KEYS = (
    # General
    BuiltInKey("mode", str, "debug", validators=(one_of(*MODES),)),
    BuiltInKey("logfile", str, "-"),
    BuiltInKey("loglevel", int, 0, validators=(between(0, 4),)),
    BuiltInKey("whimsical", bool, True),
    BuiltInKey("dashboard_user", str, "admin", sensitive=True),
    BuiltInKey("dashboard_password", str, sensitive=True),
    # JSON list of route rules only the logged-in experimenter may call (experiments/route_protection.py).
    BuiltInKey("protected_routes", str, "[]", validators=(route_rules,)),
    BuiltInKey("enable_global_experiment_registry", bool, False),
    BuiltInKey("id", str),
    BuiltInKey("EXPERIMENT_CLASS_NAME", str),
    # Recruitment (general)
    BuiltInKey("auto_recruit", bool, False),
    BuiltInKey("browser_exclude_rule", str),
    BuiltInKey("recruiter", str),
    BuiltInKey("recruiters", str, validators=(recruiter_counts,)),
    BuiltInKey("allow_repeat_worker_ids", bool, False),
    BuiltInKey("question_max_length", int, 1000, validators=(at_least(1),)),
    # Participants bound to the browser or bot that created them (experiments/binding.py).
    BuiltInKey("participant_binding", bool, True),
    BuiltInKey("accept_unverified_notifications", bool, False),
    # Participant pages
    BuiltInKey("content_security_policy_extra", str, "{}", validators=(policy_additions,)),
    # Amazon Mechanical Turk
    BuiltInKey("aws_access_key_id", str, synonyms=("AWS_ACCESS_KEY_ID",), sensitive=True),
    BuiltInKey("aws_secret_access_key", str, synonyms=("AWS_SECRET_ACCESS_KEY",), sensitive=True),
    BuiltInKey("aws_region", str, "us-east-1"),
    BuiltInKey("ad_group", str),
    BuiltInKey("assign_qualifications", bool, True),
    BuiltInKey("group_name", str),
    BuiltInKey("mturk_qualification_blocklist", str, synonyms=("qualification_blacklist",)),
    BuiltInKey("mturk_qualification_requirements", str, validators=(json_of(list),)),
    BuiltInKey("title", str),
    BuiltInKey("description", str),
    BuiltInKey("keywords", str),
    BuiltInKey("lifetime", int, validators=(at_least(1),)),
    BuiltInKey("duration", float, validators=(positive,)),
    BuiltInKey("us_only", bool, False),
    BuiltInKey("base_payment", float, validators=(at_least(0),)),
    BuiltInKey("approve_requirement", int, validators=(between(1, 100),)),
    BuiltInKey("organization_name", str),
    # Prolific (docs/recruitment.md)
    BuiltInKey("prolific_api_token", str, synonyms=("PROLIFIC_RESEARCHER_API_TOKEN",), sensitive=True),
    BuiltInKey("prolific_api_version", str, "v1"),
    # Empty: https://api.prolific.com/api/<prolific_api_version>; tests and staging name their own.
    BuiltInKey("prolific_api_base_url", str, ""),
    BuiltInKey("prolific_workspace", str),
    BuiltInKey("prolific_project", str),
    BuiltInKey("prolific_estimated_completion_minutes", int, 0, validators=(at_least(0),)),
    BuiltInKey("prolific_maximum_allowed_minutes", int, validators=(at_least(0),)),
    BuiltInKey("prolific_is_custom_screening", bool, False),
    BuiltInKey("prolific_completion_config", str, "{}", validators=(json_of(dict),)),
    BuiltInKey("prolific_completion_codes", str, "{}", validators=(json_of(dict),)),
    BuiltInKey("prolific_recruitment_config", str, "{}", validators=(json_of(dict),)),
    BuiltInKey("prolific_webhook_secret", str, sensitive=True),
    BuiltInKey(
        "prolific_reward_cents",
        int,
        validators=(removed("set base_payment (in the study's currency) instead; the reward is base_payment × 100"),),
    ),
    BuiltInKey("publish_experiment", bool),
    # Money (recruitment/payments/ledger.py): caps every paying recruiter respects.
    BuiltInKey("budget", float, validators=(at_least(0),)),
    BuiltInKey("max_participant_payment", float, validators=(at_least(0),)),
    # Email notifications
    BuiltInKey("contact_email_on_error", str),
    BuiltInKey("dallinger_email_address", str),
    BuiltInKey("smtp_host", str, "smtp.gmail.com:587"),
    BuiltInKey("smtp_username", str),
    BuiltInKey("smtp_password", str, synonyms=("dallinger_email_password",), sensitive=True),
    # Deployment
    BuiltInKey("database_url", str, sensitive=True),
    BuiltInKey("database_size", str, "standard-0"),
    BuiltInKey("dyno_type", str, "standard-1x"),
    BuiltInKey("dyno_type_web", str),
    BuiltInKey("dyno_type_worker", str),
    BuiltInKey("redis_size", str, "premium-0"),
    BuiltInKey("num_dynos_web", int, 1, validators=(at_least(1),)),
    BuiltInKey("num_dynos_worker", int, 1, validators=(at_least(0),)),
    BuiltInKey("host", str, "localhost"),
    BuiltInKey("port", int, 8000, synonyms=("PORT",), validators=(between(1, 65535),)),
    BuiltInKey("clock_on", bool, False),
    # Clock checks (recruitment/clock.py, docs/recruitment.md).
    BuiltInKey("disable_when_duration_exceeded", bool, True),
    BuiltInKey("idle_recruitment_minutes", int, 360, validators=(at_least(0),)),
    BuiltInKey("heroku_python_version", str, "3.11"),
    BuiltInKey("heroku_team", str, synonyms=("team",)),
    BuiltInKey("heroku_app_id_root", str),
    BuiltInKey("worker_multiplier", float, 1.5, validators=(positive,)),
    BuiltInKey("threads", str, "auto"),
    BuiltInKey("infrastructure_debug_details", str, "{}", validators=(json_of(dict),)),
    # Bots and integrations
    BuiltInKey("webdriver_type", str, "chrome"),
    BuiltInKey("webdriver_url", str),
    BuiltInKey("chrome-path", str),  # Dallinger's: the Chrome browser bots run (Debian's Chromium when unset)
    BuiltInKey("bot_type", str, "http", validators=(one_of("http", "browser"),)),
    BuiltInKey("max_bots", int, 0, validators=(at_least(0),)),
    BuiltInKey("osf_access_token", str, sensitive=True),
)

DEFAULT_VALUES = {key.name: key.default for key in BUILT_IN_KEYS if key.default is not NO_DEFAULT}
