"""An experiment whose own route answers with a Content-Security-Policy of its choosing."""

from django.http import HttpResponse

from experiments.experiment import Experiment, experiment_route

OWN_POLICY = "default-src 'self'; frame-src https://survey.example.org"


class OwnPolicy(Experiment):
    """A page that frames an outside survey, under the policy the experiment wrote for it."""

    @experiment_route("/survey")
    def survey(self, request):
        response = HttpResponse('<iframe src="https://survey.example.org/s/1"></iframe>')
        response["Content-Security-Policy"] = OWN_POLICY
        return response
