"""The nginx configuration the production layout writes (deploy/layout.py)."""

import http.client
import re
import resource
import socket
import struct
import subprocess
import threading

import pytest

from deploy.layout import (
    Layout,
    LayoutOptions,
    free_port,
    nginx_temp_folder,
    nginx_user,
    proxy_spec,
    web_specs,
)
from tests.polling import poll_until


def test_nginx_holds_two_connections_for_each_of_thousands_of_websockets(tmp_path):
    # Given the layout's nginx configuration on a machine that allows 20,000 open files
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(20000, hard), hard))
    try:
        proxy_spec(LayoutOptions(port=8000), tmp_path / "state", tmp_path / "temp", None)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    config = (tmp_path / "state" / "nginx.conf").read_text()
    # Then its worker may hold 2,500 proxied websockets: each is two connections (the
    # browser's and daphne's); 4096 refused sockets beyond about 2,000
    connections = int(re.search(r"worker_connections (\d+);", config).group(1))
    assert connections >= 2 * 2500
    # and no more than the open-file limit lets it open
    assert connections <= min(20000, hard)


def upstream(config: str, name: str) -> str:
    return re.search(r"upstream " + name + r" \{(.*?)\}", config, re.S).group(1)


def test_nginx_spreads_websockets_over_every_websocket_process_by_the_sockets_they_hold(tmp_path):
    # Given a layout with three websocket processes behind nginx
    options = LayoutOptions(port=8000, websocket_processes=3)
    proxy_spec(options, tmp_path / "state", tmp_path / "temp", None)
    config = (tmp_path / "state" / "nginx.conf").read_text()
    websockets = upstream(config, "dallinger_websocket")

    # Then nginx's websocket upstream lists each process's own port
    servers = re.findall(r"^\s*server (\S+);", websockets, re.M)
    assert servers == [f"127.0.0.1:{port}" for port in options.websocket_ports]
    assert len(set(servers)) == 3
    # and gives each new socket to the process holding the fewest
    assert re.search(r"^\s*least_conn;", websockets, re.M)
    # while HTTP still goes to the web server alone
    http = set(re.findall(r"server (\S+) max_fails=0;", upstream(config, "dallinger_http")))
    assert http == {f"127.0.0.1:{options.http_port}"}
    # and each process listens on its port
    specs, sockets = web_specs(options)
    assert sockets == []
    websocket_specs = [spec for spec in specs if spec.name.startswith("websockets")]
    assert [spec.argv[spec.argv.index("--port") + 1] for spec in websocket_specs] == [
        str(port) for port in options.websocket_ports
    ]


def test_without_nginx_the_websocket_processes_share_one_port():
    port = free_port()
    options = LayoutOptions(port=free_port(), proxy=False, websocket_processes=2, websocket_port=port)
    specs, sockets = web_specs(options)
    try:
        websocket_specs = [spec for spec in specs if spec.name.startswith("websockets")]
        assert len(websocket_specs) == 2
        assert len(sockets) == 1 and sockets[0].getsockname()[1] == port
        assert all(spec.pass_fds == (sockets[0].fileno(),) for spec in websocket_specs)
    finally:
        for sock in sockets:
            sock.close()


def test_several_websocket_processes_without_redis_are_refused(tmp_path):
    with pytest.raises(RuntimeError, match="Several websocket processes need REDIS_URL"):
        Layout(LayoutOptions(port=8000, websocket_processes=2), {"REDIS_URL": ""}, tmp_path)


def test_an_unknown_websocket_server_is_refused():
    with pytest.raises(ValueError, match="Unknown websocket server 'tornado'"):
        LayoutOptions(websocket_server="tornado")


class FailingWebServer:
    """A stand-in for the web server behind nginx: resets the first `resets` connections it
    accepts, as a web server worker process does when it dies holding them, then answers 200.
    Counts the connections, and the requests that reached it whole."""

    def __init__(self, port: int, resets: int):
        self.resets, self.connections, self.requests = resets, 0, []
        self.listener = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client:
                self.connections += 1
                request = client.recv(65536)
                if self.connections <= self.resets:
                    # SO_LINGER with a zero timeout: close() sends a reset, as a killed process's sockets do.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue
                self.requests.append(request.split(b" ", 2)[:2])
                client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy_to_failing_server(tmp_path):
    """The layout's nginx, started on its own, in front of a `FailingWebServer`; a function
    that starts one with a number of resets and returns it with nginx's port."""
    started = []

    def start(resets: int):
        options = LayoutOptions(port=free_port())
        server = FailingWebServer(options.http_port, resets)
        user = nginx_user()
        spec = proxy_spec(options, tmp_path / f"state{len(started)}", nginx_temp_folder(user), user)
        nginx = subprocess.Popen(spec.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append((nginx, server))
        poll_until(lambda: _accepts(options.port), "nginx to listen", timeout=30)
        return server, options.port

    yield start
    for nginx, server in started:
        nginx.terminate()
        nginx.wait(30)
        server.close()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _ask(port: int, method: str) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request(method, "/slow", body="" if method == "POST" else None)
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def test_nginx_sends_a_get_again_after_two_failed_tries(proxy_to_failing_server):
    # Given a web server whose first two connections die with the request on them
    server, port = proxy_to_failing_server(resets=2)

    # When a participant's browser sends a GET through nginx
    status = _ask(port, "GET")

    # Then nginx tried it a third time and the browser got the answer
    assert status == 200
    assert server.connections == 3
    assert server.requests == [[b"GET", b"/slow"]]


def test_nginx_never_sends_a_post_twice(proxy_to_failing_server):
    # Given a web server whose first connection dies with the request on it
    server, port = proxy_to_failing_server(resets=1)

    # When a POST fails so, it is answered 502, not sent again: it may have done its work
    assert _ask(port, "POST") == 502
    assert server.connections == 1
    assert server.requests == []
