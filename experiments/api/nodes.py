"""Node routes: create a participant's node, and a node's neighbours, vectors, infos,
transmissions and transformations."""

from rest_framework.request import Request

from core.models import Info, Node, Transformation
from experiments.api.base import ExperimentAPIView
from experiments.api.responses import as_json, success
from experiments.errors import BadRequest
from experiments.services import nodes as node_services
from experiments.services.lookups import network_get

NEIGHBOR_CONNECTIONS = ("to", "from", "either", "both")
VECTOR_DIRECTIONS = ("all", "incoming", "outgoing")
CONNECT_DIRECTIONS = ("to", "from", "both")
TRANSMISSION_STATUSES = ("all", "pending", "received")


class NodeCreateAPI(ExperimentAPIView):
    """POST /node/<participant_id>: the participant's node in the network chosen for them."""

    def post(self, request: Request, participant_id):
        node = node_services.node_create_for_participant(
            experiment=self.experiment,
            caller=self.caller,
            participant_id=participant_id,
            details=self.params.json("details"),
            properties=self.params.properties(),
        )
        return success(node=as_json(node))


class NodeNeighborsAPI(ExperimentAPIView):
    """GET /node/<node_id>/neighbors: nodes linked to this one."""

    def get(self, request: Request, node_id):
        if self.params.raw("failed") is not None:
            raise BadRequest("neighbors only follows vectors that have not failed: do not pass failed.")
        node_type = self.params.known_class("node_type", self.experiment.known_classes, Node, default=Node)
        connection = self.params.choice("connection", NEIGHBOR_CONNECTIONS, default="to")
        _, nodes = node_services.node_neighbors(
            experiment=self.experiment, node_id=node_id, node_type=node_type, connection=connection
        )
        return success(nodes=as_json(nodes))


class NodeVectorsAPI(ExperimentAPIView):
    """GET /node/<node_id>/vectors: the node's vectors."""

    def get(self, request: Request, node_id):
        vectors = node_services.node_vectors(
            experiment=self.experiment,
            node_id=node_id,
            direction=self.params.choice("direction", VECTOR_DIRECTIONS, default="all"),
            failed=self.params.failed(),
        )
        return success(vectors=as_json(vectors))


class NodeConnectAPI(ExperimentAPIView):
    """POST /node/<node_id>/connect/<other_node_id>: new vectors between two nodes."""

    def post(self, request: Request, node_id, other_node_id):
        vectors = node_services.node_connect(
            experiment=self.experiment,
            caller=self.caller,
            node_id=node_id,
            other_node_id=other_node_id,
            direction=self.params.choice("direction", CONNECT_DIRECTIONS, default="to"),
        )
        return success(vectors=as_json(vectors))


class NodeInfosAPI(ExperimentAPIView):
    """GET /node/<node_id>/infos: infos the node made."""

    def get(self, request: Request, node_id):
        info_type = self.params.known_class("info_type", self.experiment.known_classes, Info, default=Info)
        infos = node_services.node_infos(experiment=self.experiment, node_id=node_id, info_type=info_type)
        return success(infos=as_json(infos))


class NodeReceivedInfosAPI(ExperimentAPIView):
    """GET /node/<node_id>/received_infos: infos the node received."""

    def get(self, request: Request, node_id):
        info_type = self.params.known_class("info_type", self.experiment.known_classes, Info, default=Info)
        infos = node_services.node_received_infos(experiment=self.experiment, node_id=node_id, info_type=info_type)
        return success(infos=as_json(infos))


class NodeTransmissionsAPI(ExperimentAPIView):
    """GET /node/<node_id>/transmissions: the node's transmissions (pending incoming ones are received)."""

    def get(self, request: Request, node_id):
        transmissions = node_services.node_transmissions(
            experiment=self.experiment,
            caller=self.caller,
            node_id=node_id,
            direction=self.params.choice("direction", VECTOR_DIRECTIONS, default="incoming"),
            status=self.params.choice("status", TRANSMISSION_STATUSES, default="all"),
        )
        return success(transmissions=as_json(transmissions))


class NodeTransmitAPI(ExperimentAPIView):
    """POST /node/<node_id>/transmit: send infos to connected nodes."""

    def post(self, request: Request, node_id):
        known = self.experiment.known_classes
        transmissions = node_services.node_transmit(
            experiment=self.experiment,
            caller=self.caller,
            node_id=node_id,
            what=self.params.id_or_class("what", known, Info),
            to_whom=self.params.id_or_class("to_whom", known, Node),
            details=self.params.json("details"),
            properties=self.params.properties(),
        )
        return success(transmissions=as_json(transmissions))


class NodeTransformationsAPI(ExperimentAPIView):
    """GET /node/<node_id>/transformations: transformations at the node."""

    def get(self, request: Request, node_id):
        transformation_type = self.params.known_class(
            "transformation_type", self.experiment.known_classes, Transformation, default=Transformation
        )
        transformations = node_services.node_transformations(
            experiment=self.experiment, node_id=node_id, transformation_type=transformation_type
        )
        return success(transformations=as_json(transformations))


class NetworkDetailAPI(ExperimentAPIView):
    """GET /network/<network_id>: one network."""

    def get(self, request: Request, network_id):
        return success(network=as_json(network_get(network_id=network_id)))
