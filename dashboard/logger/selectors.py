"""Reading the kept log records for the Logger tab: filtered by level and text, secrets hidden."""

import logging

from django.conf import settings

from dashboard.logger.records import log_records_recent
from experiments.config import REDACTED

#: The levels offered by the tab's filter, lowest first.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Secret values shorter than this are not searched for (they would hide ordinary words).
SHORTEST_SECRET = 6


class BadFilter(ValueError):
    """A level that is not one of LEVELS."""


def secret_values(config) -> list[str]:
    """The values that must never be shown: the configuration's sensitive ones, Django's secret
    key and the database's password; longest first, so a secret inside another is hidden whole."""
    values = [settings.SECRET_KEY, settings.DATABASES["default"].get("PASSWORD") or ""]
    if config is not None:
        for key in config.keys():
            if config.is_sensitive(key):
                value = config.get(key, None)
                if isinstance(value, str):
                    values.append(value)
    return sorted({value for value in values if len(value) >= SHORTEST_SECRET}, key=len, reverse=True)


def redacted(text: str, secrets: list[str]) -> str:
    """`text` with each secret value replaced by `<redacted>`."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def log_records(*, level: str = "INFO", text: str = "", config=None) -> list[dict]:
    """The kept records at `level` or above whose message, logger or process holds `text`
    (case-insensitive), newest first, with secret values replaced (also before searching, so
    a search cannot find out a secret)."""
    if level not in LEVELS:
        raise BadFilter(f"The level must be one of {', '.join(LEVELS)}.")
    lowest = logging.getLevelName(level)
    secrets = secret_values(config)
    wanted = text.strip().casefold()
    found = []
    for record in log_records_recent():
        if int(record.get("levelno") or 0) < lowest:
            continue
        shown = {key: redacted(str(record.get(key) or ""), secrets) for key in ("time", "level", "logger", "process",
                                                                                  "message")}  # fmt: skip
        if wanted and not any(wanted in shown[key].casefold() for key in ("message", "logger", "process")):
            continue
        found.append(shown)
    return found
