"""A stand-in for Dallinger's database session, so ported experiments keep working.

Dallinger experiments receive a SQLAlchemy session and call `session.add(obj)` and
`session.commit()`. Here each request runs in a database transaction and objects are
saved explicitly, so `add` saves and `commit`/`flush` have nothing left to do.
"""


class Session:
    """Dallinger's session API on top of the Django ORM."""

    def add(self, instance) -> None:
        """Save `instance`."""
        instance.save()

    def add_all(self, instances) -> None:
        """Save every instance."""
        for instance in instances:
            instance.save()

    def commit(self) -> None:
        """Nothing to do: saves are written at once, inside the request's transaction."""

    def flush(self) -> None:
        """Nothing to do: saves are written at once."""

    def __bool__(self) -> bool:
        # Dallinger experiments run their set-up only `if session:`.
        return True


session = Session()
