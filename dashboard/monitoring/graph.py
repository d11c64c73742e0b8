"""Reads for the Monitoring graph: a page of networks with their counts, a page of each one's
nodes, the vectors between those nodes, and on request the infos, transmissions and
transformations of some networks.

A fixed number of queries whatever the size of the record: a network of thousands of nodes
sends its totals and one page of its nodes, never the whole table.
"""

import operator
from functools import reduce

from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber

from core.models import Info, Network, Node, Transformation, Transmission, Vector
from core.nodes import Source
from core.polymorphism import registry
from dashboard.monitoring.params import MonitoringQuery

NETWORK_FIELDS = ("id", "type", "role", "max_size", "full", "failed")
NODE_FIELDS = ("id", "type", "network_id", "participant_id", "failed")
#: At most this many edges, infos and so on go to the page: a dense network's vectors, or a
#: long run's infos, would otherwise make the graph unusable (the totals say how many there are).
MAX_VECTORS = 5000
MAX_INFOS = 1000
MAX_TRANSMISSIONS = 2000
MAX_TRANSFORMATIONS = 1000


def _networks(query: MonitoringQuery):
    networks = Network.objects.all()
    if query.network_roles:
        networks = networks.filter(role__in=query.network_roles)
    if query.network_ids:
        networks = networks.filter(pk__in=query.network_ids)
    return networks


def network_roles() -> list[dict]:
    """Every role with how many networks have it, and how many of those are full or failed."""
    rows = Network.objects.values("role").annotate(
        count=Count("pk"), full=Count("pk", filter=Q(full=True)), failed=Count("pk", filter=Q(failed=True))
    )
    return list(rows.order_by("role"))


def network_page(query: MonitoringQuery) -> dict:
    """The page of networks the query asks for, oldest first, each with its counts (as in
    `Network.counts()`), and how many networks match in all (two queries)."""
    matching = _networks(query)
    total = matching.count()
    start = (query.page - 1) * query.per_page
    counts = Network.count_annotations()
    rows = matching.order_by("id").annotate(**counts).values(*NETWORK_FIELDS, *counts)[start : start + query.per_page]
    networks = [{**row, **{key: row[key] or 0 for key in counts}} for row in rows]
    return {"networks": networks, "total": total, "page": query.page, "per_page": query.per_page}


def node_page(networks: list[dict], query: MonitoringQuery) -> list[dict]:
    """Each network's page of nodes (sources only when collapsed), oldest first, with the
    participant's status and the node's position in its network (one query).

    Positions are numbered per network in the database, so a page of a network of any size
    costs the same as the first.
    """
    if not networks:
        return []
    nodes = Node.objects.filter(network_id__in=[network["id"] for network in networks])
    if query.collapsed:
        nodes = nodes.filter(type__in=registry.identities(Source))
    size = query.nodes_per_page
    starts = [When(network_id=network["id"], then=Value((query.node_page(network["id"]) - 1) * size))
              for network in networks if query.node_page(network["id"]) > 1]  # fmt: skip
    nodes = nodes.annotate(
        position=Window(RowNumber(), partition_by=[F("network_id")], order_by=[F("id").asc()]),
        page_start=Case(*starts, default=Value(0), output_field=IntegerField()),
    )
    rows = nodes.filter(position__gt=F("page_start"), position__lte=F("page_start") + size)
    return list(
        rows.order_by("network_id", "id").values(*NODE_FIELDS, "position", participant_status=F("participant__status"))
    )


def mark_sources(nodes: list[dict]) -> list[dict]:
    """`nodes` with `source` set on each: whether its type is a Source (drawn apart)."""
    source_types = set(registry.identities(Source))
    for node in nodes:
        node["source"] = node.get("type") in source_types
    return nodes


def _id_ranges(nodes: list[dict], network_ids=None) -> dict[int, tuple[int, int]]:
    """Each network's lowest and highest node id among `nodes` (only those of `network_ids`,
    if given). A page holds a network's nodes from one position to another in id order, so a
    network's nodes with ids in that range are exactly its nodes on the page."""
    ranges = {}
    for node in nodes:
        network = node["network_id"]
        if network_ids is None or network in network_ids:
            low, high = ranges.get(network, (node["id"], node["id"]))
            ranges[network] = (min(low, node["id"]), max(high, node["id"]))
    return ranges


def _any_of(conditions: list[Q]) -> Q:
    return reduce(operator.or_, conditions)


def vectors_between(nodes: list[dict]) -> list[dict]:
    """The vectors whose both ends are among `nodes`, a page of each network's nodes (at most
    MAX_VECTORS, oldest first). Selected by each network's id range, which stays a short
    statement whatever the page's size (a list of a thousand ids is slow to send and plan)."""
    ranges = _id_ranges(nodes)
    if not ranges:
        return []
    condition = _any_of([Q(network_id=network, origin_id__gte=low, origin_id__lte=high, destination_id__gte=low,
                           destination_id__lte=high) for network, (low, high) in ranges.items()])  # fmt: skip
    rows = Vector.objects.filter(condition).order_by("id")
    return list(rows.values("id", "origin_id", "destination_id", "network_id", "failed")[:MAX_VECTORS])


def infos_of(network_ids: list[int], nodes: list[dict]) -> list[dict]:
    """The infos made by the nodes of `network_ids` among `nodes` (at most MAX_INFOS, oldest
    first), without their contents, which the details pane shows."""
    ranges = _id_ranges(nodes, set(network_ids))
    if not ranges:
        return []
    condition = _any_of([Q(network_id=network, origin_id__gte=low, origin_id__lte=high)
                         for network, (low, high) in ranges.items()])  # fmt: skip
    rows = Info.objects.filter(condition).order_by("id")
    return list(rows.values("id", "type", "origin_id", "network_id", "failed")[:MAX_INFOS])


def transmissions_of(info_ids: list[int]) -> list[dict]:
    """The transmissions of those infos (at most MAX_TRANSMISSIONS, oldest first)."""
    if not info_ids:
        return []
    rows = Transmission.objects.filter(info_id__in=info_ids).order_by("id")
    fields = ("id", "info_id", "origin_id", "destination_id", "network_id", "status", "failed")
    return list(rows.values(*fields)[:MAX_TRANSMISSIONS])


def transformations_of(info_ids: list[int]) -> list[dict]:
    """The transformations from one of those infos to another (at most MAX_TRANSFORMATIONS)."""
    if not info_ids:
        return []
    shown = set(info_ids)
    rows = Transformation.objects.filter(info_in_id__in=info_ids).order_by("id")
    fields = ("id", "type", "info_in_id", "info_out_id", "node_id", "network_id", "failed")
    return [row for row in rows.values(*fields) if row["info_out_id"] in shown][:MAX_TRANSFORMATIONS]


def graph(query: MonitoringQuery) -> dict:
    """Everything the graph shows for `query`: the page of networks, their nodes and vectors,
    and the infos (with transmissions, and transformations when asked) of the networks in
    `query.infos` that are on the page."""
    page = network_page(query)
    nodes = mark_sources(node_page(page["networks"], query))
    shown = {network["id"] for network in page["networks"]}
    info_networks = [pk for pk in query.infos if pk in shown]
    infos = [] if query.collapsed else infos_of(info_networks, nodes)
    info_ids = [info["id"] for info in infos]
    return {
        **page,
        "nodes": nodes,
        "nodes_per_page": query.nodes_per_page,
        "vectors": [] if query.collapsed else vectors_between(nodes),
        "infos": infos,
        "transmissions": transmissions_of(info_ids),
        "transformations": transformations_of(info_ids) if query.transformations else [],
        "limits": {
            "vectors": MAX_VECTORS,
            "infos": MAX_INFOS,
            "transmissions": MAX_TRANSMISSIONS,
            "transformations": MAX_TRANSFORMATIONS,
        },  # fmt: skip
    }
