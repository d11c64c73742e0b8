"""The folder task queue of a run without Redis: kombu's filesystem transport, read safely.

kombu's writer creates a message file, then locks it and writes it; its reader takes any
file it lists, without the lock. A reader that comes between the two gets an empty
message, which stops the Celery worker ("Unrecoverable error: JSONDecodeError"). This
reader leaves empty files for a later poll and reads the others under a shared lock, so
it sees each message whole whichever process wrote it.
"""

import os
import shutil
import tempfile
import time
from fcntl import LOCK_SH, LOCK_UN, flock
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

#: The longest a worker waits for a message before it checks whether to stop.
MAX_WAIT_SECONDS = 0.5
#: An empty message file older than this was abandoned by its writer and is removed.
ABANDONED_AFTER_SECONDS = 60.0


class Channel(filesystem.Channel):
    """A filesystem channel whose reader never takes a message its writer has not written yet."""

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            path = os.path.join(self.data_folder_in, filename)
            try:
                status = os.stat(path)
            except OSError:
                continue  # another reader took it
            if status.st_size == 0:
                # Its writer has created it but not written it yet (or died doing so).
                if time.time() - status.st_mtime > ABANDONED_AFTER_SECONDS:
                    _remove(path)
                continue
            processed_folder = self.processed_folder if self.store_processed else tempfile.gettempdir()
            try:
                shutil.move(path, processed_folder)
            except OSError:
                continue
            taken = os.path.join(processed_folder, filename)
            try:
                with open(taken, "rb") as message:
                    flock(message.fileno(), LOCK_SH)  # waits while the writer still holds its lock
                    payload = message.read()
                    flock(message.fileno(), LOCK_UN)
                if not self.store_processed:
                    os.remove(taken)
            except OSError as error:
                raise ChannelError(f"Cannot read file {taken!r} from queue.") from error
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    """kombu's filesystem transport with the safe reader.

    Celery's worker polls it in two-second waits and checks for shutdown between them;
    shorter waits let a run's worker stop promptly.
    """

    Channel = Channel

    def drain_events(self, connection, timeout=None):
        if timeout is not None:
            timeout = min(timeout, MAX_WAIT_SECONDS)
        return super().drain_events(connection, timeout=timeout)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
