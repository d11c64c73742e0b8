"""The `/chat` websocket (Dallinger's route): subscribe, relay frames, raise control events."""

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from core.realtime import CONTROL_CHANNEL, QUORUM_CHANNEL, frame, group_send
from experiments import runtime
from experiments.realtime import liveness, quorum, services
from experiments.services.presence import presence_beat, presence_connect, presence_leave, presence_resume

logger = logging.getLogger(__name__)


class ChatConsumer(AsyncWebsocketConsumer):
    """One client socket: its channels, its participant, and the frames it sends and receives."""

    connection = None

    async def connect(self):
        try:
            connection = services.parse_connection(self.scope.get("query_string", b""))
            await database_sync_to_async(services.authorize)(connection, self.scope.get("cookies", {}))
        except services.Refused as refused:
            # Accepted, then closed: a close before the handshake reaches the browser as a
            # bare HTTP 403, without the code that says why.
            await self.accept()
            await self._refuse(refused)
            return
        self.connection = connection
        # Subscribed before the handshake completes: a frame the client sends as soon as the
        # socket opens must already echo back to it (Dallinger lost those).
        for group in services.layer_groups(connection):
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        for channel in connection.channels:
            await self._control(services.subscribed_event(channel, connection))
        await self._control(services.connected_event(connection))
        if QUORUM_CHANNEL in connection.channels:
            # The state now, for this socket: a waiter whose socket opened after the last
            # change would otherwise wait for a frame that never comes.
            state = await database_sync_to_async(quorum.current_state)()
            if state is not None:
                await self.send(text_data=frame(QUORUM_CHANNEL, state))
        if connection.participant_id is not None:
            # The participant's snapshot (node, group's recent infos, experiment state), for
            # this socket only: what a reloaded page needs to continue where it was. The socket
            # is recorded as this process's, which keeps checking in while it lives.
            liveness.keep_checking_in()
            frames = await database_sync_to_async(_with_experiment)(
                presence_connect,
                participant_id=connection.participant_id,
                channel_names=list(connection.channels),
                socket_key=self.channel_name,
                process_id=liveness.process_id(),
            )
            for text in frames:
                await self.send(text_data=text)

    async def receive(self, text_data=None, bytes_data=None):
        if self.connection is None:
            return
        try:
            channel, payload = services.parse_frame(text_data, self.connection)
        except services.FrameError as error:
            if text_data is not None and self._heartbeat(text_data):
                participant_id = self.connection.participant_id
                if participant_id is not None and not await database_sync_to_async(presence_beat)(
                    participant_id=participant_id
                ):
                    # Declared gone, and heard from again: back in the game, unless a bot
                    # took their place meanwhile (then this socket is sent to the end).
                    refusal = await database_sync_to_async(_resume)(participant_id, self.channel_name)
                    if refusal is not None:
                        await self._refuse(refusal)
                return
            await self.send(text_data=services.error_frame(error.error_code, error.message))
            return
        await group_send(channel, f"{channel}:{payload}")
        if services.experiment_takes_messages():  # else not even a hop to the database thread
            await database_sync_to_async(services.dispatch_to_experiment)(channel, payload)

    async def _refuse(self, refused: services.Refused):
        """Tell the client why with an error frame, then close with the refusal's code."""
        await self.send(text_data=services.error_frame(refused.error_code, refused.message, **refused.details))
        await self.close(code=refused.code)

    def _heartbeat(self, text: str) -> bool:
        channel, _, payload = text.partition(":")
        return services.is_heartbeat(channel, payload)

    async def disconnect(self, code):
        connection = self.connection
        if connection is None:
            return
        self.connection = None
        for group in services.layer_groups(connection):
            await self.channel_layer.group_discard(group, self.channel_name)
        for channel in connection.channels:
            await self._control(services.unsubscribed_event(channel, connection))
        await self._control(services.disconnected_event(connection, code))
        if connection.participant_id is not None:
            # The dropout, if any, is declared later by the periodic sweep.
            await database_sync_to_async(presence_leave)(
                participant_id=connection.participant_id, socket_key=self.channel_name
            )

    async def dispatch(self, message):
        # A frame for this socket only goes out: Channels would first tidy up the database
        # connections of this process (a hop to its one thread for synchronous code), which
        # cost most of a delivery's time under load (benchmarks/results/realtime.md).
        if message["type"] == "chat.frame":
            await self.chat_frame(message)
            return
        await super().dispatch(message)

    async def chat_frame(self, event):
        """A frame for one of this socket's channels, from any process."""
        await self.send(text_data=event["text"])

    async def _control(self, event: dict):
        """Publish a control event and hand it to the experiment."""
        payload = json.dumps(event)
        await group_send(CONTROL_CHANNEL, frame(CONTROL_CHANNEL, payload))
        if services.experiment_takes_messages():
            await database_sync_to_async(services.dispatch_to_experiment)(CONTROL_CHANNEL, payload)


def _with_experiment(service, **arguments):
    """Call `service` with the running experiment, built in the database thread (building it
    reads the database)."""
    return service(experiment=runtime.experiment(), **arguments)


def _resume(participant_id: int, socket_key: str) -> "services.Refused | None":
    """Take back a participant declared gone who is heard from again on socket `socket_key`;
    the refusal to close their socket with instead, when a bot replaced them meanwhile."""
    refusal = services.replaced_refusal_of(participant_id)
    if refusal is None:
        presence_resume(
            experiment=runtime.experiment(),
            participant_id=participant_id,
            socket_key=socket_key,
            process_id=liveness.process_id(),
        )
    return refusal
