"""Argument checks shared by the model query helpers, with Dallinger's error messages."""

from core.polymorphism import registry

FAILED_CHOICES = ("all", False, True)


def check_failed(failed, message: str) -> None:
    """Raise ValueError(message) unless `failed` is "all", False or True (0 and 1 pass, as upstream)."""
    if failed not in FAILED_CHOICES:
        raise ValueError(message)


def failed_filter(failed) -> dict:
    """Queryset filter keywords for a validated `failed` argument."""
    return {} if failed == "all" else {"failed": bool(failed)}


def is_subclass(candidate, base) -> bool:
    """True when `candidate` is a class and a subclass of `base` (a non-class is never one)."""
    return isinstance(candidate, type) and issubclass(candidate, base)


def type_filter(cls, prefix: str = "") -> dict:
    """Queryset filter keywords restricting rows to `cls` and its descendants (none for a base)."""
    if cls is None or cls is cls._polymorphic_base:
        return {}
    return {f"{prefix}type__in": registry.identities(cls)}
