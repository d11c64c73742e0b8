"""The Lifecycle page and its actions: each shown, confirmed (POST), done, and recorded."""

import logging

from django.contrib import admin, messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from dashboard.audit import action_record
from dashboard.lifecycle.actions import ACTIONS, ActionRefused
from dashboard.lifecycle.state import lifecycle_state
from dashboard.permissions import PAY_REFUSAL
from experiments.config import ConfigurationError
from experiments.services.lifecycle import LaunchError
from recruitment.base import RecruiterError

logger = logging.getLogger(__name__)

#: Failures whose message is written for the experimenter (any other is logged, and said briefly).
EXPLAINED = (ActionRefused, RecruiterError, LaunchError, ConfigurationError)


@require_http_methods(["GET"])
def lifecycle_page(request):
    """The experiment's state, and the actions that change it."""
    state = lifecycle_state()
    shown = [
        action
        for action in ACTIONS.values()
        if not (action.slug == "launch" and state.launched)
        and not (action.slug == "pause-recruitment" and not state.auto_recruit)
        and not (action.slug == "resume-recruitment" and state.auto_recruit)
        and not (action.permission and not request.user.has_perm(action.permission))
    ]
    context = {**admin.site.each_context(request), "title": "Lifecycle", "state": state, "actions": shown}
    return TemplateResponse(request, "dashboard/lifecycle/lifecycle.html", context)


@require_http_methods(["GET", "POST"])
def lifecycle_action(request, slug: str):
    """GET: the confirmation step of the action `slug`. POST (the confirmation, with its CSRF
    token): do it, record it, and go back to the Lifecycle page with what happened."""
    action = ACTIONS.get(slug)
    if action is None:
        raise Http404(f"No lifecycle action {slug!r}")
    if action.permission and not request.user.has_perm(action.permission):
        if request.method == "POST":
            action_record(user=request.user, action=f"tried to: {action.title.lower()}", detail="refused: no permission")
        messages.error(request, f"{action.title}: {PAY_REFUSAL}")
        return redirect("admin:dashboard-lifecycle")
    if request.method == "GET":
        context = {**admin.site.each_context(request), "title": action.title, "action": action}
        return TemplateResponse(request, "dashboard/lifecycle/confirm.html", context)
    try:
        outcome = action.perform(request)
    except EXPLAINED as error:
        action_record(user=request.user, action=f"tried to: {action.title.lower()}", detail=f"refused: {error}")
        messages.error(request, f"{action.title}: not done. {error}")
        return redirect("admin:dashboard-lifecycle")
    except Exception:
        logger.exception("The dashboard's %r action failed.", slug)
        action_record(user=request.user, action=f"tried to: {action.title.lower()}", detail="failed unexpectedly")
        messages.error(request, f"{action.title}: failed unexpectedly; the server's log says why.")
        return redirect("admin:dashboard-lifecycle")
    if isinstance(outcome, HttpResponseBase):
        action_record(user=request.user, action=action.done, detail=_export_detail(request) if action.offers_identities else "")
        return outcome
    action_record(user=request.user, action=action.done, detail=outcome)
    messages.success(request, outcome)
    return redirect("admin:dashboard-lifecycle")


def _export_detail(request) -> str:
    kept = request.POST.get("keep_identities") == "on"
    return "with worker ids" if kept else "worker ids pseudonymised"
