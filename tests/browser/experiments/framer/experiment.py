"""An experiment for the framing tests: a page of its own that frames the address it is given."""

from django.http import HttpResponse
from django.utils.html import escape

from experiments.experiment import Experiment, experiment_route


class Framer(Experiment):
    """Its route `/framer?src=<address>` stands in for a recruiter's site showing a page in a frame."""

    @experiment_route("/framer")
    def framer(self, request):
        source = escape(request.GET.get("src", ""))
        response = HttpResponse(f'<iframe id="framed" src="{source}" width="900" height="600"></iframe>')
        # This page's own policy: it frames pages of another origin, as a recruiter's site does.
        response["Content-Security-Policy"] = "frame-src http:"
        return response
