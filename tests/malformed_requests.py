"""The table of every route in experiments/urls.py, and the malformed requests made from it.

Each Route lists its methods and its path and request parameters with their kind; each kind
knows a valid value and bad values with the outcome they must get: REFUSE (a 4xx), EITHER (a
success or a 4xx, where the input is in fact acceptable) or NOT_ALLOWED (405). `cases_for`
turns a route into Cases: unknown ids, wrong types, missing required parameters, overlong
strings, unreadable bodies, unknown class names, bad booleans and wrong methods.
"""

import itertools
from dataclasses import dataclass, field

REFUSE = "a 4xx"
EITHER = "a success or a 4xx"
NOT_ALLOWED = "405"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HUGE = 99999999999999999999

_fresh_numbers = itertools.count(1)


# The kinds of parameter, each with a valid value and the bad values to try -------------------


@dataclass(frozen=True)
class World:
    """A value taken from the test's world (`world["participant_id"]`)."""

    key: str

    def resolve(self, world: dict):
        return world[self.key]


@dataclass(frozen=True)
class Fresh:
    """A new unique text each time (worker and assignment ids)."""

    prefix: str

    def resolve(self, world: dict):
        return f"{self.prefix}{next(_fresh_numbers)}"


def resolve(value, world: dict):
    """`value`, or what it stands for when it is a World or Fresh value."""
    return value.resolve(world) if isinstance(value, (World, Fresh)) else value


@dataclass(frozen=True)
class Kind:
    """A kind of parameter: a valid value and (bad value, expected outcome) pairs.

    Values that are not strings can only be sent in a JSON body.
    """

    valid: object
    bad: tuple = ()


def text(max_length: int | None = None, valid="hello") -> Kind:
    """Free text, optionally with a length limit."""
    bad = [
        (123, EITHER),
        (1.5, EITHER),
        (True, EITHER),
        ([], REFUSE),
        (["a", "b"], REFUSE),
        ({}, REFUSE),
        ({"a": 1}, REFUSE),
        ("", EITHER),
        ("\x00", EITHER),
        ("<script>alert(1)</script>", EITHER),
    ]
    if max_length is None:
        bad.append(("x" * 200_000, EITHER))
    else:
        bad += [("x" * (max_length + 1), REFUSE), ("x" * 200_000, REFUSE)]
    return Kind(valid, tuple(bad))


BAD_ID_VALUES = (
    ("0", REFUSE),
    ("-1", REFUSE),
    (str(HUGE), REFUSE),
    ("abc", REFUSE),
    ("\x00", REFUSE),
    ("%00", REFUSE),
    ("1.5", REFUSE),
    ("", REFUSE),
    ("x" * 5000, REFUSE),
    (0, REFUSE),
    (-1, REFUSE),
    (HUGE, REFUSE),
    (1.5, REFUSE),
    (1e400, REFUSE),
    ([], REFUSE),
    ({}, REFUSE),
    (None, REFUSE),
)


def participant_reference(valid, outcome=REFUSE) -> Kind:
    """A `participant_id` parameter (unknown ids refused, unless `outcome` says otherwise)."""
    return Kind(valid, tuple((value, outcome if not isinstance(value, (list, dict)) else REFUSE) for value, _ in BAD_ID_VALUES))


def integer() -> Kind:
    """A whole number."""
    return Kind(
        "1",
        (
            ("abc", REFUSE),
            ("1.5", REFUSE),
            ("1e3", REFUSE),
            (str(HUGE), REFUSE),
            (str(2**31), REFUSE),
            ("", REFUSE),
            ("\x00", REFUSE),
            (HUGE, REFUSE),
            (True, REFUSE),
            ([], REFUSE),
            ({}, REFUSE),
            (1.5, EITHER),
            (7, EITHER),
        ),
    )


JSON_OBJECT = Kind(
    '{"answer": 42}',
    (
        ("not json", REFUSE),
        ("{", REFUSE),
        ("[1, 2]", REFUSE),
        ("123", REFUSE),
        ('"text"', REFUSE),
        ("null", REFUSE),
        ("", REFUSE),
        ("\x00", REFUSE),
        ('{"nested": "' + "x" * 200_000 + '"}', EITHER),
        (123, REFUSE),
        (1.5, REFUSE),
        (True, REFUSE),
        ([1, 2], REFUSE),
        ({"answer": 42}, EITHER),
    ),
)

BOOLEAN = Kind(
    "true",
    (
        ("maybe", REFUSE),
        ("yes", REFUSE),
        ("2", REFUSE),
        ("TRUE", REFUSE),
        ("", REFUSE),
        ("\x00", REFUSE),
        (2, REFUSE),
        ([], REFUSE),
        ({}, REFUSE),
        (True, EITHER),
        ("False", EITHER),
    ),
)

FAILED_FILTER = Kind("all", BOOLEAN.bad)


def known_class(valid: str, wrong_base: str) -> Kind:
    """A class name the experiment must know, of the right base class."""
    return Kind(
        valid,
        (
            ("NoSuchClass", REFUSE),
            ("Participant", REFUSE),
            ("Network", REFUSE),
            ("__class__", REFUSE),
            ("core.models.Info", REFUSE),
            ("info", REFUSE),
            (wrong_base, REFUSE),
            ("\x00", REFUSE),
            ("x" * 10_000, REFUSE),
            (1, REFUSE),
            ([], REFUSE),
            ({}, REFUSE),
            ("", EITHER),
        ),
    )


def choice(*choices: str) -> Kind:
    """One of a few words."""
    return Kind(
        choices[0],
        (
            ("sideways", REFUSE),
            ("", REFUSE),
            (choices[0].upper(), REFUSE),
            ("\x00", REFUSE),
            ("x" * 10_000, REFUSE),
            (1, REFUSE),
            ([], REFUSE),
            ([choices[0]], REFUSE),
            ({}, REFUSE),
        ),
    )


def id_or_class(wrong_base: str) -> Kind:
    """`what`/`to_whom`: an id or a known class name."""
    return Kind(
        None,
        (
            ("0", REFUSE),
            ("-1", REFUSE),
            (str(HUGE), REFUSE),
            ("²", REFUSE),
            ("abc", REFUSE),
            ("NoSuchClass", REFUSE),
            (wrong_base, REFUSE),
            ("1.5", REFUSE),
            ("\x00", REFUSE),
            (0, REFUSE),
            (-1, REFUSE),
            (HUGE, REFUSE),
            (1.5, REFUSE),
            ([], REFUSE),
            ({}, REFUSE),
        ),
    )


RECRUITER = Kind(
    "hotair",
    (("nosuchrecruiter", EITHER), ("x" * 51, REFUSE), ("\x00", REFUSE), ([], REFUSE), ({}, REFUSE), ("", EITHER)),
)
FORBIDDEN = Kind(None, (("true", REFUSE), ("false", REFUSE), ("all", REFUSE), ("", REFUSE)))
EVENT_TYPE = Kind(
    "AssignmentAccepted",
    # An unknown event type is acknowledged and ignored, as Dallinger does.
    (("NoSuchEvent", EITHER), ("", REFUSE), ("\x00", EITHER), ("x" * 10_000, EITHER), ([], REFUSE), ({}, REFUSE)),
)
DEEP_JSON = '{"a": ' * 5000 + "1" + "}" * 5000
ANYTHING = Kind(
    "anything",
    tuple(
        (value, EITHER)
        for value in ("", "\x00", "x" * 200_000, '{"a": "\\u0000"}', DEEP_JSON, 1, [1, 2], {"a": {"b": None}}, "💥")
    ),
)
PROPERTIES = {f"property{number}": text(100_000) for number in range(1, 6)}


# Path parameters -------------------------------------------------------------------------

BAD_PATH_VALUES = ("0", "-1", str(HUGE), "abc", "\x00", "%00", "1.5", "undefined", "x" * 3000, "..")


@dataclass(frozen=True)
class PathKind:
    """A path parameter: its valid value and the outcome for each bad value."""

    valid: object
    outcomes: dict = field(default_factory=dict)
    default: str = REFUSE
    converter_keeps_slashes: bool = False
    extra_bad: tuple = ()

    def cases(self):
        for value in BAD_PATH_VALUES + self.extra_bad:
            yield value, self.outcomes.get(value, self.default)


def path_id(key: str) -> PathKind:
    """An id in the path: every bad value is refused."""
    return PathKind(World(key))


def path_text(valid, max_length: int | None = None) -> PathKind:
    """Text in the path (worker and assignment ids): `undefined` and overlong values are refused."""
    outcomes = {"undefined": REFUSE}
    if max_length is not None:
        outcomes["x" * 3000] = REFUSE
    return PathKind(valid, outcomes, default=EITHER)


# Routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern of experiments/urls.py and what it takes."""

    pattern: str
    methods: tuple
    path: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    required: tuple = ()
    api: bool = True
    #: False for pages that answer any method (Django views without a method restriction).
    methods_enforced: bool = True

    def __str__(self):
        return self.pattern or "(index)"


ROUTES = [
    Route(
        "participant/<str:worker_id>/<str:hit_id>/<str:assignment_id>/<str:mode>",
        ("POST",),
        path={
            "worker_id": path_text(Fresh("worker"), 50),
            "hit_id": path_text("hit1", 50),
            "assignment_id": path_text(Fresh("assignment"), 50),
            "mode": PathKind("debug", {"x" * 3000: REFUSE}, default=EITHER),  # only the ids may not be `undefined`
        },
        params={"recruiter": RECRUITER, "fingerprint_hash": text(50)},
    ),
    Route("participant/<str:participant_id>", ("GET",), path={"participant_id": path_id("participant_id")}),
    Route(
        "participant",
        ("POST",),
        params={
            "workerId": text(50, valid=Fresh("worker")),
            "hitId": text(50, valid="hit1"),
            "assignmentId": text(50, valid=Fresh("assignment")),
            "mode": text(50, valid="debug"),
            "recruiter": RECRUITER,
            "fingerprint_hash": text(50),
            "extra_entry_information": ANYTHING,
        },
        required=("workerId", "hitId", "assignmentId"),
    ),
    Route(
        "load-participant",
        ("POST",),
        params={"assignment_id": text(valid=World("assignment_id"))},
        required=("assignment_id",),
    ),
    Route(
        "node/<str:participant_id>",
        ("POST",),
        path={"participant_id": path_id("participant_id")},
        params={"details": JSON_OBJECT, **PROPERTIES},
    ),
    Route(
        "node/<str:node_id>/neighbors",
        ("GET",),
        path={"node_id": path_id("node_id")},
        params={
            "node_type": known_class("Agent", "Info"),
            "connection": choice("to", "from", "either", "both"),
            "failed": FORBIDDEN,
        },
    ),
    Route(
        "node/<str:node_id>/vectors",
        ("GET",),
        path={"node_id": path_id("node_id")},
        params={"direction": choice("all", "incoming", "outgoing"), "failed": FAILED_FILTER},
    ),
    Route(
        "node/<str:node_id>/connect/<str:other_node_id>",
        ("POST",),
        path={"node_id": path_id("node_id"), "other_node_id": path_id("other_node_id")},
        params={"direction": choice("to", "from", "both")},
    ),
    Route(
        "node/<str:node_id>/infos",
        ("GET",),
        path={"node_id": path_id("node_id")},
        params={"info_type": known_class("Info", "Agent")},
    ),
    Route(
        "node/<str:node_id>/received_infos",
        ("GET",),
        path={"node_id": path_id("node_id")},
        params={"info_type": known_class("Info", "Agent")},
    ),
    Route(
        "node/<str:node_id>/transmissions",
        ("GET",),
        path={"node_id": path_id("node_id")},
        params={"direction": choice("incoming", "outgoing", "all"), "status": choice("all", "pending", "received")},
    ),
    Route(
        "node/<str:node_id>/transmit",
        ("POST",),
        path={"node_id": path_id("node_id")},
        params={
            "what": id_or_class("Agent"),
            "to_whom": id_or_class("Info"),
            "details": JSON_OBJECT,
            **PROPERTIES,
        },
    ),
    Route(
        "node/<str:node_id>/transformations",
        ("GET",),
        path={"node_id": path_id("node_id")},
        params={"transformation_type": known_class("Transformation", "Info")},
    ),
    Route("network/<str:network_id>", ("GET",), path={"network_id": path_id("network_id")}),
    Route(
        "info/<str:node_id>/<str:info_id>",
        ("GET",),
        path={"node_id": path_id("node_id"), "info_id": path_id("info_id")},
    ),
    Route(
        "info/<str:node_id>",
        ("POST",),
        path={"node_id": path_id("node_id")},
        params={
            "contents": text(),
            "info_type": known_class("Info", "Agent"),
            "failed": BOOLEAN,
            "details": JSON_OBJECT,
            **PROPERTIES,
        },
        required=("contents",),
    ),
    Route(
        "tracking_event/<str:node_id>",
        ("POST",),
        path={"node_id": path_id("node_id")},
        params={"details": JSON_OBJECT},
        required=("details",),
    ),
    Route(
        "transformation/<str:node_id>/<str:info_in_id>/<str:info_out_id>",
        ("POST",),
        path={
            "node_id": path_id("node_id"),
            "info_in_id": path_id("received_info_id"),
            "info_out_id": path_id("info_id"),
        },
        params={
            "transformation_type": known_class("Transformation", "Info"),
            "details": JSON_OBJECT,
            **PROPERTIES,
        },
    ),
    Route(
        "question/<str:participant_id>",
        ("POST",),
        path={"participant_id": path_id("participant_id")},
        params={"question": text(1000), "response": text(1000), "number": integer()},
        required=("question", "response", "number"),
    ),
    Route(
        "worker_complete",
        ("GET", "POST"),
        params={"participant_id": participant_reference(World("spare_participant_id"))},
        required=("participant_id",),
    ),
    Route(
        "prolific-submission-listener",
        ("POST",),
        params={"participantId": participant_reference(World("spare_participant_id"))},
        required=("participantId",),
    ),
    Route(
        "worker_failed",
        ("GET",),
        params={"participant_id": participant_reference(World("spare_participant_id"))},
        required=("participant_id",),
    ),
    Route(
        "notifications",
        ("GET", "POST"),
        params={
            "Event.1.EventType": EVENT_TYPE,
            "Event.1.AssignmentId": text(10_000, valid=World("spare_assignment_id")),
            # An event about someone unknown is stored and ignored in the background.
            "participant_id": participant_reference(World("spare_participant_id"), outcome=EITHER),
        },
        required=("Event.1.EventType",),
    ),
    # Its body is an SNS message, signed: anything else is refused (recruitment/tests/test_mturk_sns.py).
    Route("mturk-sns-listener", ("GET", "POST")),
    Route("summary", ("GET",)),
    Route("launch", ("POST",)),
    Route("experiment/<str:prop>", ("GET",), path={"prop": PathKind("no_such_property")}),
    Route(
        "recruiter-exit",
        ("GET",),
        params={"participant_id": participant_reference(World("spare_participant_id"))},
        required=("participant_id",),
        api=False,
    ),
    Route(
        "ad_address/<str:mode>/<str:hit_id>",
        ("GET",),
        path={"mode": PathKind("debug", default=EITHER), "hit_id": PathKind("hit1", default=EITHER)},
        api=False,
    ),
    Route(
        "error-page",
        ("GET", "POST"),
        params={
            "participant_id": participant_reference(World("spare_participant_id"), outcome=EITHER),
            "request_data": ANYTHING,
        },
        api=False,
    ),
    Route(
        "handle-error",
        ("POST",),
        params={
            "participant_id": participant_reference(World("spare_participant_id"), outcome=EITHER),
            "error_feedback": ANYTHING,
            "error_type": ANYTHING,
            "error_text": ANYTHING,
            "request_data": ANYTHING,
        },
        api=False,
    ),
    Route(
        "static/<path:path>",
        ("GET",),
        path={
            "path": PathKind(
                "scripts/dallinger2.js",
                converter_keeps_slashes=True,
                extra_bad=("../../dallinger_project/settings.py", "scripts/../../../etc/passwd", "nope.js", "scripts/"),
            )
        },
        api=False,
    ),
    Route("", ("GET",), api=False),
    Route("favicon.ico", ("GET",), api=False),
    Route(
        "ad",
        ("GET",),
        params={
            "hitId": text(valid="hit1"),
            "assignmentId": text(valid=Fresh("assignment")),
            "workerId": text(valid=Fresh("worker")),
            "mode": ANYTHING,
            "recruiter": ANYTHING,
        },
        required=("hitId", "assignmentId"),
        api=False,
    ),
    Route(
        "<path:path>",
        ("GET",),
        path={
            "path": PathKind(
                "consent",
                outcomes={"undefined": EITHER},  # a page name like any other
                converter_keeps_slashes=True,
                extra_bad=("consent.html", "a/b/c", "../consent", "%2e%2e/consent"),
            )
        },
        api=False,
    ),
]


# Cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One request to send, and what its answer must be."""

    route: Route
    method: str
    description: str
    expected: str
    path_values: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    encoding: str = "query"  # query, form, multipart, json or raw
    body: bytes | str | None = None
    content_type: str | None = None

    def __str__(self):
        return f"{self.method} /{self.route} {self.description} [{self.encoding}]"


def encodings_for(route: Route, method: str, value) -> list[str]:
    """The ways `value` can be sent to this route with this method."""
    if not isinstance(value, str):
        return ["json"] if route.api else []
    if not route.api:
        return ["query"] if method == "GET" else ["form", "multipart"]
    if method == "GET":
        return ["query", "json"]
    return ["query", "form", "multipart", "json"]


def required_values(route: Route, leave_out=()) -> dict:
    """Valid values of the route's required parameters (but those left out)."""
    return {name: route.params[name].valid for name in route.required if name not in leave_out}


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:30]}...({len(shown)} chars)"


def cases_for(route: Route) -> list[Case]:
    """Every malformed request the table describes for `route`."""
    cases = []
    for method in route.methods:
        # Unknown ids and bad text in the path
        for name, kind in route.path.items():
            for value, expected in kind.cases():
                cases.append(
                    Case(route, method, f"{name}={_short(value)}", expected, {name: value}, required_values(route))
                )
        # Wrong types, overlong values, unknown classes, bad booleans, in every encoding
        for name, kind in route.params.items():
            for value, expected in kind.bad:
                for encoding in encodings_for(route, method, value):
                    params = {**required_values(route), name: value}
                    cases.append(Case(route, method, f"{name}={_short(value)}", expected, {}, params, encoding))
        # Missing required parameters
        for name in route.required:
            params = required_values(route, leave_out=(name,))
            for encoding in encodings_for(route, method, "text"):
                cases.append(Case(route, method, f"without {name}", REFUSE, {}, params, encoding))
        # Unreadable bodies (the required parameters in the query string)
        if route.api:
            for content_type, body, unreadable in BAD_BODIES:
                expected = REFUSE if unreadable and route.params else EITHER
                cases.append(
                    Case(
                        route,
                        method,
                        f"body {_short(body)} as {content_type}",
                        expected,
                        {},
                        required_values(route),
                        "raw",
                        body,
                        content_type,
                    )
                )
        elif method == "POST":
            for content_type, body, _ in BAD_BODIES:
                cases.append(
                    Case(route, method, f"body {_short(body)} as {content_type}", EITHER, {}, {}, "raw", body, content_type)
                )
    # Wrong methods
    for method in METHODS:
        if method not in route.methods:
            expected = NOT_ALLOWED if route.methods_enforced else EITHER
            cases.append(Case(route, method, "wrong method", expected, {}, required_values(route)))
    return cases


#: (content type, body, whether a route that reads parameters must refuse it)
BAD_BODIES = (
    ("application/json", "{not json", True),
    ("application/json", "[1, 2]", True),
    ("application/json", '"text"', True),
    ("application/json", "42", True),
    ("application/json", "true", True),
    ("application/json", b"\xff\xfe{}", True),
    ("application/json", DEEP_JSON, True),
    ("application/json", "null", False),
    ("multipart/form-data; boundary=BoUnDaRy", b"garbage without a boundary", False),
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data\r\n\r\n", True),
    ("text/plain", "contents=hello", False),  # ignored, as Dallinger does: the query string counts
    ("application/x-www-form-urlencoded", b"%ZZ=%G1&&=&a=%00&\xff=\xfe", False),
)
