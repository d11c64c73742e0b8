"""`dallinger.experiment`: the Experiment base class, and `experiment_route` for routes written for Flask."""

from experiments.compat.flask import check_rule, unsupported_options
from experiments.experiment import Experiment
from experiments.experiment import experiment_route as _project_route

__all__ = ["Experiment", "experiment_route"]


def experiment_route(rule: str, methods=("GET",), **options):
    """Dallinger's decorator: the method (a classmethod, staticmethod or plain function) serves
    `rule` and is called, as Flask calls it, with the URL arguments only; it reads `flask.request`
    and returns what a Flask view returns."""
    unsupported_options(options, f"experiment_route({rule!r})")
    check_rule(rule)
    mark = _project_route(rule, methods=methods)

    def flask_style(function):
        getattr(function, "__func__", function).flask_style = True
        return mark(function)

    return flask_style
