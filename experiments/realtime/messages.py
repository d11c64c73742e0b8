"""Frames handed to the experiment: reading Dallinger's id keys and running `receive_message`."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.models import Node, Participant
from experiments.experiment import Experiment


@dataclass
class Message:
    """A frame for the experiment, parsed as Dallinger parses it in `Experiment.send`."""

    channel_name: str
    message: str
    participant_id: int | None
    node_id: int | None
    immediate: bool


def takes_messages(experiment_class) -> bool:
    """Whether frames mean anything to the experiment class: it overrides `receive_message` or
    `send`. The base ones would queue, for every frame, a task that does nothing."""
    return (
        experiment_class.receive_message is not Experiment.receive_message
        or experiment_class.send is not Experiment.send
    )


def _as_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse(raw_message: str) -> Message:
    """Split `"<channel>:<payload>"`; ids come from `sender`, `participant_id` or
    `client.participant_id`, and `node_id`; a payload that is not a JSON object carries none."""
    channel_name, _, message = raw_message.partition(":")
    try:
        data = json.loads(message)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Message(channel_name, message, None, None, False)
    client = data.get("client") if isinstance(data.get("client"), dict) else {}
    participant_id = _as_id(data.get("sender") or data.get("participant_id") or client.get("participant_id"))
    return Message(channel_name, message, participant_id, _as_id(data.get("node_id")), bool(data.get("immediate")))


def deliver(experiment, parsed: Message, receive_time: datetime) -> None:
    """Run the experiment's `receive_message` with the participant and node (None for unknown
    ids, and for a node that is not the named participant's), in one transaction that commits when
    it returns."""
    with transaction.atomic():
        participant = Participant.objects.filter(pk=parsed.participant_id).first() if parsed.participant_id else None
        node = Node.objects.filter(pk=parsed.node_id).first() if parsed.node_id else None
        if node is not None and (participant is None or node.participant_id != participant.pk):
            node = None  # a frame may name only its own participant's nodes
        experiment.receive_message(
            parsed.message,
            channel_name=parsed.channel_name,
            participant=participant,
            node=node,
            receive_time=receive_time,
        )


def now() -> datetime:
    """The time a frame is taken as received."""
    return timezone.now()
