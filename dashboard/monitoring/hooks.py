"""The experiment's monitoring hooks (Dallinger's names), called for the Monitoring page.

An experiment's hook may fail or return values JSON cannot carry: a failure is logged and
named on the page instead of breaking it, and every value is made plain (`plain`).
"""

import json
import logging
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from core.timestamps import json_timestamp
from dashboard.monitoring.graph import MAX_INFOS, MAX_TRANSFORMATIONS, MAX_VECTORS, mark_sources
from dashboard.monitoring.params import MonitoringQuery
from experiments.experiment import Experiment
from experiments.monitoring import VISUALIZABLE

logger = logging.getLogger(__name__)


class HookFailed(Exception):
    """An experiment hook raised; the message names the hook and the error."""


def overrides(experiment, name: str) -> bool:
    """Whether the experiment's class replaces the base class's hook `name`."""
    return getattr(type(experiment), name, None) is not getattr(Experiment, name)


def call(experiment, name: str, *args, **kwargs):
    """`experiment.<name>(*args, **kwargs)`; HookFailed (logged with its traceback) if it raises."""
    try:
        return getattr(experiment, name)(*args, **kwargs)
    except Exception as error:
        logger.exception("The experiment's %s hook failed.", name)
        raise HookFailed(f"The experiment's {name}() failed: {type(error).__name__}: {error}") from error


def plain(value, depth: int = 0):
    """`value` as JSON the page can show: a mapping becomes `{"entries": [[key, value], ...]}`
    (keys as text, in order: JSON objects would reorder numeric keys), sequences lists, numbers,
    text, booleans and None stay, dates become ISO text and anything else its text."""
    if depth > 20:
        return "…"
    if isinstance(value, dict):
        return {"entries": [[str(key), plain(item, depth + 1)] for key, item in value.items()]}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item, depth + 1) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return json_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def statistics(experiment, arguments: dict) -> dict:
    """The experiment's statistics panels: `{"statistics": [...]}` (title, plain data) from
    `monitoring_statistics`, or `{"panels_html": [...]}` (title, HTML) from an overridden
    `monitoring_panels`. Raises HookFailed."""
    if overrides(experiment, "monitoring_panels"):
        panels = _mapping(call(experiment, "monitoring_panels", **arguments), "monitoring_panels")
        return {"panels_html": [[str(title), str(html)] for title, html in panels.items()]}
    data = _mapping(call(experiment, "monitoring_statistics", **arguments), "monitoring_statistics")
    return {"statistics": [[str(title), plain(value)] for title, value in data.items()]}


def _mapping(value, hook: str) -> dict:
    """A hook's answer that must be a mapping (None counts as an empty one); HookFailed if not."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HookFailed(f"The experiment's {hook}() returned a {type(value).__name__}, not a dict.")
    return value


def visualization_options(experiment) -> dict:
    """The experiment's vis-network options ({} when its hook fails or returns no mapping)."""
    try:
        options = call(experiment, "node_visualization_options")
    except HookFailed:
        return {}
    if not isinstance(options, dict):
        return {}
    try:
        json.dumps(options)
    except (TypeError, ValueError):
        logger.warning("The experiment's node_visualization_options() are not JSON: left out.")
        return {}
    return options


def visualization_html(experiment, object_type: str, pk: int) -> str:
    """The experiment's HTML for one object ("" when none). Raises HookFailed."""
    html = call(experiment, "node_visualization_html", object_type, pk)
    return str(html) if html else ""


def _pick(row, keys: tuple) -> dict:
    row = row if isinstance(row, dict) else {}
    return {key: plain(row.get(key)) for key in keys}


def structure(experiment, arguments: dict, query=None) -> dict | None:
    """An overriding experiment's `network_structure`, as the page's graph data, or None when
    the experiment keeps the default. Raises HookFailed.

    Paged as the record's own graph is (`query`: its page of networks, in the order the
    experiment gives them, and each network's page of nodes), with only the vectors, infos and
    transformations of the nodes shown (at most MAX_VECTORS, MAX_INFOS, MAX_TRANSFORMATIONS;
    `truncated` says when more were left out). The experiment's hook still builds its whole
    structure: only what goes to the page is paged."""
    if not overrides(experiment, "network_structure"):
        return None
    query = query or MonitoringQuery()
    given = _mapping(call(experiment, "network_structure", **arguments), "network_structure")
    status_of = {row.get("id"): row.get("status") for row in given.get("participants") or [] if isinstance(row, dict)}
    networks = [_pick(row, ("id", "type", "role", "max_size", "full", "failed", "n_alive_nodes", "n_failed_nodes",
                            "n_completed_infos", "n_failed_infos", "n_pending_infos"))
                for row in given.get("networks") or []]  # fmt: skip
    start = (query.page - 1) * query.per_page
    shown_networks = networks[start : start + query.per_page]
    shown = {network["id"] for network in shown_networks}
    nodes_by_network = defaultdict(list)
    for row in given.get("nodes") or []:
        if isinstance(row, dict) and row.get("network_id") in shown:
            nodes_by_network[row.get("network_id")].append(
                {**_pick(row, ("id", "type", "network_id", "participant_id", "failed")),
                 "participant_status": plain(status_of.get(row.get("participant_id")))}
            )  # fmt: skip
    size = query.nodes_per_page
    nodes = []
    for network_id, rows in nodes_by_network.items():
        first = (query.node_page(network_id) - 1) * size
        nodes.extend(rows[first : first + size])
    node_ids = {node["id"] for node in nodes}
    vectors = [_pick(row, ("id", "origin_id", "destination_id", "network_id", "failed"))
               for row in given.get("vectors") or []
               if isinstance(row, dict) and row.get("origin_id") in node_ids and row.get("destination_id") in node_ids]  # fmt: skip
    infos = [_pick(row, ("id", "type", "origin_id", "network_id", "failed"))
             for row in given.get("infos") or [] if isinstance(row, dict) and row.get("origin_id") in node_ids]  # fmt: skip
    info_ids = {info["id"] for info in infos}
    transformations = [_pick(row, ("id", "type", "info_in_id", "info_out_id", "failed"))
                       for row in given.get("trans") or []
                       if isinstance(row, dict) and row.get("info_in_id") in info_ids]  # fmt: skip
    limits = ((vectors, MAX_VECTORS), (infos, MAX_INFOS), (transformations, MAX_TRANSFORMATIONS))
    return {
        "experiment_defined": True,
        "truncated": any(len(rows) > limit for rows, limit in limits),
        "networks": shown_networks,
        "total": len(networks),
        "page": query.page,
        "per_page": query.per_page,
        "nodes_per_page": size,
        "node_totals": {str(network_id): len(rows) for network_id, rows in nodes_by_network.items()},
        "nodes": mark_sources(nodes),
        "vectors": vectors[:MAX_VECTORS],
        "infos": infos[:MAX_INFOS],
        "transmissions": [],
        "transformations": transformations[:MAX_TRANSFORMATIONS],
    }


def visualizable(object_type: str):
    """The record's class named `object_type` ("Node", "Info"...), or None."""
    return VISUALIZABLE.get(object_type)
