"""Argument checks shared by the model query helpers (with Dallinger's error messages), and the
rules for values that can be written to the record."""

import math
import re

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


# Values written to the record --------------------------------------------------------------

#: Deepest nesting of lists and objects accepted in stored JSON (`details`, entry information).
MAX_JSON_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    if text.isascii():
        return "contains a NUL character" if "\x00" in text else None
    if "\x00" in text:
        return "contains a NUL character"
    if _SURROGATE.search(text):
        return "contains an unpaired surrogate, which is not valid Unicode"
    return None


def unstorable(value) -> str | None:
    """Why `value` (text, a number, or JSON-like lists and dicts) cannot be stored alike on
    SQLite and PostgreSQL and read back, or None if it can.

    Refused: NUL characters (PostgreSQL's text cannot hold them), unpaired surrogates (not
    UTF-8: stored on SQLite, they make every later read of the row fail), NaN and infinities
    (not JSON), and nesting deeper than MAX_JSON_DEPTH. Walks iteratively, so a deeply nested
    value cannot exhaust the stack.
    """
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                return problem
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "contains NaN or an infinite number, which JSON cannot hold"
        elif isinstance(item, (dict, list, tuple)):
            if depth >= MAX_JSON_DEPTH:
                return f"is nested more than {MAX_JSON_DEPTH} levels deep"
            if isinstance(item, dict):
                pending.extend((key, depth + 1) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
    return None


def made_storable(value):
    """`value` changed just enough to be stored (for text that must be kept whatever it holds,
    such as a participant's error report): NUL removed, unpaired surrogates replaced by U+FFFD,
    NaN and infinities written as text, nesting below MAX_JSON_DEPTH replaced by its repr."""
    return _made_storable(value, 0)


def _made_storable(value, depth):
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (dict, list, tuple)) and depth >= MAX_JSON_DEPTH:
        return _made_storable(repr(value)[:10_000], 0)
    if isinstance(value, dict):
        return {_made_storable(key, depth + 1): _made_storable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_made_storable(item, depth + 1) for item in value]
    return value
