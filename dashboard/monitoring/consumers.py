"""The Monitoring page's socket: tells a logged-in staff member's page when the record changed.

The socket carries no data, only `{"type": "changed"}`; the page then fetches its data endpoint
(which checks the login again), with its own filters and pages. While a page is open the
consumer reads the record's change marker (dashboard/monitoring/live.py, one query) every
`check_seconds`, so a change made by any process reaches the page within that time, on the
embedded default as on Redis; the first reading is sent at once, as the page's snapshot cue.
"""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from dashboard.monitoring.live import change_marker

logger = logging.getLogger(__name__)

#: Where the page opens its socket (routed in dallinger_project/routing.py).
LIVE_PATH = "/dashboard/live"
#: Close code for a socket without a staff login (the page then falls back to reloading its data slowly).
NOT_STAFF = 4403
CHANGED = json.dumps({"type": "changed"})


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
        self.watcher = asyncio.ensure_future(self._watch())

    async def _watch(self):
        last = None
        while True:
            try:
                marker = await database_sync_to_async(change_marker)()
            except Exception:  # the database is away for a moment: try again at the next tick
                logger.warning("Could not read the record's change marker.", exc_info=True)
            else:
                if marker != last:
                    last = marker
                    await self.send(text_data=CHANGED)
            await asyncio.sleep(self.check_seconds)

    async def disconnect(self, code):
        if self.watcher is not None:
            self.watcher.cancel()
            self.watcher = None
