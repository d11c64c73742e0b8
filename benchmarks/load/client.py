"""A small HTTP/1.1 client over `asyncio.open_connection`: keep-alive, Content-Length bodies, form POSTs.

Third-party clients cost more per request than the server under test can afford to give away
on a two-core machine, so the load generator speaks just enough HTTP/1.1 itself.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


class LoopbackOnly(ValueError):
    """The target is not an address on this machine's loopback interface."""


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 this client understands."""


def loopback_target(url: str) -> tuple[str, int]:
    """The (host, port) of `url`, refused unless every address it names is loopback."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise LoopbackOnly(f"{url!r} is not an http:// URL with a host.")
    port = parts.port or 80
    addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
    if not addresses or not all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses):
        raise LoopbackOnly(f"{parts.hostname} is not a loopback address: the load generator only targets this machine.")
    return parts.hostname, port


@dataclass
class Response:
    """A status, the headers (lower-case names) and the body of one answer."""

    status: int
    headers: dict
    body: bytes


class HTTPConnection:
    """One keep-alive connection; reconnects when the server closed it between requests."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.host_header = f"{host}:{port}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connects += 1

    async def request(self, method: str, path: str, form: dict | None = None, cookie: str = "") -> Response:
        """Send one request (a form-encoded body for `form`, a `Cookie` header for `cookie`)
        and read the whole answer."""
        if self.writer is None:
            await self._connect()
        body = urlencode(form).encode() if form else b""
        head = [
            f"{method} {path} HTTP/1.1\r\n".encode(),
            b"Host: ", self.host_header, b"\r\n",
            b"User-Agent: dallinger-load/1\r\nAccept: application/json\r\n",
        ]  # fmt: skip
        if cookie:
            head += [b"Cookie: ", cookie.encode("latin-1"), b"\r\n"]
        if body:
            head.append(b"Content-Type: application/x-www-form-urlencoded\r\n")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: %d\r\n" % len(body))
        head.append(b"\r\n")
        self.writer.write(b"".join(head) + body)
        try:
            return await self._read_response(method)
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError):
            await self.close()
            raise

    async def _read_response(self, method: str) -> Response:
        reader = self.reader
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as error:
            raise ProtocolError("response headers too long") from error
        lines = head[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        if not version.startswith(b"HTTP/1."):
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(rest[:3])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()  # the body ends when the server closes the connection
            headers["connection"] = "close"
        keep_alive = headers.get("connection", "").lower() != "close" and version == b"HTTP/1.1"
        if not keep_alive:
            await self.close()
        return Response(status, headers, body)

    async def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
