"""The participant's pages: the ad (entry page), and every other page by name.

`/ad` checks who is arriving (ids from the recruiter, a repeat worker, an excluded
browser) before showing the invitation; `/<page>` and `/<folder>/<page>` render the
experiment's template of that name, or the platform's. Pages are never cached.
"""

import re

from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.fetch import by_pk
from core.models import Participant
from experiments import custom_routes, runtime
from experiments.binding import Caller
from experiments.browsers import excluded_by
from experiments.entry import entry_ids
from experiments.error_page import render_error_page
from experiments.page_rendering import experiment_has_template, page_exists, render_page
from experiments.page_templates import RESERVED_TEMPLATES
from experiments.services.lookups import as_id, has_taken_part, participants_of
from experiments.services.replacement import exit_address, is_replaced
from recruitment.recruiters import generate_random_id

PAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # bounded: longer names are no file's name
PREVIEW_ASSIGNMENT = "ASSIGNMENT_ID_NOT_AVAILABLE"
#: The values of `generate_tokens` that do not ask `/ad` for made-up ids. Dallinger makes ids
#: for `1`, `true` and `yes`; a bare `?generate_tokens` (the links this project prints) does too.
KEEP_TOKENS = frozenset({"0", "false", "no"})
#: The methods a participant page answers; others are 405, as for every known route.
PAGE_METHODS = ("GET", "HEAD")
QUESTIONNAIRE_SCALE = range(1, 8)
#: The platform's pages a participant may be sent to by name (`dallinger.goToPage`).
PLATFORM_PAGES = frozenset(
    f"{name}.html" for name in ("consent", "instructions", "exp", "questionnaire", "waiting", "complete")
)


def _refuse(request, message: str, status: int, error_type: str):
    return render_error_page(request, status, message=message, error_type=error_type)


@never_cache
@require_http_methods(PAGE_METHODS)
def index(request):
    """GET /: a plain page saying what this server is."""
    return render_page(request, "index.html")


@never_cache
@require_http_methods(PAGE_METHODS)
def ad(request):
    """GET /ad: the invitation a recruited participant lands on."""
    config = runtime.active().config
    params = request.GET
    if "generate_tokens" in params and params["generate_tokens"].lower() not in KEEP_TOKENS:
        query = params.copy()
        del query["generate_tokens"]
        given = entry_ids(query)
        # Only the ids the link lacks are made up: a test link may fix some of them (a
        # worker id to try the repeat-worker check) and must arrive with those unchanged.
        for field, name in (("hit_id", "hitId"), ("assignment_id", "assignmentId"), ("worker_id", "workerId")):
            if field not in given:
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
                "Our records show you have already taken part in this experiment, and it can only be done once.",
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


def _require_page(template_name: str) -> None:
    """Http404 unless `/<name>` may show `template_name` and the template exists."""
    if not (_is_participant_page(template_name) and page_exists(template_name)):
        raise Http404(f"No page {template_name}")


def _render_page(request, template_name: str):
    _require_page(template_name)
    replaced = _replaced_participant_held(request, request.GET.get("participant_id", ""))
    if replaced is not None:
        # A bot plays their part now: reloading the game would show a game that is not theirs.
        return HttpResponseRedirect(exit_address(replaced))
    return render_page(request, template_name, scale=QUESTIONNAIRE_SCALE)


def _replaced_participant_held(request, participant_id):
    """The participant the page is for, when a bot replaced them and this browser holds them."""
    if not participant_id:
        return None
    participant = by_pk(Participant, as_id(participant_id))
    if not is_replaced(participant):
        return None
    return participant if Caller.of_request(request, runtime.active().config).holds(participant) else None


@csrf_exempt
@never_cache
def page_or_experiment_route(request, path: str):
    """Any other path: the experiment's own route if it declares one, else the page of that name."""
    if custom_routes.match_route(runtime.active().experiment_class, path) is not None:
        return custom_routes.dispatch(request, path)
    parts = path.strip("/").split("/")
    if len(parts) in (1, 2) and all(PAGE_NAME.match(part) for part in parts):
        template_name = "/".join(parts) + ".html"
        if request.method not in PAGE_METHODS:
            _require_page(template_name)  # a page that is not there stays a 404, whatever the method
            return HttpResponseNotAllowed(PAGE_METHODS)
        return _render_page(request, template_name)
    raise Http404(f"No page /{path}")
