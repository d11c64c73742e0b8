"""The database area's own pages: Dallinger's JSON route for the experiment's database actions,
and the pages of the experiment's dashboard tabs."""

import json
import logging

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.response import TemplateResponse

from dashboard import tabs
from dashboard.audit import action_record
from dashboard.database.display import json_text
from dashboard.database.experiment_actions import ActionMissing, ActionNotAllowed, action_run
from experiments import runtime

logger = logging.getLogger(__name__)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"status": "error", "message": message}, status=status)


def database_action(request, name: str):
    """POST /dashboard/database/action/<name>: run the experiment's database action `name` on
    the rows in the JSON body (a list of objects), as Dallinger's dashboard does: 403 when the
    experiment does not list it, 404 when it has no such method, 400 for a body that is not
    such a list or rows the action refuses (ValueError), 422 with a readable message when the
    action fails otherwise (its traceback is logged; nothing it wrote is kept). Its result is answered (with `status`)
    and its message shown on the next dashboard page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error("The body must be JSON: a list of rows, each an object.", 400)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        return _error("The body must be a list of rows, each an object.", 400)
    try:
        result = action_run(experiment=runtime.experiment(), name=name, data=data)
    except ActionNotAllowed as error:
        return _error(str(error), 403)
    except ActionMissing as error:
        return _error(str(error), 404)
    except ValueError as error:
        return _error(f"{name}: {str(error).rstrip('.')}. Nothing was changed.", 400)
    except Exception as error:
        # The experiment's code has a bug: the experimenter reads what failed (here and on the
        # next dashboard page) and finds the traceback in the server's log; nothing was kept.
        logger.exception("The database action %s failed.", name)
        message = f"The action {name} failed ({type(error).__name__}: {error}); nothing was changed. " \
                  "The server's log has the details."  # fmt: skip
        messages.error(request, message)
        return _error(message, 422)
    message = str(result.get("message") or "")
    if message:
        messages.success(request, message)
    action_record(
        user=request.user,
        action=f"ran the experiment's action {name}",
        detail=f"{len(data)} row(s)" + (f": {message}" if message else ""),
    )
    body = json.loads(json.dumps({"status": "success", **result}, cls=DjangoJSONEncoder, default=str))
    return JsonResponse(body)


def experiment_tab(request, name: str, site):
    """/dashboard/<name>/: the page of the experiment's tab method, called with the request.
    A response is sent as it is; a string of HTML is shown inside the dashboard's page, a dict
    or list as JSON. Only the methods the tab declared are accepted (405 otherwise). The
    experiment's HTML is its author's: participants' text in it must be escaped by them
    (`django.utils.html.format_html`)."""
    experiment_class = runtime.active().experiment_class
    method_name = tabs.experiment_tab_method(experiment_class, name)
    declaration = tabs.declared_tabs(experiment_class)[method_name]
    if request.method not in declaration.methods:
        return HttpResponseNotAllowed(declaration.methods)
    context = {**site.each_context(request), "title": declaration.title}
    try:
        result = getattr(runtime.experiment(), method_name)(request)
    except Exception as error:
        # The experiment's code failed: the experimenter sees which tab and where to look,
        # inside the dashboard, rather than a bare server error.
        logger.exception("The experiment's dashboard tab %s failed.", method_name)
        context["failure"] = f"The experiment's tab {method_name} failed ({type(error).__name__}). See the server log."
        return TemplateResponse(request, "dashboard/database/experiment_tab.html", context, status=500)
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, str):
        context["html"] = result
    else:
        context["data"] = json_text(result)
    return TemplateResponse(request, "dashboard/database/experiment_tab.html", context)
