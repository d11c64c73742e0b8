"""Replaying an export: load it, then drive the experiment's `replay_*` hooks through its events.

Dallinger replays a finished run by loading its export into the database and handing the
experiment its events (`events_for_replay()`, every info by default) one at a time through
`replay_event`, at the pace they first happened, once `replay_started()` says the
experiment is ready; `replay_start` opens the replay and `replay_finish` closes it.
"""

import logging
import time
from pathlib import Path

from django.db import transaction

from core.record import clear_record, record_is_empty
from experiments.export import ArchiveError, import_data

logger = logging.getLogger(__name__)

#: How often `replay_started()` is asked again while it says no, in seconds (Dallinger's).
STARTED_POLL_SECONDS = 0.01


class ReplayError(Exception):
    """A replay cannot start or stopped on an event; the message says why."""


def replay_load(*, zip_path: Path, replace: bool = False) -> dict:
    """Load the export to replay into the record; returns rows loaded per table.

    The record must be empty unless `replace`, which clears it in the same transaction
    (so a zip that cannot be loaded leaves the old data in place). ReplayError says why not.
    """
    if not replace and not record_is_empty():
        raise ReplayError("The database already holds experiment data; pass --replace to clear it first.")
    try:
        with transaction.atomic():
            if replace:
                clear_record()
            return import_data(zip_path)
    except ArchiveError as error:
        raise ReplayError(str(error)) from error


def replay_run(*, experiment, speed: float = 1.0, sleep=time.sleep, clock=time.monotonic) -> int:
    """Drive `experiment`'s replay hooks through its events; returns how many were replayed.

    `replay_start()`, then wait until `replay_started()`, then `replay_event(event)` for each
    of `events_for_replay()` in its order, each when its original offset from the first one
    (scaled by `speed`: 2 is twice as fast, 0 does not wait) has passed, then
    `replay_finish()`. Each event is replayed in a transaction of its own; ReplayError if a
    hook fails (the events before it stay replayed, and the replay is not finished).
    """
    if speed < 0:
        raise ReplayError("The speed must be 0 (no waiting) or more.")
    experiment.replay_start()
    while not experiment.replay_started():
        sleep(STARTED_POLL_SECONDS)
    events = list(experiment.events_for_replay())
    if events:
        logger.info("Replaying %s events from %s.", len(events), events[0].creation_time)
        _replay_events(experiment, events, speed=speed, sleep=sleep, clock=clock)
    experiment.replay_finish()
    return len(events)


def _replay_events(experiment, events: list, *, speed: float, sleep, clock) -> None:
    first = events[0].creation_time
    started = clock()
    for number, event in enumerate(events, start=1):
        if speed:
            # Each event waits for its original offset from the first one (scaled by speed);
            # one that is late, or earlier than the one before, goes at once.
            due = (event.creation_time - first).total_seconds() / speed
            behind = due - (clock() - started)
            if behind > 0:
                sleep(behind)
        try:
            with transaction.atomic():
                experiment.replay_event(event)
        except Exception as error:
            name = f"{type(event).__name__} {getattr(event, 'pk', '?')}"
            raise ReplayError(f"The replay stopped at event {number} of {len(events)} ({name}): {error}") from error
