"""Infos, tracking events and transformations created through the API."""

from django.db import transaction

from core import pending
from core.infos import TrackingEvent
from core.models import Info, Transformation
from experiments.binding import Caller
from experiments.errors import BadRequest, Refused
from experiments.services.lookups import info_get, node_get, refused_by_the_model


def info_get_for_node(*, experiment, node_id, info_id) -> Info:
    """One info, which the asking node must have made or received (Refused otherwise)."""
    node = node_get(node_id=node_id)
    info = info_get(info_id=info_id, participant=node.participant)
    made_here = info.origin_id == node.pk
    if not made_here and not info.all_transmissions.filter(destination=node, status="received").exists():
        raise Refused(f"Node {node.pk} has neither made nor received info {info.pk}.", participant=node.participant)
    experiment.info_get_request(node=node, infos=info)
    return info


def info_create(
    *, experiment, node_id, contents, caller: Caller, info_type=Info, failed=False, details=None, properties=None
) -> Info:
    """Create an info at a node. A failed node only takes infos created failed."""
    if contents is None:
        raise BadRequest("contents is required to create an info.")
    with transaction.atomic(), pending.saving():
        node = node_get(node_id=node_id, with_participant=True)
        caller.require_for_node(node)
        if node.failed and not failed:
            raise Refused(
                f"Node {node.pk} has failed: only failed infos can be created there.", participant=node.participant
            )
        info = info_type(origin=node, contents=contents, failed=bool(failed))
        if details is not None:
            info.details = details
        for name, value in (properties or {}).items():
            setattr(info, name, value)
        info.save()
        experiment.info_post_request(node=node, info=info)
    return info


def tracking_event_create(*, node_id, details, caller: Caller) -> TrackingEvent:
    """Record a front-end event for a node."""
    if not isinstance(details, dict):
        raise BadRequest("details must be a JSON object describing the event.")
    with transaction.atomic():
        node = node_get(node_id=node_id, with_participant=True)
        caller.require_for_node(node)
        event = TrackingEvent(origin=node, details=details, failed=node.failed)
        event.save()
    return event


def transformation_create(
    *,
    experiment,
    node_id,
    info_in_id,
    info_out_id,
    caller: Caller,
    transformation_type=Transformation,
    details=None,
    properties=None,
) -> Transformation:
    """Record that `info_out` was made from `info_in` at the node."""
    with transaction.atomic(), pending.saving():
        node = node_get(node_id=node_id, with_participant=True)
        caller.require_for_node(node)
        info_in = info_get(info_id=info_in_id, participant=node.participant)
        info_out = info_get(info_id=info_out_id, participant=node.participant)
        if info_out.origin_id != node.pk:
            raise BadRequest(f"Info {info_out.pk} was not made by node {node.pk}.", participant=node.participant)
        transformation = transformation_type(info_in=info_in, info_out=info_out)
        if details is not None:
            transformation.details = details
        for name, value in (properties or {}).items():
            setattr(transformation, name, value)
        with refused_by_the_model(node):
            transformation.save()
        experiment.transformation_post_request(node=node, transformation=transformation)
    return transformation
