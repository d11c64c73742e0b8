"""Frames handed to the experiment: reading Dallinger's id keys and running `receive_message`."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.models import Node, Participant
from core.realtime import CONTROL_CHANNEL, frame
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


def listens_on(experiment, channel: str) -> bool:
    """Whether `experiment` hears frames on `channel`: its own channel and the control channel
    (Dallinger subscribes it to both at launch), when it has a channel and takes messages."""
    return (
        bool(experiment.channel)
        and channel in (experiment.channel, CONTROL_CHANNEL)
        and takes_messages(type(experiment))
    )


def publish_for(experiment, channel: str, data) -> None:
    """Publish `data` on `channel` for the experiment (its `publish_to_subscribers`, or
    `redis_conn.publish`): to the sockets subscribed there once the current transaction
    commits, and, if it listens there, to its own `receive_message` too, as in Dallinger,
    where its subscription hears every publish on the channel, its own included.

    Always through the background task, after the commit (so never a frame that was rolled
    back), `immediate` or not: a `receive_message` that publishes runs again in a task of its
    own, never nested inside the call that published. An experiment that answers each of its
    own frames with another loops without end, in Dallinger as here."""
    from core.realtime import publish  # read when called: tests replace it to see what is published

    publish(channel, data)
    if not listens_on(experiment, channel):
        return
    from core.background import send_after_commit
    from experiments.tasks import websocket_message

    send_after_commit(websocket_message.s(frame(channel, data), now().isoformat()))


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
