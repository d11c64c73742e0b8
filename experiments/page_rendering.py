"""Rendering a participant page: the context Dallinger gives its templates, and the error page
when a page cannot be rendered."""

import logging
from urllib.parse import urlencode

from django.http import HttpResponse
from django.template import TemplateDoesNotExist, engines

from experiments import runtime
from experiments.entry import entry_ids
from experiments.error_page import render_error_page
from experiments.page_templates import PARTICIPANT_ENGINE

logger = logging.getLogger(__name__)

TEMPLATE_ERROR_MESSAGE = "This page of the experiment could not be shown."


def experiment_has_template(template_name: str) -> bool:
    """Whether the active experiment package has a template of this name."""
    folder = runtime.active().templates_dir
    return folder is not None and (folder / template_name).is_file()


def page_context(request, **values) -> dict:
    """Dallinger's template context: the experiment, its id and mode, and the entry ids of the query.

    `query_string` is re-encoded from the parsed query, so a template that prints it
    unescaped (Dallinger's consent page does) cannot be handed markup by a crafted link.
    """
    config = runtime.active().config
    params = request.GET
    ids = entry_ids(params)
    query_string = urlencode(list(params.lists()), doseq=True)
    context = {
        "experiment": runtime.experiment(),
        "app_id": config.get("id", "unknown"),
        "mode": params.get("mode") or config.get("mode"),
        "recruiter": params.get("recruiter", ""),
        "hit_id": ids.get("hit_id", ""),
        "assignment_id": ids.get("assignment_id", ""),
        "worker_id": ids.get("worker_id", ""),
        "hitid": ids.get("hit_id", ""),
        "assignmentid": ids.get("assignment_id", ""),
        "workerid": ids.get("worker_id", ""),
        "participant_id": params.get("participant_id", ""),
        "query_string": query_string,
        # Where the platform's pages send the participant next: Dallinger experiments name
        # their pages `instructions/instruct-ready` and `experiment`, the platform's are
        # `instructions` and `exp`.
        "instructions_page": "instructions/instruct-ready"
        if experiment_has_template("instructions/instruct-ready.html")
        else "instructions",
        "experiment_page": "experiment" if experiment_has_template("experiment.html") else "exp",
    }
    context.update(values)
    return context


def page_exists(template_name: str) -> bool:
    """Whether a participant page of this name exists (a broken one still exists)."""
    try:
        engines[PARTICIPANT_ENGINE].get_template(template_name)
    except TemplateDoesNotExist:
        return False
    except Exception:  # a syntax error: the page is there, and render_page shows the error page
        return True
    return True


def render_page(request, template_name: str, status: int = 200, **values) -> HttpResponse:
    """The participant page `template_name` with Dallinger's context plus `values`.

    A page that cannot be rendered (a syntax error, an undefined value used, an exception
    in the experiment's code) is logged for the experimenter, and the participant gets the
    error page, which comes from the platform's templates only.
    """
    try:
        template = engines[PARTICIPANT_ENGINE].get_template(template_name)
        html = template.render(page_context(request, **values), request)
    except Exception:
        logger.exception("The participant page %s could not be rendered", template_name)
        return render_error_page(request, 500, message=TEMPLATE_ERROR_MESSAGE, error_type="template_error")
    return HttpResponse(html, status=status)
