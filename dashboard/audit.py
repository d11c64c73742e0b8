"""The dashboard's record of who did what: every action an experimenter takes from the dashboard.

Entries are Django admin log entries (shown under "Recent actions" and kept in the database),
and each is also logged on the `dashboard.audit` logger.
"""

import logging

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

logger = logging.getLogger("dashboard.audit")


def action_record(*, user, action: str, detail: str = "", obj=None) -> LogEntry:
    """Record that `user` took `action` (a short phrase: "paused recruitment"), on `obj` when
    it concerns one row of the record. `detail` must hold nothing secret."""
    message = f"{action}: {detail}" if detail else action
    entry = LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else action[:200],
        action_flag=CHANGE,
        change_message=message,
    )
    logger.info("%s %s", user.get_username(), message)
    return entry
