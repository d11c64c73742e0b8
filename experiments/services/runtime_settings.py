"""Configuration values changed while the experiment runs, shared by every process.

Dallinger keeps its `changeable_params` (`auto_recruit`) in Redis; here they are rows of
`RuntimeSetting`, which every web and worker process reads afresh through the
configuration (`Configuration.shared_values`), so a change holds everywhere at once.
"""

from django.db import DatabaseError

from experiments.config import ConfigurationError
from experiments.models import RuntimeSetting


def runtime_setting_read(name: str) -> str | None:
    """The shared value of `name` as text, or None when none is set.

    Also None before `migrate` has made the table: a command that reads the configuration
    first (migrate itself) sees the configured value.
    """
    try:
        return RuntimeSetting.objects.filter(name=name).values_list("value", flat=True).first()
    except DatabaseError:
        return None


def runtime_setting_set(*, config, name: str, value) -> object:
    """Give the changeable key `name` the shared `value` (checked as configuration text is) for
    every process; returns the converted value. ConfigurationError for a key that cannot
    change while running or an unacceptable value, with nothing changed."""
    canonical = config.canonical(name)
    if canonical not in config.changeable_params:
        raise ConfigurationError(
            f"Configuration key '{canonical}' cannot be changed while the experiment runs; "
            f"only {', '.join(config.changeable_params)} can.",
            key=canonical,
        )
    converted = config.checked(canonical, value)
    text = ("true" if converted else "false") if isinstance(converted, bool) else str(converted)
    RuntimeSetting.objects.update_or_create(name=canonical, defaults={"value": text})
    return converted


def runtime_settings_clear() -> None:
    """Forget every shared value, so the configured ones hold again (a fresh run)."""
    RuntimeSetting.objects.all().delete()
