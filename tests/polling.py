"""Waiting in tests for something another process does."""

import time
from collections.abc import Callable


def poll_until(
    condition: Callable[[], object],
    what: str,
    *,
    timeout: float,
    interval: float = 0.05,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Return once `condition()` is true; fail the test naming `what` after `timeout` seconds.
    `meanwhile` runs between attempts (e.g. to restart what stopped)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if meanwhile is not None:
            meanwhile()
        time.sleep(interval)
