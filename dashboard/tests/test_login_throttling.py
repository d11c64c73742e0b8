"""Dashboard login throttling (django-axes): repeated failures lock one user name from one address."""

import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the right passphrase"
WRONG = "a wrong guess 123"
LOGIN = "/dashboard/login/"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Many logins per test; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def experimenter():
    return get_user_model().objects.create_user("experimenter", password=PASSWORD, is_staff=True)


def attempt(client, username, password, address="203.0.113.7"):
    """Post the dashboard's login form as a browser at `address` would."""
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/dashboard/"}, REMOTE_ADDR=address
    )


def logged_in(client) -> bool:
    return client.get("/dashboard/").status_code == 200


def test_brute_force_locks_the_user_out_and_the_right_password_is_then_refused(settings, experimenter):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "experimenter", WRONG).status_code == 200  # the form again, with its error

    locking = attempt(client, "experimenter", WRONG)
    with_the_right_password = attempt(client, "experimenter", PASSWORD)

    assert locking.status_code == 429
    assert with_the_right_password.status_code == 429
    assert not logged_in(client)
    page = with_the_right_password.content.decode()
    assert "Too many failed logins" in page and "Try again in 15 minutes" in page
    assert with_the_right_password["Retry-After"] == str(15 * 60)
    assert "Content-Security-Policy" in with_the_right_password  # the dashboard's page, with its headers


def test_a_different_user_from_the_same_address_can_still_log_in(settings, experimenter):
    get_user_model().objects.create_user("colleague", password=PASSWORD, is_staff=True)
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, "experimenter", WRONG)

    colleague = Client()
    answer = attempt(colleague, "colleague", PASSWORD)

    assert answer.status_code == 302 and answer["Location"] == "/dashboard/"
    assert logged_in(colleague)


def test_the_same_user_from_another_address_is_not_locked(settings, experimenter):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "experimenter", WRONG, address="198.51.100.1")

    elsewhere = Client()
    answer = attempt(elsewhere, "experimenter", PASSWORD, address="198.51.100.2")

    assert answer.status_code == 302
    assert logged_in(elsewhere)


def test_a_successful_login_clears_the_failures(settings, experimenter):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "experimenter", WRONG)
    assert attempt(client, "experimenter", PASSWORD).status_code == 302
    client.post("/dashboard/logout/")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "experimenter", WRONG).status_code == 200

    assert attempt(client, "experimenter", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(settings, experimenter):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "experimenter", WRONG)
    assert attempt(client, "experimenter", PASSWORD).status_code == 429

    # As if the cool-off time had passed since the last failure
    last = AccessAttempt.objects.get()
    AccessAttempt.objects.filter(pk=last.pk).update(attempt_time=last.attempt_time - settings.AXES_COOLOFF_TIME)

    assert attempt(client, "experimenter", PASSWORD).status_code == 302
    assert logged_in(client)


def test_failed_logins_keep_no_password_or_user_name_in_logs_or_stored_attempts(settings, experimenter, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "experimenter", WRONG)
    attempt(client, "experimenter", PASSWORD)

    stored = AccessAttempt.objects.get()
    assert WRONG not in stored.post_data and PASSWORD not in stored.post_data
    assert "experimenter" not in stored.post_data
    assert "Locking out" in caplog.text and "203.0.113.7" in caplog.text  # who, by address
    for secret in (WRONG, PASSWORD, "experimenter"):
        assert secret not in caplog.text


def test_logging_in_without_a_request_is_not_throttled(settings, experimenter):
    # A command or a test authenticating in its own process is nobody guessing over the web.
    from django.contrib.auth import authenticate

    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert authenticate(username="experimenter", password=WRONG) is None

    assert authenticate(username="experimenter", password=PASSWORD) == experimenter
    assert not AccessAttempt.objects.exists()
