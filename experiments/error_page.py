"""The error page: what went wrong, the participant's ids, and the feedback form.

One context for every place that shows it (API error envelopes, the exit and error routes,
refusals at the ad, pages that failed to render), so what it reveals is decided once: the
assignment of a participant is shown only to the browser or bot that holds them
(experiments/binding.py). It is rendered from the platform's templates only, so that it
still works when an experiment's templates are broken.
"""

from django.shortcuts import render
from django.template.loader import render_to_string

from experiments import runtime
from experiments.binding import Caller
from experiments.page_templates import PLATFORM_ENGINE


def error_page_context(request, *, message: str = "", error_type: str = "", participant=None, request_data="") -> dict:
    """The template context of error.html (our names, and Dallinger's for the same values)."""
    config = runtime.active().config
    if participant is not None and request is not None and not Caller.of_request(request, config).holds(participant):
        shown = None
    else:
        shown = participant
    contact = config.get("contact_email_on_error", "")
    return {
        "message": message,
        "error_text": message,
        "error_type": error_type,
        "participant": shown,
        "participant_id": participant.pk if participant is not None else "",
        "hit_id": shown.hit_id if shown is not None else "",
        "assignment_id": shown.assignment_id if shown is not None else "",
        "worker_id": shown.worker_id if shown is not None else "",
        "request_data": request_data,
        "contact_email_on_error": contact,
        "contact_address": contact,
        "request_path": request.path if request is not None else "",
    }


def error_page_html(request, **context) -> str:
    """The error page as HTML text (for the API's error envelope, which `dallinger.error` shows)."""
    return render_to_string("error.html", error_page_context(request, **context), request=request, using=PLATFORM_ENGINE)


def render_error_page(request, status: int = 200, **context):
    """The error page as a response."""
    return render(request, "error.html", error_page_context(request, **context), status=status, using=PLATFORM_ENGINE)
