"""An experiment with a route that always fails, to see how a run reports a server error."""

from experiments.experiment import Experiment, experiment_route

#: What the route raises, and so what the run must report as the error's cause.
FAILURE = "this route always fails"


class BrokenRoute(Experiment):
    """The base experiment, plus `GET /broken`, which answers 500."""

    @experiment_route("/broken")
    def broken(self, request):
        raise RuntimeError(FAILURE)
