"""Serving behind a TLS proxy: the settings an https base URL turns on, and the dashboard login through it."""

import os
import runpy
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import global_settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
SETTINGS_FILE = PROJECT_DIR / "dallinger_project" / "settings.py"
HOST = "exp.example.test"
HTTPS_SETTINGS = (
    "SECURE_PROXY_SSL_HEADER",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SILENCED_SYSTEM_CHECKS",
    "PROXY_COUNT",
)
PASSWORD = "a long and unguessable passphrase"


def clean_environment() -> dict:
    """This process's environment without any setting this module's tests choose."""
    return {
        key: value
        for key, value in os.environ.items()
        if not (key.startswith("DJANGO_") and key != "DJANGO_SETTINGS_MODULE") and key != "DALLINGER_BASE_URL"
    }


def settings_from(monkeypatch, **variables) -> dict:
    """The settings module's values when read with these environment variables."""
    for key in set(os.environ) - set(clean_environment()):
        monkeypatch.delenv(key)
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(SETTINGS_FILE))


def https_client(monkeypatch, **variables):
    """A client (checking CSRF as browsers are checked) of a server configured by `variables`."""
    loaded = settings_from(monkeypatch, **variables)
    overrides = {name: loaded[name] if name in loaded else getattr(global_settings, name) for name in HTTPS_SETTINGS}
    return overrides, Client(enforce_csrf_checks=True)


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("admin", "admin@example.test", PASSWORD)


def log_in(client, *, scheme: str, host: str, forwarded_proto: str | None):
    """Fetch the login form, then post it as a browser would; both responses."""
    headers = {"Host": host} | ({"X-Forwarded-Proto": forwarded_proto} if forwarded_proto else {})
    form = client.get("/dashboard/login/", headers=headers)
    token = form.cookies["csrftoken"].value
    posted = client.post(
        "/dashboard/login/",
        {"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/dashboard/"},
        headers=headers | {"Origin": f"{scheme}://{host}", "Referer": f"{scheme}://{host}/dashboard/login/"},
    )
    return form, posted


def test_check_deploy_is_clean_with_an_https_base_url():
    environment = clean_environment() | {
        "DALLINGER_BASE_URL": f"https://{HOST}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_https_base_url_turns_on_every_secure_default(monkeypatch):
    loaded = settings_from(monkeypatch, DALLINGER_BASE_URL=f"https://{HOST}/")

    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["CSRF_TRUSTED_ORIGINS"] == [f"https://{HOST}"]
    assert loaded["SESSION_COOKIE_SECURE"] is loaded["CSRF_COOKIE_SECURE"] is loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is loaded["SECURE_HSTS_PRELOAD"] is False
    assert set(loaded["SILENCED_SYSTEM_CHECKS"]) == {"security.W005", "security.W021"}
    assert loaded["PROXY_COUNT"] == 1  # logins are counted by the address the proxy saw


def test_the_default_http_base_url_keeps_plain_http(monkeypatch):
    loaded = settings_from(monkeypatch)

    assert "SECURE_PROXY_SSL_HEADER" not in loaded
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["http://localhost:8000"]
    assert loaded["SESSION_COOKIE_SECURE"] is loaded["CSRF_COOKIE_SECURE"] is loaded["SECURE_SSL_REDIRECT"] is False
    assert loaded["SECURE_HSTS_SECONDS"] == 0
    assert loaded["PROXY_COUNT"] == 0  # no proxy: X-Forwarded-For is the client's own say


def test_each_https_setting_has_its_own_variable(monkeypatch):
    loaded = settings_from(
        monkeypatch,
        DALLINGER_BASE_URL=f"https://{HOST}",
        DJANGO_TRUST_X_FORWARDED_PROTO="false",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://admin.example.test,https://other.example.test",
        DJANGO_SESSION_COOKIE_SECURE="no",
        DJANGO_CSRF_COOKIE_SECURE="off",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_SECURE_HSTS_PRELOAD="yes",
        DJANGO_PROXY_COUNT="2",
        DJANGO_LOGIN_FAILURE_LIMIT="3",
        DJANGO_LOGIN_COOLOFF_MINUTES="60",
    )

    assert "SECURE_PROXY_SSL_HEADER" not in loaded
    assert loaded["CSRF_TRUSTED_ORIGINS"] == [
        f"https://{HOST}",
        "https://admin.example.test",
        "https://other.example.test",
    ]
    assert loaded["SESSION_COOKIE_SECURE"] is loaded["CSRF_COOKIE_SECURE"] is loaded["SECURE_SSL_REDIRECT"] is False
    assert loaded["SECURE_HSTS_SECONDS"] == 3600
    assert loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is loaded["SECURE_HSTS_PRELOAD"] is True
    assert loaded["SILENCED_SYSTEM_CHECKS"] == []
    assert loaded["PROXY_COUNT"] == 2
    assert loaded["AXES_FAILURE_LIMIT"] == 3 and loaded["AXES_COOLOFF_TIME"] == timedelta(hours=1)


def test_without_the_proxy_header_trusted_x_forwarded_for_is_not_read_either(monkeypatch):
    loaded = settings_from(monkeypatch, DALLINGER_BASE_URL=f"https://{HOST}", DJANGO_TRUST_X_FORWARDED_PROTO="false")

    assert loaded["PROXY_COUNT"] == 0


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"DJANGO_SECURE_SSL_REDIRECT": "ture"}, "DJANGO_SECURE_SSL_REDIRECT must be true or false, not 'ture'"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "a year"}, "DJANGO_SECURE_HSTS_SECONDS must be a whole number"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "-1"}, "DJANGO_SECURE_HSTS_SECONDS must be a whole number"),
        ({"DJANGO_CSRF_TRUSTED_ORIGINS": "admin.example.test"}, "DJANGO_CSRF_TRUSTED_ORIGINS holds origins"),
        ({"DALLINGER_BASE_URL": HOST}, "DALLINGER_BASE_URL must be an address such as https://"),
        ({"DALLINGER_BASE_URL": f"ftp://{HOST}"}, "DALLINGER_BASE_URL must be an address"),
        ({"DJANGO_PROXY_COUNT": "one"}, "DJANGO_PROXY_COUNT must be a whole number"),
        ({"DJANGO_LOGIN_FAILURE_LIMIT": "0"}, "DJANGO_LOGIN_FAILURE_LIMIT and DJANGO_LOGIN_COOLOFF_MINUTES must be at least 1"),
        ({"DJANGO_LOGIN_COOLOFF_MINUTES": "0"}, "DJANGO_LOGIN_FAILURE_LIMIT and DJANGO_LOGIN_COOLOFF_MINUTES must be at least 1"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(monkeypatch, variables, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        settings_from(monkeypatch, **variables)


def test_manage_py_reports_a_bad_variable_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_DIR,
        env=clean_environment() | {"DJANGO_SECURE_SSL_REDIRECT": "maybe"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Configuration error: DJANGO_SECURE_SSL_REDIRECT must be true or false, not 'maybe'."
    )


def test_dashboard_login_behind_the_tls_proxy_succeeds_with_secure_cookies(monkeypatch, admin_user):
    overrides, client = https_client(monkeypatch, DALLINGER_BASE_URL=f"https://{HOST}")

    with override_settings(ALLOWED_HOSTS=[HOST], **overrides):
        form, posted = log_in(client, scheme="https", host=HOST, forwarded_proto="https")

    assert form.status_code == 200
    assert form.cookies["csrftoken"]["secure"] is True
    assert form["Strict-Transport-Security"] == "max-age=31536000"
    assert posted.status_code == 302, posted.content[:500]
    assert posted["Location"] == "/dashboard/"
    assert posted.cookies["sessionid"]["secure"] is True
    assert posted.cookies["sessionid"]["httponly"] is True and posted.cookies["sessionid"]["samesite"] == "Lax"


def test_behind_the_proxy_plain_http_is_redirected_once_and_https_is_served(monkeypatch, db):
    overrides, client = https_client(monkeypatch, DALLINGER_BASE_URL=f"https://{HOST}")

    with override_settings(ALLOWED_HOSTS=[HOST], **overrides):
        plain = client.get("/dashboard/login/", headers={"Host": HOST, "X-Forwarded-Proto": "http"})
        forwarded = client.get("/dashboard/login/", headers={"Host": HOST, "X-Forwarded-Proto": "https"})

    assert plain.status_code == 301
    assert plain["Location"] == f"https://{HOST}/dashboard/login/"
    assert forwarded.status_code == 200  # the redirected request is answered, not redirected again


def test_the_default_plain_http_mode_logs_in_without_secure_cookies_or_redirects(monkeypatch, admin_user):
    overrides, client = https_client(monkeypatch)

    with override_settings(ALLOWED_HOSTS=["localhost"], **overrides):
        form, posted = log_in(client, scheme="http", host="localhost", forwarded_proto=None)

    assert form.status_code == 200
    assert form.cookies["csrftoken"]["secure"] == ""
    assert "Strict-Transport-Security" not in form
    assert posted.status_code == 302, posted.content[:500]
    assert posted["Location"] == "/dashboard/"
    assert posted.cookies["sessionid"]["secure"] == ""


def failed_logins_from(client, forwarded_for: str, count: int) -> int:
    """Post `count` wrong passwords for admin through the proxy, as a browser whose request carries
    `X-Forwarded-For: <forwarded_for>` (what the proxies wrote); the last answer's status."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": forwarded_for}
    status = None
    for _ in range(count):
        status = client.post("/dashboard/login/", {"username": "admin", "password": "wrong"}, headers=headers).status_code
    return status


def test_behind_the_proxy_a_lockout_holds_for_the_address_the_proxy_saw(monkeypatch, admin_user, settings):
    overrides, _ = https_client(monkeypatch, DALLINGER_BASE_URL=f"https://{HOST}")
    limit = settings.AXES_FAILURE_LIMIT

    with override_settings(ALLOWED_HOSTS=[HOST], **overrides):
        # Given an attacker at 198.51.100.9 locked out, who writes a new address of their own each time
        assert failed_logins_from(Client(), "198.51.100.9", limit) == 429
        assert failed_logins_from(Client(), "10.0.0.1, 198.51.100.9", 1) == 429
        # then the experimenter, elsewhere, still logs in
        form, posted = log_in(Client(enforce_csrf_checks=True), scheme="https", host=HOST, forwarded_proto="https")

    assert posted.status_code == 302 and posted["Location"] == "/dashboard/"


@pytest.mark.parametrize(
    "count, forwarded_for, expected",
    [
        (0, "198.51.100.9", "127.0.0.1"),  # no proxy counted: the header is the client's own say
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "10.0.0.1, 198.51.100.9", "198.51.100.9"),  # what the client wrote is left of the proxy's entry
        (2, "10.0.0.1, 198.51.100.9, 192.0.2.1", "198.51.100.9"),
        (2, "198.51.100.9", "127.0.0.1"),  # fewer entries than proxies: it did not come through them
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_login_address_is_the_one_the_outermost_counted_proxy_saw(settings, rf, count, forwarded_for, expected):
    from dallinger_project.client_address import client_address

    settings.PROXY_COUNT = count
    request = rf.get("/dashboard/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_address(request) == expected
