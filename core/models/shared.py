"""Columns and behaviour shared by every table of the experimental record."""

import inspect

from django.db import models, transaction
from django.utils import timezone

from core import pending
from core.fetch import update_row
from core.query import QueryProperty


def json_details_default() -> dict:
    """A fresh empty dict for `details`."""
    return {}


class SharedMixin(models.Model):
    """Dallinger's SharedMixin: timestamps, generic properties, details, and soft failure.

    Nothing is ever deleted from the record: objects are failed instead, and failing an
    object fails what depends on it (its `failure_cascade`).
    """

    creation_time = models.DateTimeField(default=timezone.now, db_index=True)
    property1 = models.TextField(null=True, blank=True)
    property2 = models.TextField(null=True, blank=True)
    property3 = models.TextField(null=True, blank=True)
    property4 = models.TextField(null=True, blank=True)
    property5 = models.TextField(null=True, blank=True)
    failed = models.BooleanField(default=False, db_index=True)
    failed_reason = models.TextField(null=True, blank=True)
    time_of_death = models.DateTimeField(null=True, blank=True)
    details = models.JSONField(default=json_details_default, blank=True)

    #: HTML shown for this object in the dashboard's network view.
    visualization_html = ""

    #: Dallinger's `Model.query` (core/query.py), e.g. `Node.query.filter_by(failed=False).all()`.
    query = QueryProperty()
    #: Fields read on the class (`Node.property1`) build query conditions (core/query.py).
    _queryable_columns = True
    #: New and loaded objects are tracked in an open scope of core/pending.py.
    _tracked_by_pending = True

    class Meta:
        abstract = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not args:  # positional values: a row being loaded, not an object being made
            pending.track_new(self)

    @classmethod
    def from_db(cls, db, field_names, values):
        """Load a row (and remember it in an open scope of core/pending.py)."""
        instance = super().from_db(db, field_names, values)
        pending.track_loaded(instance)
        return instance

    def save(self, *args, **kwargs):
        """Save; a refused object is no longer pending, a saved one counts as unchanged."""
        try:
            super().save(*args, **kwargs)
        except BaseException:
            pending.discard(self)
            raise
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            pending.track_loaded(self)
        else:
            pending.mark_saved(self, [self._meta.get_field(name).attname for name in update_fields])

    # Every update of a saved record row goes through here: a plain UPDATE by primary key
    # instead of one compiled by the ORM on each save (see core/fetch.py), 2.5 times cheaper.

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        if values and not self._meta.select_on_save:
            changed = update_row(base_qs.model, using, pk_val, values)
            if changed is not None:
                return changed > 0
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)

    def __str__(self):
        # As in Dallinger, where str() falls back to the repr (`Node-5-agent`); Django's
        # default ("Node object (5)") would name rows so in the dashboard and its history.
        return repr(self)

    @property
    def failure_cascade(self) -> list:
        """Callables returning the objects to fail when this one fails, in order."""
        return []

    def json_data(self) -> dict:
        """Extension point: keys a subclass adds to (or overrides in) its JSON."""
        return {}

    def __json__(self) -> dict:
        """The object as the Dallinger web API returns it (datetimes left as datetimes)."""
        data = {
            "id": self.pk,
            "creation_time": self.creation_time,
            "failed": self.failed,
            "failed_reason": self.failed_reason,
            "time_of_death": self.time_of_death,
            "property1": self.property1,
            "property2": self.property2,
            "property3": self.property3,
            "property4": self.property4,
            "property5": self.property5,
            "details": self.details,
        }
        data.update(self.json_data())
        return data

    def _wrap_failed_reason(self, reason) -> str:
        """The reason handed down the cascade: `"<reason>-><ClassName><id>"`."""
        return f"{reason or ''}->{type(self).__name__}{self.pk}"

    def _failure_cascade_iter(self):
        # Each source is queried only after the previous one's objects have been failed
        # and saved, so an object reached twice is not failed twice.
        for source in self.failure_cascade:
            yield from source()

    def fail(self, reason=None) -> None:
        """Mark this object failed now, then fail everything in its cascade.

        Raises AttributeError if it has already failed. The whole cascade is one
        transaction: it either fails completely or not at all.
        """
        if self.failed:
            raise AttributeError(f"Cannot fail {self!r} - it has already failed.")
        previous = (self.failed, self.failed_reason, self.time_of_death)
        try:
            with transaction.atomic():
                self.failed = True
                self.failed_reason = reason
                self.time_of_death = timezone.now()
                self.save(update_fields=["failed", "failed_reason", "time_of_death"])
                wrapped = self._wrap_failed_reason(reason)
                for dependent in self._failure_cascade_iter():
                    if not dependent.failed:
                        _fail_dependent(dependent, wrapped)
        except BaseException:
            # The database rolled back; keep this object consistent with it.
            self.failed, self.failed_reason, self.time_of_death = previous
            raise


def _fail_dependent(dependent, reason) -> None:
    """Fail a cascaded object, without a reason if its `fail` override takes none (old Dallinger code)."""
    try:
        inspect.signature(dependent.fail).bind(reason=reason)
    except TypeError:
        dependent.fail()
    else:
        dependent.fail(reason=reason)
