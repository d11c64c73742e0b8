"""Every route of the dashboard refuses a POST without its CSRF token, even from a logged-in
experimenter, and changes nothing.

The routes are read from the dashboard site's own URLconf (`get_urls`), so a page added to
the dashboard later is covered without touching this test.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, reverse

from dashboard.lifecycle.actions import ACTIONS

pytestmark = pytest.mark.django_db

#: Values tried for a route's arguments: an id, an app label (the admin's app pages).
ARGUMENT_VALUES = ("1", "core")


def named_routes(patterns=None):
    """The name of every route the dashboard serves, through its includes."""
    for pattern in admin.site.get_urls() if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from named_routes(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name, pattern


def argument_names(pattern) -> list[str]:
    # path() and re_path() routes both compile to a regular expression naming each argument.
    return list(pattern.pattern.regex.groupindex)


def route_url(name: str, pattern) -> str | None:
    """A URL of the route, with sample arguments (None if none of them fits)."""
    names = argument_names(pattern)
    for value in ARGUMENT_VALUES:
        try:
            return reverse(f"admin:{name}", kwargs=dict.fromkeys(names, value))
        except NoReverseMatch:
            continue
    return None


def every_dashboard_url() -> list[str]:
    urls = {route_url(name, pattern) for name, pattern in named_routes()}
    # Each lifecycle action by name, beyond the one sample argument the walk tries.
    urls.update(reverse("admin:dashboard-lifecycle-action", args=[slug]) for slug in ACTIONS)
    return sorted(url for url in urls if url is not None)


def whole_database() -> dict:
    """Every row of every table, to compare before and after."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in apps.get_models()}


@pytest.fixture
def experimenter_client(make_participant):
    make_participant()  # a row for the record's pages and actions to act on
    user = get_user_model().objects.create_superuser("experimenter", "e@example.test", "unused passphrase 1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_every_route_of_the_dashboard_gets_a_url():
    routes = list(named_routes())

    assert {name for name, _ in routes} >= {"dashboard-lifecycle", "dashboard-lifecycle-action", "dashboard-config",
                                            "dashboard-development", "index", "login", "logout"}  # fmt: skip
    assert [name for name, pattern in routes if route_url(name, pattern) is None] == []


def test_a_post_without_the_csrf_token_is_refused_on_every_route_and_changes_nothing(experimenter_client):
    before = whole_database()
    refused = {}

    for url in every_dashboard_url():
        answer = experimenter_client.post(url, {"post": "yes", "keep_identities": "on", "action": "delete_selected"})
        refused[url] = (answer.status_code, b"CSRF verification failed" in answer.content)

    assert {url: outcome for url, outcome in refused.items() if outcome != (403, True)} == {}
    assert whole_database() == before


def test_the_same_post_with_its_token_is_accepted(experimenter_client):
    # So the refusals above are the token's doing, not the route's.
    experimenter_client.get(reverse("admin:dashboard-lifecycle-action", args=["pause-recruitment"]))
    token = experimenter_client.cookies["csrftoken"].value

    answer = experimenter_client.post(
        reverse("admin:dashboard-lifecycle-action", args=["pause-recruitment"]), {"csrfmiddlewaretoken": token}
    )

    assert answer.status_code == 302
    from experiments.models import RuntimeSetting

    assert RuntimeSetting.objects.get(name="auto_recruit").value == "false"
