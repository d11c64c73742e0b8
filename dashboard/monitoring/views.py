"""The Monitoring page, its data endpoint and an object's details: parse, read, answer."""

from django.conf import settings as django_settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from core.models import Node
from core.timestamps import DallingerJSONEncoder
from dashboard.monitoring import graph, hooks, statistics
from dashboard.monitoring.consumers import LIVE_PATH
from dashboard.monitoring.params import BadQuery, parse_query
from experiments import runtime


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"status": "error", "message": message}, status=status)


def page(request, *, site):
    """The Monitoring page: the graph, the statistics and the details pane, filled by its scripts."""
    experiment = runtime.experiment()
    settings = {
        "dataUrl": reverse("admin:dashboard-monitoring-data"),
        "detailsUrl": reverse("admin:dashboard-monitoring") + "details/",
        "livePath": LIVE_PATH,
        "visOptions": hooks.visualization_options(experiment),
    }
    context = {
        **site.each_context(request),
        "title": "Monitoring",
        "monitoring_settings": settings,
        "poll_seconds": django_settings.DASHBOARD_FALLBACK_POLL_SECONDS,
    }
    return TemplateResponse(request, "dashboard/monitoring/page.html", context)


def data(request, *, site):
    """The graph and statistics for the page's filters and pages, as JSON (400 for a bad query)."""
    try:
        query = parse_query(request.GET)
    except BadQuery as error:
        return _error(str(error), 400)
    experiment = runtime.experiment()
    arguments = query.hook_arguments()
    problems = []
    try:
        structure = hooks.structure(experiment, arguments, query)
    except hooks.HookFailed as error:
        problems.append(str(error))
        structure = None
    try:
        experiment_statistics = hooks.statistics(experiment, arguments)
    except hooks.HookFailed as error:
        problems.append(str(error))
        experiment_statistics = {"statistics": []}
    answer = {
        "status": "success",
        "graph": structure if structure is not None else graph.graph(query),
        "roles": graph.network_roles(),
        "experiment_statistics": experiment_statistics,
        "payments": statistics.payments(experiment.config),
        "participants_over_time": statistics.participants_over_time(),
        "problems": problems,
    }
    return JsonResponse(answer, encoder=DallingerJSONEncoder)


def details(request, object_type: str, pk: int, *, site):
    """One object of the record as JSON (its fields; a node's participant; the experiment's HTML
    for it, when the experiment provides some), or 404."""
    model = hooks.visualizable(object_type)
    if model is None:
        return _error(f"There is no object type {object_type[:40]!r}.", 404)
    found = model.objects.filter(pk=pk).first()
    if found is None:
        return _error(f"There is no {object_type} {pk}.", 404)
    answer = {"status": "success", "object_type": object_type, "id": pk, "fields": hooks.plain(found.__json__())}
    if isinstance(found, Node) and found.participant_id is not None:
        answer["participant"] = hooks.plain(found.participant.__json__())
    try:
        html = hooks.visualization_html(runtime.experiment(), object_type, pk)
    except hooks.HookFailed as error:
        answer["problem"] = str(error)
    else:
        if html:
            answer["html"] = html
    return JsonResponse(answer, encoder=DallingerJSONEncoder)
