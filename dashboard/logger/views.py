"""The Logger tab and its data endpoint: parse, read, answer."""

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from dashboard.logger.selectors import LEVELS, BadFilter, log_records
from dashboard.monitoring.consumers import LIVE_PATH
from experiments import runtime

#: The longest search text taken.
MAX_SEARCH = 200


def _config():
    try:
        return runtime.active().config
    except Exception:  # no experiment loaded: there is no configuration to hide secrets of
        return None


def page(request, *, site):
    """The Logger tab: the filters and the table, filled and kept current by its script."""
    context = {
        **site.each_context(request),
        "title": "Logger",
        "levels": LEVELS,
        "logger_settings": {
            "dataUrl": reverse("admin:dashboard-logger-data"),
            "livePath": LIVE_PATH + "?log=1",
        },
        "poll_seconds": settings.DASHBOARD_FALLBACK_POLL_SECONDS,
    }
    return TemplateResponse(request, "dashboard/logger/page.html", context)


def data(request, *, site):
    """The kept records for `level` (the lowest shown, INFO by default) and `q` (text to find), as
    JSON; 400 for a bad level or a search longer than MAX_SEARCH."""
    level = request.GET.get("level", "INFO").upper()
    text = request.GET.get("q", "")
    if len(text) > MAX_SEARCH:
        return JsonResponse({"status": "error", "message": f"Search at most {MAX_SEARCH} characters."}, status=400)
    try:
        records = log_records(level=level, text=text, config=_config())
    except BadFilter as error:
        return JsonResponse({"status": "error", "message": str(error)}, status=400)
    return JsonResponse({"status": "success", "records": records})
