"""No secret of the configuration appears on any page of the dashboard's own, nor in any log line
written while they are shown and used."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from dashboard.lifecycle.actions import ACTIONS
from experiments import runtime

pytestmark = pytest.mark.django_db

#: An experiment's own key, registered without saying it is secret, but named like one.
EXPERIMENT_KEY = "lab_access_id"
#: Actions that change nothing outside this server (hotair recruits nobody).
HARMLESS_ACTIONS = ("launch", "pause-recruitment", "resume-recruitment", "close-recruitment", "expire")


def secret_value(key: str) -> str:
    return f"SeCrEt-{key}-Zx9"


@pytest.fixture
def secrets_configured(use_experiment):
    """Every sensitive key set to a value that can be recognised; those values."""
    loaded = use_experiment("bartlett1932")
    config = loaded.config
    config.register(EXPERIMENT_KEY, str)
    for key in config.keys():
        if config.is_sensitive(key):
            config.set(key, secret_value(key))
    values = [secret_value(key) for key in config.keys() if config.is_sensitive(key)]
    assert secret_value(EXPERIMENT_KEY) in values and secret_value("dashboard_password") in values
    return values


def dashboard_pages() -> list[str]:
    pages = [reverse(name) for name in ("admin:dashboard-lifecycle", "admin:dashboard-config",
                                         "admin:dashboard-development", "admin:dashboard-logger",
                                         "admin:dashboard-logger-data")]  # fmt: skip
    return pages + [reverse("admin:dashboard-lifecycle-action", args=[slug]) for slug in ACTIONS]


def test_no_secret_on_any_page_or_in_the_log(secrets_configured, settings, caplog):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caplog.set_level(logging.DEBUG)
    user = get_user_model().objects.create_user("experimenter", password="a passphrase 42", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="pay_participants"))  # every confirmation page
    seen = []

    # Logged out: the login page and, after failures, the lockout page
    anonymous = Client()
    seen.append(anonymous.get(reverse("admin:login")))
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        seen.append(anonymous.post(reverse("admin:login"), {"username": "experimenter", "password": "wrong"}))
    assert seen[-1].status_code == 429

    # Logged in: every page, and every action that acts on nothing outside this server
    client = Client()
    client.force_login(user)
    for page in dashboard_pages():
        seen.append(client.get(page))
    for slug in HARMLESS_ACTIONS:
        seen.append(client.post(reverse("admin:dashboard-lifecycle-action", args=[slug]), follow=True))
    seen.append(client.get(reverse("admin:dashboard-config")))

    assert all(answer.status_code in (200, 429) for answer in seen)
    shown = "\n".join(answer.content.decode() for answer in seen)
    assert "lab_access_id" in shown and "&lt;redacted&gt;" in shown  # the keys are listed, their values hidden
    assert [value for value in secrets_configured if value in shown] == []
    assert [value for value in secrets_configured if value in caplog.text] == []


def test_the_config_page_hides_a_secret_however_it_was_registered(secrets_configured, admin_client):
    html = admin_client.get(reverse("admin:dashboard-config")).content.decode()

    row = html[html.index('id="config-lab_access_id"') :].split("</tr>")[0]
    assert "&lt;redacted&gt;" in row and "set()" in row
    assert runtime.active().config.is_sensitive(EXPERIMENT_KEY)
