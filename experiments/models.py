"""The runtime's own bookkeeping for group experiments: who is connected, who waits for a group.

These rows are not part of the experimental record (core): they are not exported, and they
only say how the server treats a participant in real time. They live in the database so
that every web and worker process sees the same presence and the same waiting room.
"""

from django.db import models
from django.utils import timezone

from core.models import Network, Participant


class Presence(models.Model):
    """A participant's live connection: open sockets, the last sign of life, and whether
    their dropout has been acted on (set once, by whichever process claims it first).

    `last_heartbeat` is the last heartbeat since the participant's latest socket opened (None:
    none yet, as from Dallinger's own clients, which send none). Sockets counted as open whose
    heartbeats stopped were left behind by a web process that died without closing them.
    """

    participant = models.OneToOneField(Participant, primary_key=True, on_delete=models.CASCADE, related_name="+")
    sockets = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    disconnected = models.BooleanField(default=False)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "realtime_presence"

    def __repr__(self):
        return f"Presence-{self.participant_id}-{self.sockets}"


class SocketProcess(models.Model):
    """A server process holding `/chat` sockets, and when it last said it was alive (it checks in
    every few seconds while it runs). One that stopped checking in died, and nothing else would
    ever close the sockets it held: the sweep releases them (experiments/services/liveness.py)."""

    id = models.CharField(max_length=100, primary_key=True)
    checked_in = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "realtime_socket_process"

    def __repr__(self):
        return f"SocketProcess-{self.id}"


class HeldSocket(models.Model):
    """One open `/chat` socket of a participant (counted in their `Presence.sockets`), and the
    process that holds it. Deleting the row is what uncounts the socket, once: when it closes,
    or when the sweep finds its process gone, whichever comes first."""

    key = models.CharField(max_length=200, primary_key=True)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    process_id = models.CharField(max_length=100, db_index=True)
    opened = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "realtime_held_socket"

    def __repr__(self):
        return f"HeldSocket-{self.participant_id}-{self.process_id}"


class GroupSeat(models.Model):
    """A participant's place in the waiting room, and the group network they were put in.

    One row per participant (its primary key), so nobody is ever placed in two groups.
    """

    participant = models.OneToOneField(Participant, primary_key=True, on_delete=models.CASCADE, related_name="+")
    arrived = models.DateTimeField(default=timezone.now, db_index=True)
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    released = models.BooleanField(default=False)

    class Meta:
        db_table = "realtime_group_seat"

    def __repr__(self):
        return f"GroupSeat-{self.participant_id}-{self.network_id}"


class RuntimeSetting(models.Model):
    """A configuration value changed while the experiment runs (Dallinger's `changeable_params`,
    which it keeps in Redis), shared by every web and worker process: it stands above every
    configured source until it is changed again or a fresh run clears it.

    The value is kept as text, as a configuration file would write it, and converted by the
    key's type when read (experiments/services/runtime_settings.py).
    """

    name = models.CharField(max_length=100, primary_key=True)
    value = models.TextField()
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "runtime_setting"

    def __repr__(self):
        return f"RuntimeSetting-{self.name}"
