"""The base class of every experiment API view."""

from functools import cached_property

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from experiments import runtime
from experiments.api.params import Parameters


class ExperimentAPIView(APIView):
    """Open to participants (no login, no CSRF token), with the request's experiment at hand."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @cached_property
    def experiment(self):
        """The experiment instance for this request (Dallinger builds one per request)."""
        return runtime.experiment()

    @cached_property
    def params(self) -> Parameters:
        """The request's parameters (body first, then query string)."""
        return Parameters(self.request)
