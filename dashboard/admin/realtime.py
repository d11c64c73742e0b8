"""The runtime's bookkeeping for group experiments: who is connected, who waits for a group."""

from django.contrib import admin

from core.models import Network, Participant
from dashboard.admin.base import BrowseAdmin, linked_id
from dashboard.database.filters import related_filter
from experiments.models import GroupSeat, Presence

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
