"""What a run reports as it goes: participants by status and networks filled."""

from dataclasses import dataclass

from django.db.models import Count

from core.models import Network, Node, Participant

SHOWN_STATUSES = ("working", "submitted", "approved")


@dataclass(frozen=True)
class Progress:
    """A snapshot of the experiment's record."""

    statuses: tuple[tuple[str, int], ...]
    networks_full: int
    networks: int
    nodes: int

    def count(self, status: str) -> int:
        """How many participants have `status`."""
        return dict(self.statuses).get(status, 0)

    @property
    def participants(self) -> int:
        """How many participants there are in all."""
        return sum(count for _, count in self.statuses)

    def line(self) -> str:
        """One line for the terminal."""
        shown = ", ".join(f"{self.count(status)} {status}" for status in SHOWN_STATUSES)
        others = [f"{count} {status}" for status, count in self.statuses if status not in SHOWN_STATUSES]
        if others:
            shown += ", " + ", ".join(others)
        return f"participants: {shown} | networks: {self.networks_full}/{self.networks} full"


def snapshot() -> Progress:
    """The record's progress now (three small queries)."""
    statuses = tuple(
        (row["status"], row["n"])
        for row in Participant.objects.values("status").annotate(n=Count("id")).order_by("status")
    )
    networks = Network.objects.filter(failed=False)
    return Progress(
        statuses=statuses,
        networks_full=networks.filter(full=True).count(),
        networks=networks.count(),
        nodes=Node.objects.filter(failed=False).count(),
    )
