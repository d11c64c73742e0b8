"""What the Experiment's monitoring hooks return by default: the record's statistics, its
network structure in Dallinger's shape, and an object's own visualisation HTML.

The dashboard (its Monitoring page) calls the hooks; experiments override them, often calling
these defaults through `super()` and adding to what they return.
"""

from django.db.models import Count, Q
from django.utils.html import format_html, format_html_join

from core.models import Info, Network, Node, Participant, Question, Transformation, Transmission, Vector
from core.nodes import Source
from recruitment.payments.selectors import participant_status_counts

#: The record's classes `node_visualization_html` may be asked about, by Dallinger's names.
VISUALIZABLE = {
    model.__name__: model
    for model in (Info, Network, Node, Participant, Question, Transformation, Transmission, Vector)
}

_NO = ("", "0", "false", "no", "off", "none")


def flag(value) -> bool:
    """A yes/no hook argument as Dallinger's dashboard passes it (a list of query-string values:
    present means yes, unless it says no) or as Python code passes it (a bool)."""
    if isinstance(value, (list, tuple)):
        return bool(value) and str(value[-1]).strip().lower() not in _NO
    if isinstance(value, str):
        return value.strip().lower() not in _NO
    return bool(value)


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(item) for item in value]
    return [str(value)]


def _count_and_failed(model) -> dict:
    return model.objects.aggregate(count=Count("pk"), failed=Count("pk", filter=Q(failed=True)))


def record_statistics(*, transformations=False) -> dict:
    """Dallinger's default monitoring statistics, in order: participants by status, networks by
    role (`{count, failed}`), nodes and infos (`{count, failed}`), and transformations when
    asked for. Counts include failed rows. Unlike Dallinger, every status present is counted,
    not only four of them."""
    roles = Network.objects.values("role").annotate(count=Count("pk"), failed=Count("pk", filter=Q(failed=True)))
    statistics = {
        "Participants": participant_status_counts(),
        "Networks": {row["role"]: {"count": row["count"], "failed": row["failed"]} for row in roles.order_by("role")},
        "Nodes": _count_and_failed(Node),
        "Infos": _count_and_failed(Info),
    }
    if flag(transformations):
        statistics["Transformations"] = _count_and_failed(Transformation)
    return statistics


def statistics_html(statistics: dict) -> dict:
    """Each statistics entry as an HTML fragment (escaped), as Dallinger's `monitoring_panels`."""
    return {title: _html(value) for title, value in statistics.items()}


def _html(value) -> str:
    if isinstance(value, dict):
        if set(value) == {"count", "failed"}:
            count, failed = value["count"] or 0, value["failed"] or 0
            share = f" ({failed / count:.0%})" if count else ""
            state = "no-failures" if not failed else ("all-failures" if failed == count else "some-failures")
            return format_html('<span class="{}">{} total, {} failed{}</span>', state, count, failed, share)
        rows = format_html_join(
            "",
            '<li><span class="statistics-key">{}</span>: <span class="statistics-value">{}</span></li>',
            ((key, _html(item)) for key, item in value.items()),
        )
        return format_html("<ul>{}</ul>", rows)
    return format_html("{}", value)


def network_structure(*, network_roles=None, network_ids=None, collapsed=False, transformations=False) -> dict:
    """Dallinger's monitoring graph data: lists of the objects' JSON under `networks`, `nodes`,
    `vectors`, `infos`, `participants` and `trans`, for the networks of the given roles and ids
    (all by default); `collapsed` keeps networks and sources only, `transformations` adds the
    transformations. Whole tables are read, as in Dallinger: the dashboard pages and counts large
    studies itself, and calls this only for an experiment that overrides the hook.

    Raises ValueError for a network id that is not a whole number.
    """
    networks = Network.objects.all()
    roles = _strings(network_roles)
    if roles:
        networks = networks.filter(role__in=roles)
    ids = [int(value) for value in _strings(network_ids)]
    if ids:
        networks = networks.filter(pk__in=ids)
    networks = list(networks.order_by("id"))
    chosen = [network.pk for network in networks]
    structure = {"networks": [network.__json__() for network in networks], "nodes": [], "vectors": [],
                 "infos": [], "participants": [], "trans": []}  # fmt: skip
    if flag(collapsed):
        sources = Source.objects.filter(network_id__in=chosen).order_by("id")
        structure["nodes"] = [node.__json__() for node in sources]
        return structure
    structure["nodes"] = [node.__json__() for node in Node.objects.filter(network_id__in=chosen).order_by("id")]
    structure["vectors"] = [
        {
            "id": vector.pk,
            "origin_id": vector.origin_id,
            "destination_id": vector.destination_id,
            "failed": vector.failed,
        }  # fmt: skip
        for vector in Vector.objects.filter(network_id__in=chosen).order_by("id")
    ]
    structure["infos"] = [info.__json__() for info in Info.objects.filter(network_id__in=chosen).order_by("id")]
    structure["participants"] = [participant.__json__() for participant in Participant.objects.order_by("id")]
    if flag(transformations):
        rows = Transformation.objects.filter(network_id__in=chosen).order_by("id")
        structure["trans"] = [transformation.__json__() for transformation in rows]
    return structure


def visualization_html(object_type, obj_id) -> str:
    """The `visualization_html` of the record's object `object_type` (a class name such as
    "Node") number `obj_id`, or "" when there is none or no such object."""
    model = VISUALIZABLE.get(str(object_type))
    try:
        pk = int(obj_id)
    except (TypeError, ValueError):
        return ""
    found = model.objects.filter(pk=pk).first() if model is not None else None
    return (found.visualization_html or "") if found is not None else ""
