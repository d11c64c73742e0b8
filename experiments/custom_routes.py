"""Dispatching requests to the extra routes an experiment declares with `experiment_route`."""

from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt

from experiments import runtime
from experiments.error_page import error_page_html
from experiments.errors import ExperimentError


def matching_routes(experiment_class, path: str) -> list[tuple[str, tuple, dict]]:
    """Every (method name, allowed methods, URL arguments) whose rule matches `path`, in order."""
    found = []
    for rule, methods, name in experiment_class.routes():
        pattern = RoutePattern(rule.lstrip("/"), is_endpoint=True)
        matched = pattern.match(path.lstrip("/"))
        if matched is not None:
            _, args, kwargs = matched
            found.append((name, methods, kwargs))
    return found


def match_route(experiment_class, path: str):
    """The first (method name, allowed methods, URL arguments) whose rule matches `path`, or None."""
    found = matching_routes(experiment_class, path)
    return found[0] if found else None


@csrf_exempt
def dispatch(request, path: str):
    """Call the experiment's route for `path`: 404 if none matches, 405 if none takes the method."""
    found = matching_routes(runtime.active().experiment_class, path)
    if not found:
        raise Http404(f"No route /{path}")
    accepting = [route for route in found if request.method in route[1]]
    if not accepting:
        allowed = sorted({method for _, methods, _ in found for method in methods})
        return HttpResponseNotAllowed(allowed)
    name, _, kwargs = accepting[0]
    try:
        result = getattr(runtime.experiment(), name)(request, **kwargs)
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


def refusal_response(request, refusal: ExperimentError) -> JsonResponse:
    """The error envelope of the protocol's routes for `refusal`, with its status code."""
    body = {
        "status": "error",
        "html": error_page_html(
            request, message=refusal.message, error_type=type(refusal).__name__, participant=refusal.participant
        ),
        "message": refusal.message,
    }
    if refusal.error_code:
        body["error_code"] = refusal.error_code
    return JsonResponse(body, status=refusal.status_code)
