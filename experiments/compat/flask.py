"""The few Flask names Dallinger experiments' custom routes use, over Django's request and response.

`request` (the current route's request), `Response`, `jsonify`, `abort` and `Blueprint` (a module's
`extra_routes`). Routes written for Flask take only their URL arguments and read `flask.request`;
`experiments.custom_routes` calls them that way and turns what they return into a response with
`as_response`. Installed as `flask` only where Flask itself is not installed.
"""

import contextlib
import contextvars
import json
from http import HTTPStatus

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

_current_request = contextvars.ContextVar("flask_request", default=None)


class _Values:
    """Read-only form or query values with Flask's `get(key, default, type)`."""

    def __init__(self, *query_dicts):
        self._sources = query_dicts

    def get(self, key, default=None, type=None):
        """The first value of `key`, converted by `type` (`default` when absent or not convertible)."""
        for source in self._sources:
            if key in source:
                value = source.get(key)
                if type is None:
                    return value
                try:
                    return type(value)
                except (TypeError, ValueError):
                    return default
        return default

    def getlist(self, key) -> list:
        """Every value of `key`."""
        return [value for source in self._sources for value in source.getlist(key)]

    def __getitem__(self, key):
        for source in self._sources:
            if key in source:
                return source[key]
        raise KeyError(key)

    def __contains__(self, key) -> bool:
        return any(key in source for source in self._sources)

    def __iter__(self):
        return iter(self.keys())

    def keys(self) -> list:
        return list(dict.fromkeys(key for source in self._sources for key in source))

    def items(self) -> list:
        return [(key, self[key]) for key in self.keys()]

    def to_dict(self) -> dict:
        return dict(self.items())


class Request:
    """Flask's request attributes that experiments read, over a Django request."""

    def __init__(self, django_request):
        self._request = django_request

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def args(self) -> _Values:
        return _Values(self._request.GET)

    @property
    def form(self) -> _Values:
        return _Values(self._request.POST)

    @property
    def values(self) -> _Values:
        return _Values(self._request.GET, self._request.POST)

    @property
    def data(self) -> bytes:
        return self._request.body

    @property
    def json(self):
        """The body parsed as JSON when it is sent as JSON, else None."""
        return self.get_json(silent=True)

    def get_json(self, force=False, silent=False):
        """The body parsed as JSON (any content type with `force`); None, or ValueError unless `silent`."""
        if not force and not self._request.content_type.endswith("json"):
            if silent:
                return None
            raise ValueError("The request body is not JSON (Content-Type is not application/json).")
        try:
            return json.loads(self._request.body or b"null")
        except ValueError:
            if silent:
                return None
            raise

    @property
    def headers(self):
        return self._request.headers

    @property
    def cookies(self) -> dict:
        return self._request.COOKIES

    @property
    def path(self) -> str:
        return self._request.path

    @property
    def url(self) -> str:
        return self._request.build_absolute_uri()

    @property
    def remote_addr(self) -> str:
        return self._request.META.get("REMOTE_ADDR", "")


class _RequestProxy:
    """`flask.request`: the request of the experiment route running now."""

    def __getattr__(self, name):
        current = _current_request.get()
        if current is None:
            raise RuntimeError("flask.request is only available while an experiment route answers a request.")
        if name.startswith("_") or not hasattr(Request, name):
            names = ", ".join(sorted(n for n in vars(Request) if not n.startswith("_")))
            raise AttributeError(f"request.{name} is not supported here; request has: {names}.")
        return getattr(current, name)


request = _RequestProxy()


@contextlib.contextmanager
def answering(django_request):
    """Make `request` the given Django request while a Flask-style route runs."""
    token = _current_request.set(Request(django_request))
    try:
        yield
    finally:
        _current_request.reset(token)


class Response(HttpResponse):
    """Flask's `Response(response, status, headers, mimetype, content_type)`."""

    def __init__(self, response=None, status=None, headers=None, mimetype=None, content_type=None):
        if content_type is None:
            mimetype = mimetype or "text/html"
            content_type = f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype
        super().__init__(response if response is not None else b"", status=status or 200, content_type=content_type)
        for name, value in dict(headers or {}).items():
            self[name] = value


def jsonify(*args, **kwargs) -> Response:
    """A JSON response: of keyword arguments as an object, of one argument as itself, of several as a list."""
    if args and kwargs:
        raise TypeError("jsonify() takes positional or keyword arguments, not both.")
    data = kwargs if kwargs else (args[0] if len(args) == 1 else list(args))
    return Response(json.dumps(data, cls=DjangoJSONEncoder), mimetype="application/json")


class Abort(Exception):
    """Raised by `abort`; the route's answer becomes this status."""

    def __init__(self, status: int, description: str | None = None):
        super().__init__(status, description)
        self.status = status
        self.description = description


def abort(status: int, description: str | None = None):
    """Stop the route and answer `status`."""
    raise Abort(status, description)


class Blueprint:
    """A module's `extra_routes = Blueprint(...)`: routes of plain functions, Flask-style."""

    def __init__(self, name, import_name=None, **options):
        self.name = name
        #: (rule, methods, function), in the order they were declared.
        self.routes: list[tuple[str, tuple, object]] = []

    def route(self, rule: str, methods=("GET",), **options):
        """Declare the decorated function as the view of `rule`."""

        def register(function):
            self.add_url_rule(rule, view_func=function, methods=methods, **options)
            return function

        return register

    def add_url_rule(self, rule: str, endpoint=None, view_func=None, methods=("GET",), **options) -> None:
        """Declare `view_func` as the view of `rule`."""
        unsupported_options(options, f"Blueprint.route({rule!r})")
        check_rule(rule)
        self.routes.append((rule, tuple(method.upper() for method in (methods or ("GET",))), view_func))


def unsupported_options(options: dict, where: str) -> None:
    """TypeError naming route options other than `methods` (which Flask has and this does not)."""
    if options:
        raise TypeError(f"{where}: only `methods` is supported here, not {', '.join(sorted(options))}.")


def check_rule(rule: str) -> None:
    """Fail at import for a rule Django's path converters cannot read (Flask's `float` has no twin)."""
    from django.urls.resolvers import RoutePattern

    RoutePattern(rule.lstrip("/"), is_endpoint=True).regex


def as_response(result) -> HttpResponse:
    """What a Flask view may return, as Flask turns it into a response."""
    if isinstance(result, HttpResponse):
        return result
    status, headers = None, None
    if isinstance(result, tuple):
        result, *rest = result
        for item in rest:
            if isinstance(item, int):
                status = item
            else:
                headers = item
    if isinstance(result, (dict, list)):
        response = jsonify(result)
    elif isinstance(result, (str, bytes)):
        response = Response(result)
    elif isinstance(result, HttpResponse):
        response = result
    else:
        raise TypeError(
            f"An experiment route returned {type(result).__name__}: return a response, a string, a dict or a list."
        )
    if status is not None:
        response.status_code = status
    for name, value in dict(headers or {}).items():
        response[name] = value
    return response


def aborted(error: Abort) -> HttpResponse:
    """The answer of a route that called `abort`."""
    try:
        reason = HTTPStatus(error.status).phrase
    except ValueError:
        reason = "Error"
    return Response(error.description or reason, status=error.status, mimetype="text/plain")


def current_django_request():
    """The Django request of the route running now, or None."""
    current = _current_request.get()
    return None if current is None else current._request
