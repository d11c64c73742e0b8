"""What the Monitoring page asks its data endpoint for: filters and pages, read from the query
string, with a clear error for anything it cannot use."""

from dataclasses import dataclass, field

from experiments.monitoring import flag

#: Networks shown per page of networks, unless the page asks for another number (up to the maximum).
NETWORKS_PER_PAGE = 10
MAX_NETWORKS_PER_PAGE = 50
#: Nodes shown per network: a network with more shows a page of them and its totals.
NODES_PER_PAGE = 200
MAX_NODES_PER_PAGE = 1000
#: Networks whose infos may be loaded at once.
MAX_INFO_NETWORKS = 10

#: Every query argument the endpoint knows; Dallinger's names where it has them.
KNOWN = ("network_roles", "network_ids", "collapsed", "transformations", "page", "per_page", "node_page",
         "nodes_per_page", "infos")  # fmt: skip


class BadQuery(ValueError):
    """A query argument the endpoint cannot use; its message says which and why."""


@dataclass(frozen=True)
class MonitoringQuery:
    """The graph and statistics one Monitoring page shows."""

    network_roles: tuple[str, ...] = ()
    network_ids: tuple[int, ...] = ()
    collapsed: bool = False
    transformations: bool = False
    page: int = 1
    per_page: int = NETWORKS_PER_PAGE
    node_pages: dict[int, int] = field(default_factory=dict)
    nodes_per_page: int = NODES_PER_PAGE
    infos: tuple[int, ...] = ()

    def node_page(self, network_id: int) -> int:
        """Which page of its nodes network `network_id` shows (the first unless asked)."""
        return self.node_pages.get(network_id, 1)

    def hook_arguments(self) -> dict:
        """The query as Dallinger's dashboard passed it to the experiment's hooks: each argument
        it knew, when given, as a list of strings."""
        arguments = {}
        if self.network_roles:
            arguments["network_roles"] = list(self.network_roles)
        if self.network_ids:
            arguments["network_ids"] = [str(pk) for pk in self.network_ids]
        if self.collapsed:
            arguments["collapsed"] = ["true"]
        if self.transformations:
            arguments["transformations"] = ["true"]
        return arguments


def _whole(name: str, text: str, *, low: int = 1, high: int | None = None) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise BadQuery(f"{name} must be a whole number, not {text[:40]!r}.")
    value = int(text)
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise BadQuery(f"{name} must be {limit}, not {value}.")
    return value


def _single(arguments, name: str) -> str | None:
    values = arguments.getlist(name)
    if len(values) > 1:
        raise BadQuery(f"{name} may be given once.")
    return values[0] if values else None


def parse_query(arguments) -> MonitoringQuery:
    """The MonitoringQuery of a request's query string (a QueryDict). Raises BadQuery."""
    unknown = sorted(set(arguments) - set(KNOWN))
    if unknown:
        raise BadQuery(f"Unknown argument {unknown[0]!r}; the known ones are: {', '.join(KNOWN)}.")
    values = {}
    roles = tuple(role.strip() for role in arguments.getlist("network_roles") if role.strip())
    if any(len(role) > 26 for role in roles):
        raise BadQuery("A network role has at most 26 characters.")
    values["network_roles"] = roles
    values["network_ids"] = tuple(_whole("network_ids", text) for text in arguments.getlist("network_ids"))
    for name in ("collapsed", "transformations"):
        given = _single(arguments, name)
        if given is not None:
            values[name] = flag(given)
    for name, high in (("page", None), ("per_page", MAX_NETWORKS_PER_PAGE), ("nodes_per_page", MAX_NODES_PER_PAGE)):
        given = _single(arguments, name)
        if given is not None:
            values[name] = _whole(name, given, high=high)
    node_pages = {}
    for text in arguments.getlist("node_page"):
        network, separator, page = text.partition(":")
        if not separator:
            raise BadQuery(f"node_page is <network id>:<page>, not {text[:40]!r}.")
        node_pages[_whole("node_page's network id", network)] = _whole("node_page's page", page)
    values["node_pages"] = node_pages
    infos = tuple(dict.fromkeys(_whole("infos", text) for text in arguments.getlist("infos")))
    if len(infos) > MAX_INFO_NETWORKS:
        raise BadQuery(f"Infos can be shown for at most {MAX_INFO_NETWORKS} networks at once.")
    values["infos"] = infos
    return MonitoringQuery(**values)
