"""A test experiment that protects a route of its own, as Dallinger experiments do: by
overriding `protected_routes` with a list on the class."""

from experiments.experiment import Experiment, experiment_route


class ProtectedScores(Experiment):
    """`/scores/<node_id>` is for the experimenter; `/scores-public` for anyone."""

    protected_routes = ["/scores/<int:node_id>"]

    @experiment_route("/scores/<int:node_id>")
    def scores(self, request, node_id):
        return {"node_id": node_id, "score": 42}

    @experiment_route("/scores-public")
    def public_scores(self, request):
        return {"score": 42}
