"""Savepoints a caller can declare unneeded, because any error ends its whole transaction.

A model method that writes in several statements (a node's insert and its network's
fullness) runs them in `step()`, with a savepoint of its own inside a caller's transaction
by default: a caller that catches the error can go on with its transaction. A service that
never goes on after an error (a request whose failure rolls back everything it did) says so
with `all_or_nothing()`, and the steps inside it save the SAVEPOINT and RELEASE statements.
"""

import contextlib
import contextvars

from django.db import transaction

_all_or_nothing: contextvars.ContextVar = contextvars.ContextVar("all_or_nothing", default=False)


@contextlib.contextmanager
def all_or_nothing():
    """Within the block, `step()`s take no savepoint: an error in one leaves the enclosing
    transaction to be rolled back as a whole (no further query runs in it)."""
    token = _all_or_nothing.set(True)
    try:
        yield
    finally:
        _all_or_nothing.reset(token)


def step(using=None):
    """`transaction.atomic()` for one step of a model method: a transaction of its own
    outside one; inside one, a savepoint, except within `all_or_nothing()`."""
    return transaction.atomic(using=using, savepoint=not _all_or_nothing.get())
