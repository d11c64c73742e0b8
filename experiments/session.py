"""Dallinger's database session (`dallinger.db.session`) over the Django ORM.

Experiments written for Dallinger save through a SQLAlchemy session: they `add` objects,
`commit`, and query with `session.query(Model).filter_by(...)`. This session keeps that
behaviour for the record models (see docs/experiments.md, "db.session and models"):

- where the platform runs experiment code (its services, custom routes and set-up), a
  scope of core/pending.py is open: `add(obj)` and objects made linked to a saved one
  (`Info(origin=node)`) are saved at the next flush, and loaded rows changed in memory are
  written then too; the scope flushes when the platform's work ends cleanly, inside its
  transaction. Outside any scope, `add` saves at once.
- `flush()` saves what is waiting; `commit()` flushes and marks a point `rollback()` can
  return to: inside the request's transaction it undoes the writes made since the
  session's last commit (or its first use in the scope) through a savepoint, and drops
  what was waiting. The transaction itself is committed by the platform, once, when the
  request's work succeeds.
- calls outside the subset raise `Unsupported`, naming the Django equivalent.
"""

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core import pending
from core.query import Query, Unsupported

#: Session methods outside the subset, with what to write instead.
UNSUPPORTED_SESSION_METHODS = {
    "execute": "Node.objects.filter(...), or connection.cursor() for SQL",
    "scalar": "Node.objects.filter(...).values_list('id', flat=True).first()",
    "scalars": "Node.objects.filter(...).values_list('id', flat=True)",
    "merge": "node.save()",
    "bulk_save_objects": "Node.objects.bulk_create([...])",
    "bulk_insert_mappings": "Node.objects.bulk_create([Node(**row) for row in rows])",
    "bulk_update_mappings": "Node.objects.bulk_update(nodes, ['property1'])",
    "begin": "with transaction.atomic(): ...",
    "begin_nested": "with transaction.atomic(): ... (a savepoint)",
    "connection": "django.db.connection",
    "get_bind": "django.db.connection",
    "expire": "node.refresh_from_db()",
    "expire_all": "node.refresh_from_db() for each object",
    "query_property": "Node.query (every record model has it)",
}


def _block(connection) -> tuple:
    """Identifies the atomic block the connection is in: the savepoints of the blocks
    around it, each block's own name unique."""
    return (len(connection.atomic_blocks), tuple(connection.savepoint_ids))


class Session:
    """Dallinger's session API on top of the Django ORM (one shared, stateless instance:
    what it tracks lives in the current scope)."""

    def __bool__(self) -> bool:
        # Dallinger experiments run their set-up only `if session:`.
        return True

    def _begin(self) -> None:
        """Mark the savepoint `rollback()` returns to, the first time the session is used
        in a scope inside a transaction."""
        opened = pending.current()
        if opened is None:
            return
        marked = opened.session_state.get("savepoint")
        if marked is not None and self._usable(marked):
            return
        opened.session_state.pop("savepoint", None)
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.in_atomic_block:
            opened.session_state["savepoint"] = (transaction.savepoint(), _block(connection))

    def add(self, instance) -> None:
        """Save `instance` at the next flush (at once outside a scope)."""
        self._begin()
        pending.track_added(instance)

    def add_all(self, instances) -> None:
        """`add` every instance."""
        for instance in instances:
            self.add(instance)

    def delete(self, instance) -> None:
        """Delete `instance`'s row now (the record's relations protect rows others refer to)."""
        self._begin()
        pending.discard(instance)
        if instance.pk is not None:
            instance.delete()

    def flush(self) -> None:
        """Save what is waiting: added and linked new objects, then changed rows."""
        self._begin()
        pending.flush()

    def commit(self) -> None:
        """Flush, and make this the point `rollback()` returns to."""
        self.flush()
        opened = pending.current()
        if opened is None:
            return
        marked = opened.session_state.pop("savepoint", None)
        if marked is not None and self._usable(marked):
            transaction.savepoint_commit(marked[0])
        self._begin()

    def rollback(self) -> None:
        """Drop what is waiting and undo the writes since the last commit (see the module)."""
        opened = pending.current()
        if opened is None:
            return
        opened.forget()
        marked = opened.session_state.pop("savepoint", None)
        if marked is not None and self._usable(marked):
            transaction.savepoint_rollback(marked[0])
        self._begin()

    @staticmethod
    def _usable(marked) -> bool:
        # A savepoint belongs to the atomic block it was made in; once that block has
        # ended (even if a sibling block now stands at the same depth) it is gone.
        connection = connections[DEFAULT_DB_ALIAS]
        return connection.in_atomic_block and _block(connection) == marked[1]

    def query(self, *entities) -> Query:
        """A query over one model: `session.query(Node).filter_by(failed=False).all()`."""
        if len(entities) != 1 or not isinstance(entities[0], type):
            listed = ", ".join(repr(entity) for entity in entities)
            raise Unsupported(
                f"session.query({listed}) (columns or several models)",
                "Node.objects.values_list('id', flat=True), or query one model",
            )
        self._begin()
        return Query(entities[0])

    def refresh(self, instance) -> None:
        """Reload `instance`'s columns from the database."""
        instance.refresh_from_db()

    def expunge(self, instance) -> None:
        """Stop tracking `instance`: it is no longer saved at the next flush."""
        pending.discard(instance)

    def close(self) -> None:
        """Nothing to release: the platform ends each request's transaction."""

    def remove(self) -> None:
        """Nothing to release: the platform ends each request's transaction."""

    def __getattr__(self, name):
        if name in UNSUPPORTED_SESSION_METHODS:
            raise Unsupported(f"session.{name}()", UNSUPPORTED_SESSION_METHODS[name])
        raise AttributeError(f"The session has no attribute {name!r}")


session = Session()
