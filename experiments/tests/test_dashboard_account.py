"""The dashboard account from the experiment's configuration: the service and `manage.py dashboard_account`."""

import io
import logging

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from experiments.services.dashboard_account import DashboardAccountError, dashboard_account_ensure

User = get_user_model()


@pytest.fixture
def configured(db, use_experiment, settings):
    """The Bartlett demo's configuration with `overrides`: `configured(dashboard_user="x")`."""
    # A fast hasher: these tests hash many passwords, and the default one is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def use(**overrides):
        return use_experiment("bartlett1932", **overrides).config

    return use


def test_without_a_configured_password_admin_gets_a_new_one_returned_once(configured, caplog):
    caplog.set_level(logging.DEBUG)

    username, password = dashboard_account_ensure(config=configured())

    assert username == "admin"
    assert password
    user = User.objects.get(username="admin")
    assert user.is_staff and user.is_superuser and user.is_active
    assert authenticate(username="admin", password=password) == user
    assert password not in caplog.text


def test_each_generated_password_replaces_the_last(configured):
    config = configured()
    _, first = dashboard_account_ensure(config=config)
    _, second = dashboard_account_ensure(config=config)

    assert first != second
    assert authenticate(username="admin", password=first) is None
    assert authenticate(username="admin", password=second) is not None
    assert User.objects.count() == 1


def test_a_configured_user_and_password_are_used_and_the_password_not_returned(configured):
    config = configured(dashboard_user="experimenter", dashboard_password="correct horse battery")

    username, generated = dashboard_account_ensure(config=config)

    assert (username, generated) == ("experimenter", None)
    assert authenticate(username="experimenter", password="correct horse battery") is not None
    assert not User.objects.filter(username="admin").exists()


def test_an_existing_user_of_that_name_becomes_the_dashboard_account(configured):
    User.objects.create_user(username="experimenter", password="old password", is_active=False)
    config = configured(dashboard_user="experimenter", dashboard_password="new password")

    dashboard_account_ensure(config=config)

    user = User.objects.get(username="experimenter")
    assert user.is_staff and user.is_superuser and user.is_active
    assert authenticate(username="experimenter", password="new password") == user
    assert authenticate(username="experimenter", password="old password") is None


@pytest.mark.parametrize("name", ["", "two words", "x" * 151])
def test_a_user_name_that_cannot_log_in_is_refused_and_nothing_changes(configured, name):
    config = configured(dashboard_user=name)

    with pytest.raises(DashboardAccountError, match="dashboard_user cannot be a login name") as raised:
        dashboard_account_ensure(config=config)

    assert User.objects.count() == 0
    if name:
        assert name not in str(raised.value)  # a sensitive key's value is not repeated


def test_the_command_prints_the_generated_login_once_and_logs_nothing_of_it(configured, caplog):
    caplog.set_level(logging.DEBUG)
    configured()
    output = io.StringIO()

    call_command("dashboard_account", stdout=output)

    lines = output.getvalue().splitlines()
    assert len(lines) == 1
    prefix = "Dashboard login: user admin, password "
    assert lines[0].startswith(prefix)
    password = lines[0][len(prefix) :]
    assert authenticate(username="admin", password=password) is not None
    assert password not in caplog.text


def test_the_command_does_not_print_a_configured_password(configured):
    configured(dashboard_password="not to be shown")
    output = io.StringIO()

    call_command("dashboard_account", stdout=output)

    assert output.getvalue().strip() == "Dashboard login: user admin, password as configured (dashboard_password)"
    assert authenticate(username="admin", password="not to be shown") is not None


def test_the_command_refuses_a_bad_user_name_with_a_message(configured):
    configured(dashboard_user="two words")

    with pytest.raises(CommandError, match="dashboard_user cannot be a login name"):
        call_command("dashboard_account", stdout=io.StringIO())
    assert User.objects.count() == 0
