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


def bots_plan(*, limit: int, recruited: int, places: int | None, recruits_more: bool, at_once: int) -> str:
    """The launch line of a bot run: how many bots will take part in all, and how they come.

    `recruited` bots were recruited by the launch (at most `limit`, the run's --bots); the
    worker runs at most `at_once` of them at a time. After the launch, more come only from
    the experiment's `recruit()` (called after each submission), which `recruits_more` says
    the experiment defines: those fill the `places` its networks have left, up to `limit`.
    """
    if recruited == 0:
        # More come only after a submission, and there is nobody to submit.
        return "no bot was recruited (the experiment's initial_recruitment_size is 0), so none will take part."
    if recruits_more and recruited < limit:
        total = max(min(limit, places if places is not None else limit), recruited)
    else:
        total = recruited
    bots = f"{total} bot{'s' if total != 1 else ''} will take part"
    if total == recruited:
        if recruits_more or recruited == limit:
            return f"{bots}, all recruited now; the worker runs up to {at_once} at a time."
        return f"{bots}: the experiment recruits nobody after the launch, so --bots {limit} is not reached."
    return f"{bots}: {recruited} recruited now, the others as the experiment recruits more after each submission."


def nobody_took_part(progress: Progress) -> str:
    """Why a bot run whose experiment completed without one approved participant failed."""
    if not progress.participants:
        who = "no participant was created"
    else:
        who = (
            "no participant was approved ("
            + ", ".join(f"{count} {status}" for status, count in progress.statuses)
            + ")"
        )
    if not progress.networks:
        why = (
            "The experiment has no network: set experiment_repeats (or practice_repeats) on its "
            "class, or create networks in setup()."
        )
    else:
        why = "The processes' logs (bots.log, web.log), kept for this, tell what happened."
    return f"The experiment completed, but nobody took part: {who}. {why}"
