"""This process's part in telling live socket-holding processes from dead ones: its identity, and
a task that checks it in every `CHECK_IN_SECONDS` while it holds sockets
(experiments/services/liveness.py)."""

import asyncio
import logging
import os
import socket
import uuid

from channels.db import database_sync_to_async

from experiments.services.liveness import CHECK_IN_SECONDS, process_check_in

logger = logging.getLogger(__name__)

_identity: tuple[int, str] | None = None
_task: asyncio.Task | None = None


def process_id() -> str:
    """This process's id: host, pid and a random part (a pid is reused; a forked child gets its own)."""
    global _identity
    if _identity is None or _identity[0] != os.getpid():
        _identity = (os.getpid(), f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}")
    return _identity[1]


def keep_checking_in() -> None:
    """Start this process's check-ins in the running event loop, unless they run already."""
    global _task
    loop = asyncio.get_running_loop()
    if _task is not None and not _task.done() and _task.get_loop() is loop:
        return
    _task = loop.create_task(_check_in_forever(), name="realtime-check-in")


async def _check_in_forever() -> None:
    while True:
        await asyncio.sleep(CHECK_IN_SECONDS)  # the socket's own registration checked in first
        try:
            await database_sync_to_async(process_check_in)(process_id=process_id())
        except Exception:  # the database is down for a moment: the next check-in may succeed
            logger.exception("This process could not check in as alive.")
