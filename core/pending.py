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
import functools

from django.db import models
from django.db.models.signals import class_prepared

_current: contextvars.ContextVar = contextvars.ContextVar("pending_scope", default=None)


class Scope:
    """What one scope tracks: new objects to insert, loaded rows to check for changes."""

    def __init__(self):
        self.new: list = []
        #: Loaded rows by the identity of their instance (the same row may be loaded twice,
        #: and each copy changed): (instance, column values when loaded or last saved).
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


def _copied(value):
    # `details` is a dict that experiments change in place: keep a copy to compare with.
    # Other column values are immutable, and copying every row's values would cost more.
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _snapshot(instance) -> dict:
    values = instance.__dict__
    return {
        field.attname: _copied(values[field.attname])
        for field in instance._meta.concrete_fields
        if field.attname in values
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
        opened.loaded[id(instance)] = (instance, _snapshot(instance))


def mark_saved(instance, attnames) -> None:
    """Record that the columns `attnames` of a tracked row now hold their in-memory values
    in the database (written by an UPDATE the ORM did not see), so flush does not write them again."""
    opened = _current.get()
    if opened is None:
        return
    tracked = opened.loaded.get(id(instance))
    if tracked is None or tracked[0] is not instance:
        return
    for name in attnames:
        if name in instance.__dict__:
            tracked[1][name] = _copied(instance.__dict__[name])


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
    if id(instance) not in opened.loaded:
        opened.loaded[id(instance)] = (instance, {})


def discard(instance) -> None:
    """Stop tracking `instance` (it was deleted, or refused when saved)."""
    opened = _current.get()
    if opened is None or not (opened.new or opened.loaded):
        return
    opened.new[:] = [item for item in opened.new if item is not instance]
    opened.loaded.pop(id(instance), None)


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


def _discarding_when_refused(save):
    """Wrap a model's own `save` so that an object it refuses stops being pending: a
    subclass checks before the base's save runs, and a refused object must not be tried
    again (and fail again) at the next flush."""

    @functools.wraps(save)
    def guarded(self, *args, **kwargs):
        try:
            return save(self, *args, **kwargs)
        except BaseException:
            discard(self)
            raise

    guarded.discards_when_refused = True
    return guarded


def _on_class_prepared(sender, **kwargs) -> None:
    own_save = sender.__dict__.get("save")
    if getattr(sender, "_tracked_by_pending", False) and own_save and not hasattr(own_save, "discards_when_refused"):
        sender.save = _discarding_when_refused(own_save)


class_prepared.connect(_on_class_prepared)
