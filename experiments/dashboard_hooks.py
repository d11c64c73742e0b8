"""What an experiment uses to add tabs to the dashboard, with Dallinger's names.

`dashboard_tab` marks an Experiment method as the page of a new dashboard tab; the dashboard
finds the marks on the experiment class (the experiment never imports the dashboard).
`DashboardTab` and `DashboardTabs` are the navigation an experiment's
`organize_dashboard_tabs(tabs)` receives and may rearrange.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

#: The prefix of the route names of dashboard pages (`dashboard.dashboard_monitoring`).
ROUTE_PREFIX = "dashboard."
#: The prefix a tab's method name drops to give its path (`dashboard_scores` → /dashboard/scores/).
NAME_PREFIX = "dashboard_"


@dataclass(frozen=True)
class TabDeclaration:
    """What `dashboard_tab` recorded on a method."""

    title: str
    after_route: str | None = None
    before_route: str | None = None
    tab: "DashboardTab | None" = None
    methods: tuple[str, ...] = ("GET",)


def dashboard_tab(title: str, after_route: str | None = None, before_route: str | None = None, tab=None, **route):
    """Mark an Experiment method as the page of a dashboard tab titled `title` (Dallinger's
    `dashboard_tab`).

    The page is /dashboard/<name>/, where <name> is the method's name without a leading
    `dashboard_`; it needs the dashboard login. The method is called as `method(request)` on
    the running experiment and returns a response, a string of HTML (shown inside the
    dashboard's page) or a dict or list (shown as JSON). The tab goes after the tab of
    `after_route`, or before that of `before_route`, or last; `tab` (a DashboardTab) replaces
    the plain one, for children or query parameters. `methods=["GET", "POST"]` lets the page
    take posted forms (with Django's CSRF token); other Flask route options are ignored.
    Works above or below `@classmethod` and `@staticmethod`.
    """
    methods = tuple(method.upper() for method in route.get("methods", ("GET",)))
    declaration = TabDeclaration(title, after_route, before_route, tab, methods)

    def mark(function):
        # The mark goes on the function itself, visible through a bound or class method.
        target = getattr(function, "__func__", function)
        target.dashboard_tab = declaration
        return function

    return mark


def route_names(route_name: str) -> frozenset[str]:
    """Every spelling that names the tab of `route_name`, as Dallinger matches them:
    `scores`, `dashboard.scores` and `dashboard.dashboard_scores`."""
    bare = route_name[len(ROUTE_PREFIX) :] if route_name.startswith(ROUTE_PREFIX) else route_name
    names = {bare, ROUTE_PREFIX + bare}
    if not bare.startswith(NAME_PREFIX):
        names.add(ROUTE_PREFIX + NAME_PREFIX + bare)
    return frozenset(names)


class DashboardTab:
    """One tab: a title, the route name of its page (with `dashboard.` added when missing),
    optional children (a callable returning DashboardTabs shown as a menu) and query
    parameters added to its address."""

    def __init__(self, title: str, route_name: str, children_function=None, params: dict | None = None):
        self.title = title
        if not route_name.startswith(ROUTE_PREFIX):
            route_name = ROUTE_PREFIX + route_name
        self.route_name = route_name
        self.children_function = children_function
        self.params = params

    @property
    def has_children(self) -> bool:
        """Whether the tab opens a menu of children."""
        return self.children_function is not None

    def query_string(self) -> str:
        """`?a=1&b=2` from `params`, or the empty string."""
        return "?" + urlencode(self.params) if self.params else ""

    def __iter__(self):
        if self.has_children:
            yield from self.children_function()

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __repr__(self):
        return f"DashboardTab({self.title!r}, {self.route_name!r})"


class DashboardTabs:
    """The dashboard's tabs in order, with Dallinger's ways to add, place and remove them."""

    def __init__(self, tabs=()):
        self.tabs = list(tabs)

    def insert(self, title: str, route_name: str, position: int | None = None) -> None:
        """Add a tab for `route_name`, last or at the 0-based `position`."""
        self.insert_tab(DashboardTab(title, route_name), position)

    def insert_tab(self, tab: DashboardTab, position: int | None = None) -> None:
        """Add `tab`, last or at the 0-based `position`."""
        if position is None:
            self.tabs.append(tab)
        else:
            self.tabs.insert(position, tab)

    def insert_before_route(self, title: str, route_name: str, before_route: str) -> None:
        """Add a tab for `route_name` before the tab of `before_route`; ValueError if there is none."""
        self.insert_tab_before_route(DashboardTab(title, route_name), before_route)

    def insert_tab_before_route(self, tab: DashboardTab, before_route: str) -> None:
        """Add `tab` before the tab of `before_route`; ValueError if there is none."""
        self.insert_tab(tab, self._position_of(before_route))

    def insert_after_route(self, title: str, route_name: str, after_route: str) -> None:
        """Add a tab for `route_name` after the tab of `after_route`; ValueError if there is none."""
        self.insert_tab_after_route(DashboardTab(title, route_name), after_route)

    def insert_tab_after_route(self, tab: DashboardTab, after_route: str) -> None:
        """Add `tab` after the tab of `after_route`; ValueError if there is none."""
        self.insert_tab(tab, self._position_of(after_route) + 1)

    def remove(self, route_name: str) -> None:
        """Take out every tab of `route_name` (its page stays reachable)."""
        names = route_names(route_name)
        self.tabs = [tab for tab in self.tabs if tab.route_name not in names]

    def _position_of(self, route_name: str) -> int:
        names = route_names(route_name)
        for position, tab in enumerate(self.tabs):
            if tab.route_name in names:
                return position
        raise ValueError(f"Route {route_name} not found")

    def __iter__(self):
        return iter(self.tabs)

    def __len__(self):
        return len(self.tabs)
