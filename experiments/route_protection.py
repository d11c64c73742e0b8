"""Routes only the experimenter may call: the experiment's `protected_routes` (Dallinger's).

A rule names a route as Dallinger's rules do: `/info/<int:node_id>/<int:info_id>`. Each
placeholder stands for one path segment whatever its converter says (`<path:...>` for the
rest of the path): the rule protects the route, not only the values its converter would
take, because this server's routes read every segment as text and check it themselves
(`/info/+1/2` reaches the same view as `/info/1/2`). A request to a protected route gets 403
with a JSON error unless it comes from someone logged in to the dashboard; the dashboard's
own pages are never protected this way (its login must stay reachable).
"""

import functools
import inspect
import re

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import JsonResponse
from django.urls import reverse

from experiments import runtime
from experiments.config import ConfigurationError, get_config
from experiments.experiment import Experiment, configured_rules
from experiments.loader import ExperimentLoadError

PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^<>:]+):)?(?P<name>[^<>]+)>")
MESSAGE = "This route is open only to the experimenter logged in to the dashboard."


def rule_pattern(rule: str) -> re.Pattern:
    """The paths `rule` covers, as a regular expression matched against the whole path."""
    parts, position = [], 0
    for placeholder in PLACEHOLDER.finditer(rule):
        parts.append(re.escape(rule[position : placeholder.start()]))
        parts.append(".+" if placeholder["converter"] == "path" else "[^/]+")
        position = placeholder.end()
    parts.append(re.escape(rule[position:].rstrip("/")))
    # With or without a trailing slash: either spelling may reach the same view.
    return re.compile("".join(parts) + "/?")


def protected_rules(experiment_class, config) -> list[str]:
    """The experiment's rules: a list the class declares, else what its `protected_routes`
    property says (the base one reads the configuration, without building an experiment)."""
    declared = inspect.getattr_static(experiment_class, "protected_routes")
    if declared is inspect.getattr_static(Experiment, "protected_routes"):
        return configured_rules(config)
    if isinstance(declared, property):
        return list(experiment_class().protected_routes)
    return list(declared)


@functools.lru_cache(maxsize=8)
def _patterns(experiment_class, config_version: int) -> tuple[re.Pattern, ...]:
    # The rules change only with the experiment or its configuration, which the key names.
    return tuple(rule_pattern(rule) for rule in protected_rules(experiment_class, get_config()))


def protected_patterns() -> tuple[re.Pattern, ...]:
    """The active experiment's protected routes (none when the experiment cannot be loaded:
    then none of its routes answers either, and the dashboard must stay reachable)."""
    try:
        experiment_class = runtime.active().experiment_class
    except (ExperimentLoadError, ConfigurationError):
        return ()
    return _patterns(experiment_class, get_config().version)


def is_experimenter(user) -> bool:
    """Whether `user` is logged in to the dashboard (the admin site's own test)."""
    return user.is_active and user.is_staff


def is_protected(path: str) -> bool:
    """Whether `path` is one of the experiment's protected routes."""
    patterns = protected_patterns()
    if not patterns or path.startswith(reverse("admin:index")):
        return False
    return any(pattern.fullmatch(path) for pattern in patterns)


class ProtectedRoutesMiddleware:
    """Answers 403 to a request for a protected route from anyone but the experimenter.

    It works in both of Django's modes (as the other middleware do, so that ASGI requests are
    not moved to a thread), and reads the user, which costs a query, only on protected routes.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._answer_async(request)
        if is_protected(request.path_info) and not is_experimenter(request.user):
            return refusal()
        return self.get_response(request)

    async def _answer_async(self, request):
        if is_protected(request.path_info) and not is_experimenter(await request.auser()):
            return refusal()
        return await self.get_response(request)


def refusal() -> JsonResponse:
    """The answer to a participant who calls a protected route."""
    return JsonResponse({"status": "error", "message": MESSAGE, "error_code": "protected_route"}, status=403)
