"""The base class of every experiment API view."""

from django.utils.functional import cached_property
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from experiments import runtime
from experiments.api.params import Parameters
from experiments.api.renderers import RENDERERS
from experiments.binding import Caller


class JSONUnlessAskedForHTML(DefaultContentNegotiation):
    """JSON, the first renderer, at once for the requests of front ends and bots; DRF's full
    negotiation only when a browser asks for HTML (the browsable API) or a `format` is named."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wants_html = "html" in request.META.get("HTTP_ACCEPT", "")
        if wants_html or format_suffix or api_settings.URL_FORMAT_OVERRIDE in request.query_params:
            return super().select_renderer(request, renderers, format_suffix)
        return renderers[0], renderers[0].media_type


class ExperimentAPIView(APIView):
    """Open to participants (no login, no CSRF token), with the request's experiment at hand."""

    authentication_classes = []
    permission_classes = [AllowAny]
    content_negotiation_class = JSONUnlessAskedForHTML
    renderer_classes = RENDERERS

    # Django's cached_property, not functools': on Python 3.11 the latter holds one lock for
    # every view instance while it computes, so a process's request threads would queue here
    # behind each other's database lookups.
    @cached_property
    def experiment(self):
        """The experiment instance for this request (Dallinger builds one per request)."""
        return runtime.experiment()

    @cached_property
    def caller(self) -> Caller:
        """The participants this request's browser or bot may act for (see experiments/binding.py)."""
        return Caller.of_request(self.request, self.experiment.config)

    @cached_property
    def params(self) -> Parameters:
        """The request's parameters (body first, then query string)."""
        return Parameters(self.request)
