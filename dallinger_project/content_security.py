"""Content-Security-Policy and framing headers, chosen by the kind of page.

- The dashboard (the admin site, with its login) and the API documentation get strict
  policies, and nobody may frame them (Django's X-Frame-Options DENY stays).
- Every other HTML answer is a participant page: the policy of
  `experiments.content_security`, with the active recruiter's and experiment's sources.
  Who may frame it is said by its frame-ancestors, so X-Frame-Options (which cannot name
  another site) is SAMEORIGIN, or left out when a recruiter's site frames the pages.
- Answers that are not HTML (the API's JSON, scripts, images) get no policy: a policy
  governs documents only.

A response that already has a Content-Security-Policy keeps it (an experiment's own route
may set one). docs/configuration.md explains each directive.
"""

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.urls import reverse

from experiments import runtime
from experiments.content_security import (
    Policy,
    frameable_by_others,
    header_value,
    parse_additions,
    participant_policy,
)
from recruitment.recruiters import RecruiterError, from_config

logger = logging.getLogger(__name__)

HEADER = "Content-Security-Policy"

# Django's admin runs with no inline script or style, no eval and no data: images.
DASHBOARD_POLICY: Policy = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

# Swagger UI's script is served from this server (drf-spectacular's split view); its page
# carries one inline style block, and its icons are data: images.
API_DOCS_POLICY: Policy = DASHBOARD_POLICY | {
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:"),
}


def _recruiter_sources(config) -> Policy:
    try:
        return from_config(config, base_url=settings.DALLINGER_BASE_URL).content_security_sources()
    except RecruiterError as error:
        # The same error stops recruitment, where it is reported; pages keep the base policy.
        logger.warning("No recruiter sources in the Content-Security-Policy: %s", error)
        return {}


def participant_page_policy(request) -> Policy:
    """The policy of a participant page answering `request`, for the active experiment."""
    config = runtime.active().config
    return participant_policy(
        host=request.get_host(),  # checked against ALLOWED_HOSTS before any view ran
        recruiter_sources=_recruiter_sources(config),
        experiment_sources=parse_additions(config.get("content_security_policy_extra", "{}")),
    )


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy of its kind of page to every HTML response.

    It works in both of Django's modes, so that under ASGI (daphne) the chain of middleware
    is not broken up by a switch to a thread; the headers are computed without any I/O.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._answer_async(request)
        return add_policy(request, self.get_response(request))

    async def _answer_async(self, request):
        return add_policy(request, await self.get_response(request))


def add_policy(request, response):
    """`response` with the policy (and framing header) of its kind of page, if it is a page."""
    if HEADER in response or not response.get("Content-Type", "").startswith("text/html"):
        return response
    if request.path.startswith(reverse("admin:index")):
        response[HEADER] = header_value(DASHBOARD_POLICY)
    elif request.path == reverse("api-docs"):
        response[HEADER] = header_value(API_DOCS_POLICY)
    else:
        policy = participant_page_policy(request)
        response[HEADER] = header_value(policy)
        if frameable_by_others(policy):
            response.xframe_options_exempt = True
        else:
            response.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response
