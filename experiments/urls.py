"""Dallinger's routes, with its paths, methods and JSON."""

from django.urls import path

from experiments import assets, journey, pages
from experiments.api import infos, lifecycle, mturk_listener, nodes, participants, schema  # noqa: F401 (describes the routes)

urlpatterns = [
    path("participant/<str:worker_id>/<str:hit_id>/<str:assignment_id>/<str:mode>", participants.ParticipantCreateAPI.as_view()),
    path("participant/<str:participant_id>", participants.ParticipantDetailAPI.as_view()),
    path("participant", participants.ParticipantEntryAPI.as_view()),
    path("load-participant", participants.ParticipantLoadAPI.as_view()),
    path("node/<str:participant_id>", nodes.NodeCreateAPI.as_view()),
    path("node/<str:node_id>/neighbors", nodes.NodeNeighborsAPI.as_view()),
    path("node/<str:node_id>/vectors", nodes.NodeVectorsAPI.as_view()),
    path("node/<str:node_id>/connect/<str:other_node_id>", nodes.NodeConnectAPI.as_view()),
    path("node/<str:node_id>/infos", nodes.NodeInfosAPI.as_view()),
    path("node/<str:node_id>/received_infos", nodes.NodeReceivedInfosAPI.as_view()),
    path("node/<str:node_id>/transmissions", nodes.NodeTransmissionsAPI.as_view()),
    path("node/<str:node_id>/transmit", nodes.NodeTransmitAPI.as_view()),
    path("node/<str:node_id>/transformations", nodes.NodeTransformationsAPI.as_view()),
    path("network/<str:network_id>", nodes.NetworkDetailAPI.as_view()),
    path("info/<str:node_id>/<str:info_id>", infos.InfoDetailAPI.as_view()),
    path("info/<str:node_id>", infos.InfoCreateAPI.as_view()),
    path("tracking_event/<str:node_id>", infos.TrackingEventAPI.as_view()),
    path("transformation/<str:node_id>/<str:info_in_id>/<str:info_out_id>", infos.TransformationCreateAPI.as_view()),
    path("question/<str:participant_id>", lifecycle.QuestionCreateAPI.as_view()),
    path("worker_complete", lifecycle.WorkerCompleteAPI.as_view()),
    path("worker_failed", lifecycle.WorkerFailedAPI.as_view()),
    path("prolific-submission-listener", lifecycle.ProlificSubmissionListenerAPI.as_view()),
    path("notifications", lifecycle.NotificationsAPI.as_view()),
    path("mturk-sns-listener", mturk_listener.MTurkSnsListenerAPI.as_view()),
    path("summary", lifecycle.SummaryAPI.as_view()),
    path("launch", lifecycle.LaunchAPI.as_view()),
    path("experiment/<str:prop>", lifecycle.ExperimentPropertyAPI.as_view()),
    path("recruiter-exit", pages.recruiter_exit),
    path("ad_address/<str:mode>/<str:hit_id>", pages.ad_address),
    path("error-page", pages.error_page),
    path("handle-error", pages.handle_error),
    path("static/<path:path>", assets.static_file),
    path("favicon.ico", assets.static_file, {"path": "favicon.ico"}),
    path("", journey.index),
    path("ad", journey.ad),
    # The experiment's own routes and pages come last, so they cannot shadow the protocol's.
    path("<path:path>", journey.page_or_experiment_route),
]
