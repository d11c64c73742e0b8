"""Routes of the dashboard's monitoring pages, each behind the dashboard login (`site.admin_view`)."""


def urls(site) -> list:
    """This area's URL patterns, for `DashboardSite.get_urls`."""
    return []
