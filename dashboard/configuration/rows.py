"""The Config tab's table: every configuration key, its value (secrets hidden) and its source."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from experiments.config import REDACTED


@dataclass(frozen=True)
class ConfigRow:
    """One key as the Config tab shows it."""

    name: str
    value: str
    source: str
    is_set: bool
    sensitive: bool


def shown(value) -> str:
    """A value as the configuration files write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if value != "" else "(empty)"


def readable_source(source: str | None) -> str:
    """Where a value came from; a file inside the project by its path from the project's folder."""
    if not source:
        return ""
    path = Path(source)
    if path.is_absolute() and path.is_relative_to(settings.BASE_DIR):
        return str(path.relative_to(settings.BASE_DIR))
    return source


def configuration_rows(config) -> list[ConfigRow]:
    """Every registered key, sorted by name; a sensitive key's value is `REDACTED` (and an unset
    one says so, which tells nothing of a value). Sensitive means registered so, or named like a
    secret whatever its registration said (`Configuration.is_sensitive`: the words of Dallinger's
    own filter, `access_id`, `access_key`, `password`, `secret`, `token`)."""
    rows = []
    for name in config.keys():
        value = config.get(name)
        secret = config.is_sensitive(name)
        if value is None:
            text = "not set"
        else:
            text = REDACTED if secret else shown(value)
        rows.append(ConfigRow(name, text, readable_source(config.source_of(name)), value is not None, secret))
    return rows
