"""Record objects made or changed without an explicit save, saved together at the next flush.

Dallinger experiments rely on their database session to save what they touch: an
`Info(origin=node, ...)` made in `update()`, a `Source(network=net)` made in `setup()`, or
`network.role = "catch"` on a loaded row is written when the session flushes. Inside a
*scope* (opened where the platform runs experiment code, see `saving`) this module does the
same for the experimental record:

- a new record object constructed with a keyword pointing at another model instance (its
  network, origin, participant...) is *pending* and is saved at the next flush, in the order
  the objects were made (so an object made from another pending one is saved after it);
- a row loaded in the scope is remembered with its column values, and saved at the next
  flush if any of them changed in memory (only the changed columns are written);
- `flush()` runs when the scope ends cleanly, before `transmit()` sends, after `update()`
  returns, and whenever the session is asked to (`add`, `commit`, a query).

Outside a scope nothing is tracked: objects are saved only by `save()`, as in Django.
"""

import contextlib
import contextvars
import copy

from django.db import models

_current: contextvars.ContextVar = contextvars.ContextVar("pending_scope", default=None)


class Scope:
    """What one scope tracks: new objects to insert, loaded rows to check for changes."""

    def __init__(self):
        self.new: list = []
        self.loaded: dict = {}
        #: State the session keeps for the scope (its savepoint), see experiments/session.py.
        self.session_state: dict = {}

    def forget(self) -> None:
        """Drop everything tracked (the caller discards the changes)."""
        self.new.clear()
        self.loaded.clear()


def current() -> Scope | None:
    """The open scope, or None."""
    return _current.get()


@contextlib.contextmanager
def scope():
    """Track record objects until the block ends; nested blocks share the outer scope."""
    if _current.get() is not None:
        yield _current.get()
        return
    opened = Scope()
    token = _current.set(opened)
    try:
        yield opened
    finally:
        _current.reset(token)
        opened.forget()


@contextlib.contextmanager
def saving():
    """A scope whose pending objects and changed rows are saved when the block ends without
    an error (discarded when it raises). Run it inside the block's `transaction.atomic()` so
    that they are written in the same transaction."""
    outermost = _current.get() is None
    with scope() as opened:
        try:
            yield opened
        except BaseException:
            if outermost:
                opened.forget()
            raise
        if outermost:
            flush()


def _snapshot(instance) -> dict:
    # `details` is a dict that experiments change in place: keep a copy to compare with.
    return {
        field.attname: copy.deepcopy(instance.__dict__.get(field.attname))
        for field in instance._meta.concrete_fields
        if field.attname in instance.__dict__
    }


def track_new(instance) -> None:
    """Mark a just-constructed object pending if it was given another model instance as a
    relation (its network, origin...), as a session cascades a new object linked to one."""
    opened = _current.get()
    if opened is None or instance.pk is not None:
        return
    related = instance._state.fields_cache.values()
    if any(isinstance(value, models.Model) for value in related):
        if not any(item is instance for item in opened.new):
            opened.new.append(instance)


def track_loaded(instance) -> None:
    """Remember a row just loaded (or saved), to save it at the next flush if it changes in memory."""
    opened = _current.get()
    if opened is not None and instance.pk is not None:
        opened.loaded[(instance._meta.concrete_model, instance.pk)] = (instance, _snapshot(instance))


def mark_saved(instance, attnames) -> None:
    """Record that the columns `attnames` of a tracked row now hold their in-memory values
    in the database (written by an UPDATE the ORM did not see), so flush does not write them again."""
    opened = _current.get()
    if opened is None:
        return
    tracked = opened.loaded.get((instance._meta.concrete_model, instance.pk))
    if tracked is None or tracked[0] is not instance:
        return
    for name in attnames:
        if name in instance.__dict__:
            tracked[1][name] = copy.deepcopy(instance.__dict__[name])


def track_added(instance) -> None:
    """Mark an object the caller asked to be saved: a new one is inserted at the next flush,
    a saved one is written there if it changed (from now on, when it was not loaded here)."""
    opened = _current.get()
    if opened is None:
        instance.save()
        return
    if instance.pk is None or instance._state.adding:
        if not any(item is instance for item in opened.new):
            opened.new.append(instance)
        return
    key = (instance._meta.concrete_model, instance.pk)
    if key not in opened.loaded or opened.loaded[key][0] is not instance:
        opened.loaded[key] = (instance, {})


def discard(instance) -> None:
    """Stop tracking `instance` (it was deleted, or refused when saved)."""
    opened = _current.get()
    if opened is None or not (opened.new or opened.loaded):
        return
    opened.new[:] = [item for item in opened.new if item is not instance]
    opened.loaded.pop((instance._meta.concrete_model, instance.pk), None)


def flush() -> None:
    """Save the pending objects, oldest first, then the loaded rows changed in memory."""
    opened = _current.get()
    if opened is None:
        return
    while opened.new:
        instance = opened.new.pop(0)
        if instance.pk is None or instance._state.adding:
            instance.save()
        track_loaded(instance)
    for key, (instance, snapshot) in list(opened.loaded.items()):
        if instance.pk is None:
            continue
        current_values = _snapshot(instance)
        changed = [name for name, value in current_values.items() if snapshot.get(name, _MISSING) != value]
        fields = _field_names(instance, changed)
        if fields:
            instance.save(update_fields=fields)
            opened.loaded[key] = (instance, current_values)


_MISSING = object()


def _field_names(instance, attnames) -> list:
    by_attname = {field.attname: field.name for field in instance._meta.concrete_fields}
    return [by_attname[name] for name in attnames if name in by_attname and name != instance._meta.pk.attname]
