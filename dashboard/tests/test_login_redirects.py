"""No open redirect through `next`: logging in or out never sends the browser to another site."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the right passphrase"
ELSEWHERE = [
    "//evil.example",
    "//evil.example/dashboard/",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "https://evil.example/dashboard/",
    "http:evil.example",
    "https:///evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "\t//evil.example",
]


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def experimenter():
    return get_user_model().objects.create_user("experimenter", password=PASSWORD, is_staff=True)


def stays_here(location: str) -> bool:
    """Whether a redirect's Location stays on this server (a path, no other host or scheme)."""
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and "evil.example" not in location
    )


def log_in(client, next_url, *, where="form"):
    data = {"username": "experimenter", "password": PASSWORD}
    if where == "form":
        return client.post("/dashboard/login/", data | {"next": next_url})
    return client.post("/dashboard/login/", data, QUERY_STRING=f"next={next_url}")


@pytest.mark.parametrize("where", ["form", "query"])
@pytest.mark.parametrize("target", ELSEWHERE)
def test_logging_in_never_redirects_to_another_site(experimenter, target, where):
    answer = log_in(Client(), target, where=where)

    assert answer.status_code == 302
    assert stays_here(answer["Location"]), answer["Location"]
    assert answer["Location"] == "/dashboard/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_logged_in_user_is_not_redirected_to_another_site(experimenter, target):
    client = Client()
    client.force_login(experimenter)

    shown = client.get("/dashboard/login/", {"next": target})
    logged_in_again = log_in(client, target)

    assert shown.status_code == 302 and shown["Location"] == "/dashboard/"
    assert logged_in_again.status_code == 302 and stays_here(logged_in_again["Location"])


@pytest.mark.parametrize("target", ELSEWHERE)
def test_logging_out_never_redirects_to_another_site(experimenter, target):
    client = Client()
    client.force_login(experimenter)

    answer = client.post("/dashboard/logout/", {"next": target})

    assert answer.status_code in (200, 302)
    if answer.status_code == 302:
        assert stays_here(answer["Location"]), answer["Location"]
    assert client.get("/dashboard/").status_code == 302  # logged out all the same


def test_a_next_on_this_server_is_followed(experimenter):
    client = Client()
    assert log_in(client, "/dashboard/config/")["Location"] == "/dashboard/config/"
    assert client.post("/dashboard/logout/", {"next": "/dashboard/login/"})["Location"] == "/dashboard/login/"


def test_the_login_form_does_not_carry_a_foreign_next():
    html = Client().get("/dashboard/login/", {"next": "//evil.example"}).content.decode()

    assert 'name="next" value=""' in html  # the form's hidden field is emptied, not filled with it


def test_logging_out_takes_a_post_only(experimenter):
    client = Client()
    client.force_login(experimenter)

    assert client.get("/dashboard/logout/", {"next": "//evil.example"}).status_code == 405
    assert client.get("/dashboard/").status_code == 200
