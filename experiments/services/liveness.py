"""Which server processes holding `/chat` sockets are alive, and releasing the sockets of those
that died.

A process that is killed (or crashes, or loses its machine) closes none of its sockets, so
their participants would count as connected for ever: Dallinger's clients send no heartbeats
that could show them gone. Each process therefore checks in every `CHECK_IN_SECONDS`
(experiments/realtime/liveness.py); the sweep takes one silent for `PROCESS_GONE_SECONDS` for
dead and uncounts its sockets, each once, however many sweeps run at the same time.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from experiments.models import HeldSocket, Presence, SocketProcess

#: How often a process holding sockets says it is alive.
CHECK_IN_SECONDS = 10
#: A process silent this long is dead (several missed check-ins: a busy process is not).
PROCESS_GONE_SECONDS = 60


def process_check_in(*, process_id: str, now=None) -> None:
    """Process `process_id` is alive now (one statement)."""
    SocketProcess.objects.bulk_create(
        [SocketProcess(id=process_id, checked_in=now or timezone.now())],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["checked_in"],
    )


def sockets_of_gone_processes_release(*, now=None) -> int:
    """Uncount every socket held by a process that stopped checking in, as if it had closed
    when the process was last heard from (the grace period runs from then); forget such
    processes once they hold nothing. How many sockets this call released.

    Each socket's row is deleted, and its participant's count lowered, in one transaction:
    of several sweeps at once, only the one whose delete took the row lowers the count, and
    a socket that closes meanwhile (its process was only slow) is not uncounted twice.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=PROCESS_GONE_SECONDS)
    alive = SocketProcess.objects.filter(checked_in__gte=cutoff).values("id")
    last_heard = dict(SocketProcess.objects.filter(checked_in__lt=cutoff).values_list("id", "checked_in"))
    released = 0
    orphans = HeldSocket.objects.exclude(process_id__in=alive).values_list("key", "participant_id", "process_id")
    for key, participant_id, process_id in orphans:
        # A process with no row at all never checked in: it died before its first check-in.
        heard = last_heard.get(process_id, cutoff)
        with transaction.atomic():
            # The presence first, then the socket's record: the order every flow locks them in
            # (presence.py), so sweeps, closing sockets and dropout claims never deadlock.
            Presence.objects.select_for_update(no_key=True).filter(pk=participant_id).first()
            if HeldSocket.objects.filter(pk=key).delete()[0]:
                Presence.objects.filter(pk=participant_id, sockets__gt=0).update(
                    sockets=F("sockets") - 1, last_seen=Greatest(F("last_seen"), heard)
                )
                released += 1
    SocketProcess.objects.filter(checked_in__lt=cutoff).exclude(id__in=HeldSocket.objects.values("process_id")).delete()
    return released
