"""Dispatching requests to the extra routes an experiment declares.

Routes are declared with `experiment_route` on the Experiment class, or (Dallinger's `extra_routes`)
on a Flask-style `Blueprint` in experiment.py. A route declared with the project's
`experiments.experiment.experiment_route` is called as `method(request, **url_arguments)`; one
declared with `dallinger.experiment.experiment_route` or on a blueprint is called as Flask calls
it, with the URL arguments only, reading `flask.request` (experiments.compat.flask).
"""

import sys

from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt

from core import pending
from experiments import runtime
from experiments.api.responses import error_body
from experiments.compat import flask
from experiments.errors import ExperimentError


def _declared_routes(experiment_class) -> list[tuple[str, tuple, object]]:
    """(rule, methods, method name or blueprint function): the class's routes, then its module's `extra_routes`."""
    routes = list(experiment_class.routes())
    blueprint = getattr(sys.modules.get(experiment_class.__module__), "extra_routes", None)
    if isinstance(blueprint, flask.Blueprint):
        routes.extend(blueprint.routes)
    return routes


def matching_routes(experiment_class, path: str) -> list[tuple[object, tuple, dict]]:
    """Every (method name or blueprint function, allowed methods, URL arguments) whose rule matches `path`, in order."""
    found = []
    for rule, methods, target in _declared_routes(experiment_class):
        pattern = RoutePattern(rule.lstrip("/"), is_endpoint=True)
        matched = pattern.match(path.lstrip("/"))
        if matched is not None:
            _, args, kwargs = matched
            found.append((target, methods, kwargs))
    return found


def match_route(experiment_class, path: str):
    """The first (method name or blueprint function, allowed methods, URL arguments) whose rule matches `path`, or None."""
    found = matching_routes(experiment_class, path)
    return found[0] if found else None


def _flask_style(experiment_class, name: str) -> bool:
    """Whether the route of method `name` was declared Flask-style (`dallinger.experiment.experiment_route`)."""
    for klass in experiment_class.__mro__:
        member = vars(klass).get(name)
        function = getattr(member, "__func__", member)
        if getattr(function, "experiment_route", None) is not None:
            return getattr(function, "flask_style", False)
    return False


@csrf_exempt
def dispatch(request, path: str):
    """Call the experiment's route for `path`: 404 if none matches, 405 if none takes the method."""
    experiment_class = runtime.active().experiment_class
    found = matching_routes(experiment_class, path)
    if not found:
        raise Http404(f"No route /{path}")
    accepting = [route for route in found if request.method in route[1]]
    if not accepting:
        allowed = sorted({method for _, methods, _ in found for method in methods})
        return HttpResponseNotAllowed(allowed)
    target, _, kwargs = accepting[0]
    try:
        # What the route made or changed is saved as Dallinger's commit would.
        with pending.saving():
            if callable(target):
                return _call_flask_style(request, target, kwargs)
            if _flask_style(experiment_class, target):
                # As Flask calls them: looked up on the class, so a plain function gets no instance.
                return _call_flask_style(request, getattr(experiment_class, target), kwargs)
            result = getattr(runtime.experiment(), target)(request, **kwargs)
    except ExperimentError as refusal:
        # A route may refuse with the services' own errors (a caller who does not hold the
        # participant, say): they answer the protocol routes' JSON envelope, not a server error.
        return refusal_response(request, refusal)
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, str):
        # Dallinger's (Flask) routes may return a string of HTML.
        return HttpResponse(result)
    return JsonResponse({"status": "success", **(result or {})})


def _call_flask_style(request, view, kwargs) -> HttpResponse:
    with flask.answering(request):
        try:
            return flask.as_response(view(**kwargs))
        except flask.Abort as error:
            return flask.aborted(error)


def refusal_response(request, refusal: ExperimentError) -> JsonResponse:
    """The error envelope of the protocol's routes for `refusal`, with its status code."""
    body = error_body(
        request,
        message=refusal.message,
        error_code=refusal.error_code,
        participant=refusal.participant,
        error_type=type(refusal).__name__,
    )
    return JsonResponse(body, status=refusal.status_code)
