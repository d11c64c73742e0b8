"""The nginx configuration the production layout writes (deploy/layout.py)."""

import re
import resource

import pytest

from deploy.layout import Layout, LayoutOptions, free_port, proxy_spec, web_specs


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
    # while HTTP still goes to gunicorn alone
    http = re.findall(r"server (\S+) max_fails=0;", upstream(config, "dallinger_http"))
    assert http == [f"127.0.0.1:{options.http_port}"] * 2
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
