"""The participant's pages: the ad (entry page), and every other page by name.

`/ad` checks who is arriving (ids from the recruiter, a repeat worker, an excluded
browser) before showing the invitation; `/<page>` and `/<folder>/<page>` render the
experiment's template of that name, or the platform's. Pages are never cached.
"""

import re

from django.http import Http404, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from experiments import custom_routes, runtime
from experiments.browsers import excluded_by
from experiments.entry import entry_ids
from experiments.error_page import render_error_page
from experiments.page_rendering import experiment_has_template, page_exists, render_page
from experiments.page_templates import RESERVED_TEMPLATES
from experiments.services.lookups import has_taken_part, participants_of
from recruitment.recruiters import generate_random_id

PAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # bounded: longer names are no file's name
PREVIEW_ASSIGNMENT = "ASSIGNMENT_ID_NOT_AVAILABLE"
QUESTIONNAIRE_SCALE = range(1, 8)
#: The platform's pages a participant may be sent to by name (`dallinger.goToPage`).
PLATFORM_PAGES = frozenset(
    f"{name}.html" for name in ("consent", "instructions", "exp", "questionnaire", "waiting", "complete")
)


def _refuse(request, message: str, status: int, error_type: str):
    return render_error_page(request, status, message=message, error_type=error_type)


@never_cache
def index(request):
    """GET /: a plain page saying what this server is."""
    return render_page(request, "index.html")


@never_cache
def ad(request):
    """GET /ad: the invitation a recruited participant lands on."""
    config = runtime.active().config
    params = request.GET
    if "generate_tokens" in params:
        query = params.copy()
        del query["generate_tokens"]
        for name in ("hitId", "assignmentId", "workerId"):
            query[name] = generate_random_id()
        query.setdefault("mode", config.get("mode", "debug"))
        query.setdefault("recruiter", "hotair")
        return HttpResponseRedirect(f"/ad?{query.urlencode()}")

    ids = entry_ids(params)
    hit_id, assignment_id, worker_id = ids.get("hit_id"), ids.get("assignment_id"), ids.get("worker_id")
    if not hit_id or not assignment_id:
        return _refuse(
            request,
            "The link you followed is missing the assignment details the recruiter should have added.",
            400,
            "hit_assign_worker_id_not_set_by_recruiter",
        )
    if "\x00" in hit_id + assignment_id + (worker_id or ""):  # no id can hold NUL, nor be looked up with it
        return _refuse(request, "The link you followed has malformed assignment details.", 400, "malformed_ids")
    exclusion = excluded_by(config.get("browser_exclude_rule"), request.META.get("HTTP_USER_AGENT", ""))
    if exclusion:
        return _refuse(
            request,
            f"This experiment cannot run on your browser or device ({exclusion}). "
            "Please come back with a desktop or laptop computer and an up-to-date browser.",
            403,
            "browser_type_not_allowed",
        )
    preview = assignment_id == PREVIEW_ASSIGNMENT
    if worker_id and not preview and not config.get("allow_repeat_worker_ids", False):
        known = participants_of(worker_id=worker_id, assignment_id=assignment_id)
        if has_taken_part(known, worker_id=worker_id, assignment_id=assignment_id):
            return _refuse(
                request,
                "Our records show you have already taken part in this experiment, "
                "and it can only be done once.",
                403,
                "already_did_exp_hit",
            )
    duration_hours = config.get("duration") or 0
    return render_page(
        request,
        "ad.html",
        title=config.get("title"),
        description=config.get("description"),
        duration_minutes=max(int(round(duration_hours * 60)), 1) if duration_hours else None,
        base_payment=config.get("base_payment"),
        preview=preview,
        # The ids and everything else the recruiter added, carried to the consent page.
        entry_parameters=[(name, value) for name, values in params.lists() for value in values],
    )


def _is_participant_page(template_name: str) -> bool:
    """Whether `/<name>` may show this template: the experiment's own templates, and the
    platform's participant pages; never another app's (the admin's, the API's) nor a platform
    template meant only for one route."""
    if template_name in PLATFORM_PAGES:
        return True
    return template_name not in RESERVED_TEMPLATES and experiment_has_template(template_name)


def _render_page(request, template_name: str):
    if not (_is_participant_page(template_name) and page_exists(template_name)):
        raise Http404(f"No page {template_name}")
    return render_page(request, template_name, scale=QUESTIONNAIRE_SCALE)


@csrf_exempt
@never_cache
def page_or_experiment_route(request, path: str):
    """Any other path: the experiment's own route if it declares one, else the page of that name."""
    if custom_routes.match_route(runtime.active().experiment_class, path) is not None:
        return custom_routes.dispatch(request, path)
    parts = path.strip("/").split("/")
    if len(parts) in (1, 2) and all(PAGE_NAME.match(part) for part in parts):
        return _render_page(request, "/".join(parts) + ".html")
    raise Http404(f"No page /{path}")
