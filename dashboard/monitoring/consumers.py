"""The dashboard's socket: tells a logged-in staff member's page when the record changed, or
when the platform logged something.

The socket carries no data, only `{"type": "changed"}` (the record) and `{"type": "logged"}`
(the log); the page then fetches its data endpoint (which checks the login again), with its own
filters and pages. While a page is open the consumer reads, every `check_seconds`, whether its
login still holds (closing with NOT_STAFF once it was logged out or lost staff status), the
record's change marker (dashboard/monitoring/live.py, one lookup) and the log's stamp
(dashboard/logger/records.py), so a change made by any process reaches the page within that
time, on the embedded default as on Redis; the first readings are sent at once, as the page's
snapshot cue.
"""

import asyncio
import json
import logging
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from dashboard.logger.records import log_stamp
from dashboard.monitoring.live import change_marker
from dashboard.monitoring.login import staff_login_holds

logger = logging.getLogger(__name__)

#: Where the page opens its socket (routed in dallinger_project/routing.py).
LIVE_PATH = "/dashboard/live"
#: Close code for a socket without a staff login (the page then falls back to reloading its data slowly).
NOT_STAFF = 4403
CHANGED = json.dumps({"type": "changed"})
LOGGED = json.dumps({"type": "logged"})


class MonitoringConsumer(AsyncWebsocketConsumer):
    """One open Monitoring page."""

    #: Seconds between two readings of the change marker.
    check_seconds = 1.5
    watcher = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not (user.is_active and user.is_staff):
            # Accepted, then closed: a refusal before the handshake reaches the browser as a
            # bare HTTP 403, without the code that says why.
            await self.accept()
            await self.close(code=NOT_STAFF)
            return
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        # Only the Logger tab asks to hear of log records (`?log=1`).
        self.wants_log = query.get("log") == ["1"]
        self.watcher = asyncio.ensure_future(self._watch())

    async def _watch(self):
        session = self.scope.get("session")
        session_key, user_pk = getattr(session, "session_key", None), self.scope["user"].pk
        last = last_logged = None
        while True:
            try:
                login_holds = await database_sync_to_async(staff_login_holds)(session_key=session_key, user_pk=user_pk)
                marker = await database_sync_to_async(change_marker)()
            except Exception:  # the database is away for a moment: try again at the next tick
                logger.warning("Could not read the record's change marker.", exc_info=True)
            else:
                if not login_holds:
                    await self.close(code=NOT_STAFF)
                    return
                if marker != last:
                    last = marker
                    await self.send(text_data=CHANGED)
            # Redis (or this process), not the database: no database connection is needed.
            stamp = await sync_to_async(log_stamp, thread_sensitive=False)() if self.wants_log else None
            if self.wants_log and stamp is not None and stamp != last_logged:
                last_logged = stamp
                await self.send(text_data=LOGGED)
            await asyncio.sleep(self.check_seconds)

    async def disconnect(self, code):
        if self.watcher is not None:
            self.watcher.cancel()
            self.watcher = None
