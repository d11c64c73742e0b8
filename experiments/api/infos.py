"""Info, tracking-event and transformation routes."""

from rest_framework.request import Request

from core.models import Info, Transformation
from experiments.api.base import ExperimentAPIView
from experiments.api.cross_origin import AnyOriginMixin
from experiments.api.responses import as_json, success
from experiments.services import infos as info_services


class InfoDetailAPI(ExperimentAPIView):
    """GET /info/<node_id>/<info_id>: one info the node made or received."""

    def get(self, request: Request, node_id, info_id):
        info = info_services.info_get_for_node(experiment=self.experiment, node_id=node_id, info_id=info_id)
        return success(info=as_json(info))


class InfoCreateAPI(AnyOriginMixin, ExperimentAPIView):
    """POST /info/<node_id>: a new info made by the node."""

    def post(self, request: Request, node_id):
        info = info_services.info_create(
            experiment=self.experiment,
            caller=self.caller,
            node_id=node_id,
            contents=self.params.text("contents"),
            info_type=self.params.known_class("info_type", self.experiment.known_classes, Info, default=Info),
            failed=self.params.boolean("failed"),
            details=self.params.json("details"),
            properties=self.params.properties(),
        )
        return success(info=as_json(info))


class TrackingEventAPI(AnyOriginMixin, ExperimentAPIView):
    """POST /tracking_event/<node_id>: record a front-end event."""

    def post(self, request: Request, node_id):
        event = info_services.tracking_event_create(
            node_id=node_id, details=self.params.json("details"), caller=self.caller
        )
        return success(details=event.details)


class TransformationCreateAPI(ExperimentAPIView):
    """POST /transformation/<node_id>/<info_in_id>/<info_out_id>: record a transformation."""

    def post(self, request: Request, node_id, info_in_id, info_out_id):
        transformation = info_services.transformation_create(
            experiment=self.experiment,
            caller=self.caller,
            node_id=node_id,
            info_in_id=info_in_id,
            info_out_id=info_out_id,
            transformation_type=self.params.known_class(
                "transformation_type", self.experiment.known_classes, Transformation, default=Transformation
            ),
            details=self.params.json("details"),
            properties=self.params.properties(),
        )
        return success(transformation=as_json(transformation))
