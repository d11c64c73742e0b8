"""The runtime's bookkeeping: who is connected and where, who waits for a group, values shared by every process."""

from django.contrib import admin

from core.models import Network, Participant
from dashboard.admin.base import BrowseAdmin, linked_id
from dashboard.database.filters import related_filter
from experiments.models import GroupSeat, HeldSocket, Presence, RuntimeSetting, SocketProcess

PARTICIPANT = related_filter("participant", "participant", "participant_id")


@admin.register(Presence)
class PresenceAdmin(BrowseAdmin):
    """Participants' live connections: open sockets, last sign of life, dropouts acted on."""

    # The first column links to the row's own page; the participant's is a column of its own.
    list_display = ("pk", "participant_link", "sockets", "last_seen", "disconnected", "disconnected_at")
    list_filter = (PARTICIPANT, "disconnected")
    participant_link = linked_id("participant_id", Participant, "participant")


@admin.register(GroupSeat)
class GroupSeatAdmin(BrowseAdmin):
    """Places in the waiting room, and the group network each participant was put in."""

    list_display = ("pk", "participant_link", "arrived", "network_link", "released")
    list_filter = (PARTICIPANT, related_filter("network", "network", "network_id"), "released")
    participant_link = linked_id("participant_id", Participant, "participant")
    network_link = linked_id("network_id", Network, "network")


@admin.register(SocketProcess)
class SocketProcessAdmin(BrowseAdmin):
    """Processes holding websockets, and when each last checked in (a silent one is taken as gone)."""

    list_display = ("pk", "checked_in")


@admin.register(HeldSocket)
class HeldSocketAdmin(BrowseAdmin):
    """Each open socket, its participant and the process holding it."""

    list_display = ("pk", "participant_link", "process_id", "opened")
    list_filter = (PARTICIPANT,)
    search_fields = ("process_id",)
    participant_link = linked_id("participant_id", Participant, "participant")


@admin.register(RuntimeSetting)
class RuntimeSettingAdmin(BrowseAdmin):
    """Configuration values changed while the experiment runs (`auto_recruit`), read by every process."""

    list_display = ("pk", "value")
