"""The web server's log as a run follows it: the server errors (5xx answers) it records.

Two kinds of line tell of a server error: the one-line cause the project logs for each 5xx
answer (dallinger_project.server_errors), and the web server's access line with a 5xx
status, which also covers answers the project never saw (daphne's own errors).
"""

import re
from pathlib import Path

from dallinger_project.server_errors import MARKER

#: daphne's access log: `127.0.0.1:50000 - - [date] "POST /node/3" 500 123`.
ACCESS_LINE = re.compile(r'\] "(?P<request>[A-Z]+ \S+)" (?P<status>\d{3}) ')


class ServerLog:
    """Reads a web server's log as it grows and collects its server errors."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._partial = b""
        #: The one-line causes read so far ("server error on POST /node/3: ...").
        self.causes: list[str] = []
        #: How many answers the access log shows with a 5xx status.
        self.answered_5xx = 0

    def read(self) -> list[str]:
        """Read what the server wrote since the last call; the new causes, in order."""
        try:
            with open(self.path, "rb") as log:
                log.seek(self._offset)
                data = log.read()
        except OSError:
            return []
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        new = []
        for raw in lines:
            line = raw.decode("utf-8", errors="replace")
            position = line.find(MARKER)
            if position >= 0:
                new.append(line[position:].strip())
                continue
            access = ACCESS_LINE.search(line)
            if access and access["status"].startswith("5"):
                self.answered_5xx += 1
        self.causes.extend(new)
        return new

    @property
    def had_server_errors(self) -> bool:
        """Whether the server answered any request with a 5xx status."""
        return bool(self.causes) or self.answered_5xx > 0

    @property
    def errors_without_cause(self) -> int:
        """5xx answers for which no cause line was logged."""
        return max(self.answered_5xx - len(self.causes), 0)
