"""The dashboard's navigation: its own tabs, in order, with the one being shown marked."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

#: (title, URL name) of the dashboard's own tabs, in their order.
BUILTIN_TABS = (
    ("Monitoring", "admin:dashboard-monitoring"),
    ("Database", "admin:index"),
    ("Lifecycle", "admin:dashboard-lifecycle"),
    ("Config", "admin:dashboard-config"),
    ("Development", "admin:dashboard-development"),
)


@dataclass(frozen=True)
class Tab:
    """One entry of the navigation."""

    title: str
    url: str
    active: bool


def tab_list(request) -> list[Tab]:
    """The tabs to show on `request`'s page (a tab whose page does not exist is left out)."""
    result = []
    for title, url_name in BUILTIN_TABS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url_name == "admin:index" else request.path.startswith(url)
        result.append(Tab(title, url, active))
    return result
