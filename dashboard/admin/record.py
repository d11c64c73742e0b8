"""The record's networks and what happens in them: networks, nodes, infos, vectors,
transmissions and transformations, each linked to the rows it relates to."""

from django.contrib import admin

from core.models import Info, Network, Node, Participant, Transformation, Transmission, Vector
from dashboard.admin.base import RecordAdmin, linked_id, short_json, short_text
from dashboard.database.filters import related_filter
from experiments.models import GroupSeat

NETWORK = related_filter("network", "network", "network_id")


@admin.register(Network)
class NetworkAdmin(RecordAdmin):
    list_display = ("id", "type", "role", "max_size", "full", "details_short", "related_list", "creation_time",
                    "failed")  # fmt: skip
    list_filter = ("type", "role", "full", "failed")
    search_fields = ("=id",)
    details_short = short_json("details", "details")
    related = (
        ("nodes", Node, "network"),
        ("infos", Info, "network"),
        ("vectors", Vector, "network"),
        ("transmissions", Transmission, "network"),
        ("transformations", Transformation, "network"),
        ("group seats", GroupSeat, "network"),
    )


@admin.register(Node)
class NodeAdmin(RecordAdmin):
    list_display = ("id", "type", "network_link", "participant_link", "details_short", "related_list",
                    "creation_time", "failed")  # fmt: skip
    list_filter = (
        NETWORK, related_filter("participant", "participant", "participant_id"), "type", "failed",
    )  # fmt: skip
    search_fields = ("=id",)
    network_link = linked_id("network_id", Network, "network")
    participant_link = linked_id("participant_id", Participant, "participant")
    details_short = short_json("details", "details")
    related = (
        ("infos", Info, "node"),
        ("vectors", Vector, "node"),
        ("transmissions", Transmission, "node"),
        ("transformations", Transformation, "node"),
    )


@admin.register(Info)
class InfoAdmin(RecordAdmin):
    list_display = ("id", "type", "origin_link", "network_link", "contents_short", "details_short", "creation_time",
                    "failed")  # fmt: skip
    list_filter = (
        NETWORK,
        related_filter("node", "node", "origin_id"),
        related_filter("participant", "participant", "origin__participant_id"),
        "type",
        "failed",
    )
    search_fields = ("=id", "contents")
    origin_link = linked_id("origin_id", Node, "origin")
    network_link = linked_id("network_id", Network, "network")
    contents_short = short_text("contents", "contents")
    details_short = short_json("details", "details")
    related = (("transmissions", Transmission, "info"), ("transformations", Transformation, "info"))


@admin.register(Vector)
class VectorAdmin(RecordAdmin):
    list_display = ("id", "origin_link", "destination_link", "network_link", "creation_time", "failed")
    list_filter = (NETWORK, related_filter("node", "node", "origin_id", "destination_id"), "failed")
    search_fields = ("=id",)
    origin_link = linked_id("origin_id", Node, "origin")
    destination_link = linked_id("destination_id", Node, "destination")
    network_link = linked_id("network_id", Network, "network")
    related = (("transmissions", Transmission, "vector"),)


@admin.register(Transmission)
class TransmissionAdmin(RecordAdmin):
    list_display = ("id", "info_link", "origin_link", "destination_link", "network_link", "status", "creation_time",
                    "receive_time", "failed")  # fmt: skip
    list_filter = (
        NETWORK,
        related_filter("node", "node", "origin_id", "destination_id"),
        related_filter("info", "info", "info_id"),
        related_filter("vector", "vector", "vector_id"),
        "status",
        "failed",
    )
    search_fields = ("=id",)
    info_link = linked_id("info_id", Info, "info")
    origin_link = linked_id("origin_id", Node, "origin")
    destination_link = linked_id("destination_id", Node, "destination")
    network_link = linked_id("network_id", Network, "network")


@admin.register(Transformation)
class TransformationAdmin(RecordAdmin):
    list_display = ("id", "type", "info_in_link", "info_out_link", "node_link", "network_link", "creation_time",
                    "failed")  # fmt: skip
    list_filter = (
        NETWORK,
        related_filter("node", "node", "node_id"),
        related_filter("info", "info", "info_in_id", "info_out_id"),
        "type",
        "failed",
    )
    search_fields = ("=id",)
    info_in_link = linked_id("info_in_id", Info, "info in")
    info_out_link = linked_id("info_out_id", Info, "info out")
    node_link = linked_id("node_id", Node, "node")
    network_link = linked_id("network_id", Network, "network")
