"""Participant-facing HTML pages of the exit and error flows."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.fetch import by_pk
from core.models import Participant
from experiments import runtime
from experiments.binding import Caller
from experiments.error_page import render_error_page
from experiments.errors import ExperimentError
from experiments.page_rendering import render_page
from experiments.page_templates import PLATFORM_ENGINE
from experiments.services.feedback import error_feedback_record
from experiments.services.lookups import as_id, participant_get_for_exit
from experiments.services.replacement import is_replaced, replaced_message
from recruitment.recruiters import RecruiterNotInstalled, participant_recruiter


@never_cache
@require_http_methods(["GET"])
def recruiter_exit(request):
    """GET /recruiter-exit: where the participant goes when they are done, as their recruiter says.

    The exit page may carry what the recruiter pays on (a completion code), so only the
    participant's own browser sees it.
    """
    experiment = runtime.experiment()
    caller = Caller.of_request(request, experiment.config)
    try:
        participant = participant_get_for_exit(participant_id=request.GET.get("participant_id"), caller=caller)
    except ExperimentError as error:
        return render_error_page(request, error.status_code, message=error.message, participant=error.participant)
    try:
        recruiter = participant_recruiter(experiment=experiment, participant=participant)
    except RecruiterNotInstalled as error:
        return render_error_page(request, 409, message=str(error), participant=participant)
    context = recruiter.exit_page_context(participant)
    if is_replaced(participant):
        context["notice"] = replaced_message(experiment)
    exit_info = getattr(experiment, "exit_info_for", None)
    if callable(exit_info):  # Dallinger's hook: what the participant may need to get paid
        context.setdefault("participant_exit_info", sorted((exit_info(participant) or {}).items()))
    return render_page(request, recruiter.exit_template, **context)


@never_cache
@require_http_methods(["GET"])
def ad_address(request, mode, hit_id):
    """GET /ad_address/<mode>/<hit_id>: the address of the exit page (older front ends ask for it)."""
    return JsonResponse({"status": "success", "address": "/recruiter-exit"})


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def error_page(request):
    """GET or POST /error-page: the error page with the participant's ids and a feedback form."""
    source = request.POST if request.method == "POST" else request.GET
    participant = by_pk(Participant, as_id(source.get("participant_id")))
    return render_error_page(request, participant=participant, request_data=source.get("request_data", ""))


@csrf_exempt
@never_cache
@require_http_methods(["POST"])
def handle_error(request):
    """POST /handle-error: store the participant's feedback, complete their assignment, thank them."""
    experiment = runtime.experiment()
    _, completed = error_feedback_record(
        experiment=experiment,
        caller=Caller.of_request(request, experiment.config),
        participant_id=request.POST.get("participant_id"),
        feedback=request.POST.get("error_feedback"),
        error_type=request.POST.get("error_type"),
        error_text=request.POST.get("error_text"),
        request_data=request.POST.get("request_data"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        referrer=request.META.get("HTTP_REFERER", ""),
    )
    contact = experiment.config.get("contact_email_on_error", "")
    context = {
        "completed": completed,
        "contact_email_on_error": contact,
        "contact_address": contact,
        "hit_id": request.POST.get("hit_id", ""),
    }
    return render(request, "error-complete.html", context, using=PLATFORM_ENGINE)
