"""Reading request parameters the way Dallinger's routes do.

Parameters come from the form or JSON body, then the query string. `details` may be a JSON
string inside a form. Booleans are `True`/`False`/`true`/`false`. Class names resolve only
through the experiment's `known_classes`.
"""

import json

from django.http import QueryDict
from rest_framework.exceptions import UnsupportedMediaType

from core.validation import unstorable
from experiments.errors import BadRequest

TRUE_WORDS = ("true", "True", "1")
FALSE_WORDS = ("false", "False", "0")
PROPERTY_NAMES = ("property1", "property2", "property3", "property4", "property5")
MAX_PROPERTY_LENGTH = 100_000


class Parameters:
    """Typed access to a request's parameters; every bad value raises BadRequest naming it."""

    def __init__(self, request):
        self._sources = []
        try:
            data = request.data
        except UnsupportedMediaType:
            # A body that is neither a form nor JSON (`text/plain` from fetch or sendBeacon):
            # Dallinger's routes ignore it and read the query string, and so do these.
            data = None
        except RecursionError:
            # JSON nested deeper than the parser can follow is not a server fault.
            raise BadRequest("The request body is nested too deeply to read.") from None
        if isinstance(data, QueryDict):
            self._sources.append(data)
        elif isinstance(data, dict):
            self._sources.append(data)
        elif data not in (None, "", b""):
            raise BadRequest("The request body must be a form or a JSON object.")
        self._sources.append(request.query_params)

    def names(self) -> list[str]:
        """Every parameter name given, body first, each once; BadRequest if one could not be stored."""
        names = list(dict.fromkeys(name for source in self._sources for name in source.keys()))
        return [_storable("A parameter name", name) for name in names]

    def raw(self, name: str):
        """The first value given for `name`, or None; BadRequest if it could not be stored."""
        for source in self._sources:
            if name in source:
                return _storable(name, source.get(name))
        return None

    def text(self, name: str, *, required: bool = False, default=None, max_length: int | None = None):
        """A string parameter."""
        value = self.raw(name)
        if value is None:
            if required:
                raise BadRequest(f"{name} is required.")
            return default
        if isinstance(value, (dict, list)):
            raise BadRequest(f"{name} must be text, not {type(value).__name__}.")
        value = str(value)
        if max_length is not None and len(value) > max_length:
            raise BadRequest(f"{name} is longer than {max_length} characters.")
        return value

    def integer(self, name: str, *, required: bool = False, default=None):
        """A whole-number parameter."""
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise BadRequest(f"{name} is required.")
            return default
        if isinstance(value, bool):
            raise BadRequest(f"{name} {value} cannot be cast to int.")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise BadRequest(f"{name} {value} cannot be cast to int.") from None
        if not -(2**31) <= number < 2**31:
            raise BadRequest(f"{name} {value} is out of range.")
        return number

    def boolean(self, name: str, *, default=False):
        """A True/False parameter."""
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        raise BadRequest(f"{name} {value} cannot be cast to bool.")

    def choice(self, name: str, choices, *, default):
        """A parameter that must be one of `choices`."""
        value = self.raw(name)
        if value is None:
            return default
        if value not in choices:
            raise BadRequest(f"{name} must be one of {', '.join(map(str, choices))}, not {value!r}.")
        return value

    def failed(self, name: str = "failed", *, default=False):
        """A `failed` filter: True, False or "all"."""
        value = self.raw(name)
        if value is None:
            return default
        if value in ("all", "All"):
            return "all"
        return self.boolean(name)

    def json(self, name: str):
        """A JSON object parameter (`details`), given as an object or as a JSON string."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise BadRequest(f"{name} is not valid JSON.") from None
            except RecursionError:
                raise BadRequest(f"{name} is nested too deeply to read.") from None
        if not isinstance(value, dict):
            raise BadRequest(f"{name} must be a JSON object.")
        return _storable(name, value)

    def known_class(self, name: str, known_classes: dict, base, *, default=None):
        """A class named by the front end, which must be in `known_classes` and a subclass of `base`."""
        value = self.raw(name)
        if value is None or value == "":
            return default
        cls = known_classes.get(value) if isinstance(value, str) else None
        if cls is None:
            raise BadRequest(f"{name} {value} is not in the experiment's known_classes.")
        if not issubclass(cls, base):
            raise BadRequest(f"{name} {value} is not a kind of {base.__name__}.")
        return cls

    def id_or_class(self, name: str, known_classes: dict, base):
        """`what`/`to_whom`: None, an integer id, or a known class name."""
        value = self.raw(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return self.integer(name)
        return self.known_class(name, known_classes, base)

    def properties(self) -> dict:
        """The `property1`..`property5` values given."""
        found = {}
        for name in PROPERTY_NAMES:
            value = self.text(name, max_length=MAX_PROPERTY_LENGTH)
            if value is not None:
                found[name] = value
        return found


def _storable(name: str, value):
    """`value`, or BadRequest naming the parameter if the record could not store it."""
    problem = unstorable(value)
    if problem:
        raise BadRequest(f"{name} {problem}.")
    return value
