"""The dashboard's navigation: its own tabs, then the experiment's (Dallinger's `dashboard_tab`
methods, `hidden_dashboards` and `organize_dashboard_tabs`), with the one being shown marked.

Tabs are named by Dallinger's route names (`dashboard.dashboard_monitoring`); an experiment
places its tabs by naming them (`after_route="monitoring"`), as in Dallinger.
"""

import logging
from dataclasses import dataclass

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from experiments import runtime
from experiments.dashboard_hooks import NAME_PREFIX, ROUTE_PREFIX, DashboardTab, DashboardTabs

logger = logging.getLogger(__name__)

#: (title, Dallinger's route name, URL name) of the dashboard's own tabs, in their order.
BUILTIN_TABS = (
    ("Monitoring", "dashboard_monitoring", "admin:dashboard-monitoring"),
    ("Database", "dashboard_database", "admin:index"),
    ("Lifecycle", "dashboard_lifecycle", "admin:dashboard-lifecycle"),
    ("Logger", "dashboard_logger", "admin:dashboard-logger"),
    ("Config", "dashboard_index", "admin:dashboard-config"),
    ("Development", "dashboard_develop", "admin:dashboard-development"),
)
#: The URL name of an experiment's tab page (/dashboard/<name>/).
EXPERIMENT_TAB_URL = "admin:dashboard-experiment-tab"
#: Paths an experiment's tab cannot take: the admin's own pages (the tables' app labels too).
ADMIN_PATHS = frozenset({"login", "logout", "password_change", "autocomplete", "jsi18n", "r", "database"})


@dataclass(frozen=True)
class Tab:
    """One entry of the navigation, with its menu entries if it has any."""

    title: str
    url: str
    active: bool
    children: tuple = ()


def bare_name(route_name: str) -> str:
    """A route name without its `dashboard.` and `dashboard_` prefixes: `monitoring`."""
    if route_name.startswith(ROUTE_PREFIX):
        route_name = route_name[len(ROUTE_PREFIX) :]
    return route_name[len(NAME_PREFIX) :] if route_name.startswith(NAME_PREFIX) else route_name


def declared_tabs(experiment_class) -> dict:
    """The experiment's tab methods, `{method name: TabDeclaration}`, base classes' first; a
    method overridden without the decorator keeps its tab (as routes do)."""
    declared = {}
    for klass in reversed(experiment_class.__mro__):
        for name, member in vars(klass).items():
            declaration = getattr(getattr(member, "__func__", member), "dashboard_tab", None)
            if declaration is not None:
                declared[name] = declaration
    return declared


def experiment_tab_method(experiment_class, path_name: str) -> str | None:
    """The name of the experiment's method that serves /dashboard/<path_name>/, or None (also
    when the path is one of the dashboard's own)."""
    if path_name in ADMIN_PATHS or path_name in _builtin_paths() or path_name in _app_labels():
        return None
    for method_name in declared_tabs(experiment_class):
        if bare_name(method_name) == path_name:
            return method_name
    return None


def tab_order(experiment_class) -> DashboardTabs:
    """The tabs in order: the dashboard's, the experiment's placed where it asks, less its
    `hidden_dashboards`, as its `organize_dashboard_tabs` leaves them."""
    tabs = DashboardTabs(DashboardTab(title, route_name) for title, route_name, _ in BUILTIN_TABS)
    for method_name, declaration in declared_tabs(experiment_class).items():
        tab = declaration.tab or DashboardTab(declaration.title, method_name)
        try:
            if declaration.after_route:
                tabs.insert_tab_after_route(tab, declaration.after_route)
            elif declaration.before_route:
                tabs.insert_tab_before_route(tab, declaration.before_route)
            else:
                tabs.insert_tab(tab)
        except ValueError:
            logger.warning("Tab %r: no tab %s to place it by; it goes last.", declaration.title,
                           declaration.after_route or declaration.before_route)  # fmt: skip
            tabs.insert_tab(tab)
    hidden = experiment_class.hidden_dashboards
    for route_name in [hidden] if isinstance(hidden, str) else hidden or ():
        tabs.remove(route_name)
    organized = experiment_class.organize_dashboard_tabs(tabs)
    return tabs if organized is None else organized


def tab_list(request) -> list[Tab]:
    """The tabs to show on `request`'s page (a tab whose page does not exist is left out).

    An experiment whose tab hooks fail gets the dashboard's own tabs (the error is logged).
    """
    try:
        experiment_class = runtime.active().experiment_class
        ordered = list(tab_order(experiment_class))
        urls = [_url(tab, experiment_class) for tab in ordered]
    except Exception:
        logger.exception("The experiment's dashboard tabs could not be built: showing the dashboard's own.")
        experiment_class = None
        ordered = [DashboardTab(title, route_name) for title, route_name, _ in BUILTIN_TABS]
        urls = [_url(tab, None) for tab in ordered]
    known = [url for url in urls if url]
    result = []
    for tab, url in zip(ordered, urls):
        if url is None:
            continue
        children = tuple(
            Tab(child.title, child_url, _is_current(request.path, child_url, known))
            for child in (tab if tab.has_children else ())
            if (child_url := _url(child, experiment_class))
        )
        active = _is_current(request.path, url, known) or any(child.active for child in children)
        result.append(Tab(tab.title, url, active, children))
    return result


def _app_labels() -> set[str]:
    return {model._meta.app_label for model in admin.site._registry}


def _builtin_paths() -> set[str]:
    index = reverse("admin:index")
    paths = set()
    for _, _, url_name in BUILTIN_TABS:
        try:
            path = reverse(url_name)
        except NoReverseMatch:
            continue
        first = path[len(index) :].strip("/").split("/", 1)[0]
        if first:
            paths.add(first)
    return paths


def _url(tab: DashboardTab, experiment_class) -> str | None:
    name = bare_name(tab.route_name)
    try:
        for _, route_name, url_name in BUILTIN_TABS:
            if bare_name(route_name) == name:
                return reverse(url_name) + tab.query_string()
        if experiment_class is not None and experiment_tab_method(experiment_class, name):
            return reverse(EXPERIMENT_TAB_URL, kwargs={"name": name}) + tab.query_string()
    except NoReverseMatch:
        return None
    return None


def _is_current(path: str, url: str, known: list[str]) -> bool:
    """Whether `url`'s tab is the page at `path`: the tab whose address is the longest start
    of the path (the Database tab, at the dashboard's root, holds the pages of the tables)."""
    address = url.split("?", 1)[0]
    starts = [known_url.split("?", 1)[0] for known_url in known if path.startswith(known_url.split("?", 1)[0])]
    return bool(starts) and address == max(starts, key=len)
