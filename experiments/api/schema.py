"""The OpenAPI description of the experiment routes (served by drf-spectacular at /api/schema/).

The views stay small; this module says, for each route, what it takes and what it answers,
from one table.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from experiments.api import infos, lifecycle, mturk_listener, nodes, participants

TEXT, INTEGER, BOOLEAN, JSON = OpenApiTypes.STR, OpenApiTypes.INT, OpenApiTypes.BOOL, OpenApiTypes.OBJECT
PROPERTIES = [(f"property{number}", TEXT, f"Stored in the object's property{number} column.") for number in range(1, 6)]
DETAILS = [("details", JSON, "A JSON object stored in the object's details (a JSON string in a form).")]

ERROR = inline_serializer(
    name="ErrorEnvelope",
    fields={
        "status": serializers.CharField(default="error"),
        "message": serializers.CharField(),
        "html": serializers.CharField(help_text="The rendered error page, for dallinger.error()."),
        "error_code": serializers.CharField(required=False),
    },
)


def _success(name: str, payload: str | None, many: bool = False):
    fields = {"status": serializers.CharField(default="success")}
    if payload:
        value = serializers.JSONField(help_text=f"The {payload} as Dallinger's JSON.")
        fields[payload] = serializers.ListField(child=value) if many else value
    return inline_serializer(name=name, fields=fields)


def _both(view) -> bool:
    """Whether the view answers GET and POST alike (`post = get`)."""
    return getattr(view, "get", None) is not None and getattr(view, "post", None) is not None


def _describe(view, method, summary, parameters=(), payload=None, many=False, refusals=None):
    """Attach the description of one route to its view class (its operation id is the view's name)."""
    responses = {200: _success(f"{view.__name__}{method.title()}Success", payload, many)}
    for status, text in (refusals or {}).items():
        responses[status] = OpenApiResponse(ERROR, description=text)
    described = extend_schema(
        operation_id=view.__name__.removesuffix("API") + (f"_{method}" if _both(view) else ""),
        summary=summary,
        description=view.__doc__,
        parameters=[
            OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=text) for name, kind, text in parameters
        ],
        request=None,
        responses=responses,
    )
    extend_schema_view(**{method: described})(view)


ROUTES = [
    (participants.ParticipantCreateAPI, "post", "Create a participant", [
        ("recruiter", TEXT, "The recruiter's nickname."),
        ("fingerprint_hash", TEXT, "A browser fingerprint."),
    ], "participant", False, {403: "Undefined ids, or a worker who already took part.", 400: "Bad ids or recruiter."}),
    (participants.ParticipantEntryAPI, "post", "Create a participant from entry parameters", [
        ("assignmentId", TEXT, "Or assignment_id, or Prolific's SESSION_ID (required)."),
        ("workerId", TEXT, "Or worker_id, or Prolific's PROLIFIC_PID."),
        ("hitId", TEXT, "Or hit_id, or Prolific's STUDY_ID."),
        ("mode", TEXT, "debug, sandbox or live."),
        ("recruiter", TEXT, "The recruiter's nickname."),
        ("fingerprint_hash", TEXT, "A browser fingerprint."),
    ], "participant", False, {400: "No assignment id.", 403: "Undefined ids, or a repeat worker."}),
    (participants.ParticipantDetailAPI, "get", "Get a participant", [], "participant", False,
     {403: "Unknown participant."}),
    (participants.ParticipantLoadAPI, "post", "Load the participant of an assignment", [
        ("assignment_id", TEXT, "The assignment to resume."),
    ], "participant", False, {403: "assignment_id_missing or participant_not_found."}),
    (nodes.NodeCreateAPI, "post", "Create the participant's node", [*DETAILS, *PROPERTIES], "node", False,
     {403: "Unknown participant, or no network left.", 400: "The participant is not working."}),
    (nodes.NodeNeighborsAPI, "get", "A node's neighbours", [
        ("node_type", TEXT, "A known Node class."),
        ("connection", TEXT, "to (default), from, either or both."),
    ], "nodes", True, {400: "Unknown node or class."}),
    (nodes.NodeVectorsAPI, "get", "A node's vectors", [
        ("direction", TEXT, "all (default), incoming or outgoing."),
        ("failed", TEXT, "false (default), true or all."),
    ], "vectors", True, {400: "Unknown node or bad parameter."}),
    (nodes.NodeConnectAPI, "post", "Connect two nodes", [
        ("direction", TEXT, "to (default), from or both."),
    ], "vectors", True, {400: "Unknown node, or a connection the rules forbid."}),
    (nodes.NodeInfosAPI, "get", "Infos a node made", [("info_type", TEXT, "A known Info class.")], "infos", True,
     {400: "Unknown node or class."}),
    (nodes.NodeReceivedInfosAPI, "get", "Infos a node received", [("info_type", TEXT, "A known Info class.")],
     "infos", True, {400: "Unknown node or class."}),
    (nodes.NodeTransmissionsAPI, "get", "A node's transmissions", [
        ("direction", TEXT, "incoming (default), outgoing or all."),
        ("status", TEXT, "all (default), pending or received."),
    ], "transmissions", True, {400: "Unknown node or bad parameter."}),
    (nodes.NodeTransmitAPI, "post", "Transmit infos from a node", [
        ("what", TEXT, "An info id or a known Info class."),
        ("to_whom", TEXT, "A node id or a known Node class."),
        *DETAILS, *PROPERTIES,
    ], "transmissions", True, {400: "Unknown node, info or class, or no connection."}),
    (nodes.NodeTransformationsAPI, "get", "Transformations at a node", [
        ("transformation_type", TEXT, "A known Transformation class."),
    ], "transformations", True, {400: "Unknown node or class."}),
    (nodes.NetworkDetailAPI, "get", "Get a network", [], "network", False, {403: "Unknown network."}),
    (infos.InfoDetailAPI, "get", "Get an info", [], "info", False,
     {400: "Unknown info or node.", 403: "The node neither made nor received the info."}),
    (infos.InfoCreateAPI, "post", "Create an info", [
        ("contents", TEXT, "The info's contents (required)."),
        ("info_type", TEXT, "A known Info class."),
        ("failed", BOOLEAN, "Create the info failed (allowed on a failed node)."),
        *DETAILS, *PROPERTIES,
    ], "info", False, {400: "Missing contents, unknown class or node.", 403: "The node has failed."}),
    (infos.TrackingEventAPI, "post", "Record a tracking event", DETAILS, "details", False,
     {400: "Unknown node or bad details."}),
    (infos.TransformationCreateAPI, "post", "Record a transformation", [
        ("transformation_type", TEXT, "A known Transformation class."), *DETAILS, *PROPERTIES,
    ], "transformation", False, {400: "Unknown node, info or class, or infos not at that node."}),
    (lifecycle.QuestionCreateAPI, "post", "Answer a question", [
        ("question", TEXT, "The question (or questionnaire) name."),
        ("response", TEXT, "The answer (often a JSON string)."),
        ("number", INTEGER, "The question's number (also accepted as question_id)."),
    ], None, False, {403: "Unknown participant.", 400: "Bad number, or text too long."}),
    (lifecycle.WorkerCompleteAPI, "get", "The participant has finished", [
        ("participant_id", INTEGER, "The participant."),
    ], None, False, {400: "Missing or unknown participant."}),
    (lifecycle.WorkerFailedAPI, "get", "The participant could not take part", [
        ("participant_id", INTEGER, "The participant."),
    ], None, False, {400: "Missing or unknown participant."}),
    (lifecycle.ProlificSubmissionListenerAPI, "post", "The participant submits on Prolific", [
        ("participantId", INTEGER, "The participant (form field)."),
        ("assignmentId", TEXT, "Their assignment, the Prolific submission id (form field)."),
    ], None, False, {400: "Missing or unknown participant, not Prolific's, or another assignment.",
                     403: "This browser did not create the participant."}),
    (lifecycle.NotificationsAPI, "post", "A recruiter event", [
        ("Event.1.EventType", TEXT, "AssignmentAccepted, AssignmentAbandoned, AssignmentReturned, "
         "AssignmentSubmitted or NotificationMissing act; MTurk's other event types and unknown ones "
         "are acknowledged and ignored."),
        ("Event.1.AssignmentId", TEXT, "The assignment concerned."),
        ("participant_id", INTEGER, "The participant concerned, if known."),
    ], None, False, {400: "No event type, or an assignment's event naming no assignment.",
                     403: "Unverified notifications are turned off (accept_unverified_notifications)."}),
    (mturk_listener.MTurkSnsListenerAPI, "post", "An Amazon SNS message with MTurk events (JSON body)", [], None, False,
     {400: "Not an SNS message, or no MTurk events in it.",
      403: "Not signed by SNS (signature, certificate address) or not the experiment's topic.",
      503: "SNS's certificate could not be fetched; SNS delivers the message again."}),
    (lifecycle.SummaryAPI, "get", "Progress summary", [], None, False, {}),
    (lifecycle.ExperimentPropertyAPI, "get", "A public property of the experiment", [], None, False,
     {404: "Not a public property."}),
    (lifecycle.LaunchAPI, "post", "Launch the experiment", [], "recruitment_msg", False,
     {500: "Set-up or recruitment failed."}),
]  # fmt: skip

for view, method, summary, parameters, payload, many, refusals in ROUTES:
    _describe(view, method, summary, parameters, payload, many, refusals)
    if _both(view):
        other = "post" if method == "get" else "get"
        _describe(view, other, summary, parameters, payload, many, refusals)
