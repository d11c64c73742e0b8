"""Dispatching requests to the extra routes an experiment declares with `experiment_route`."""

from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt

from experiments import runtime


def match_route(experiment_class, path: str):
    """The (method name, allowed methods, URL arguments) of the route matching `path`, or None."""
    for rule, methods, name in experiment_class.routes():
        pattern = RoutePattern(rule.lstrip("/"), is_endpoint=True)
        matched = pattern.match(path.lstrip("/"))
        if matched is not None:
            _, args, kwargs = matched
            return name, methods, kwargs
    return None


@csrf_exempt
def dispatch(request, path: str):
    """Call the experiment's route for `path`; 404 if it declares none."""
    found = match_route(runtime.active().experiment_class, path)
    if found is None:
        raise Http404(f"No route /{path}")
    name, methods, kwargs = found
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    result = getattr(runtime.experiment(), name)(request, **kwargs)
    if isinstance(result, HttpResponse):
        return result
    return JsonResponse({"status": "success", **(result or {})})
