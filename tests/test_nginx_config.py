"""The nginx configuration the production layout writes (deploy/layout.py)."""

import re
import resource

from deploy.layout import LayoutOptions, proxy_spec


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
