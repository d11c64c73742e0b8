"""The Prolific client against the fake Prolific: endpoints, errors, retries and money safety."""

import socket

import pytest
import requests

from recruitment.prolific import client as client_module
from recruitment.prolific.client import (
    ProlificAmbiguous,
    ProlificClient,
    ProlificRefused,
    ProlificUnavailable,
    redacted,
)


class Clock:
    """A clock that only moves when the client sleeps, so waits cost no real time."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_client(fake_prolific, clock):
    def make(**options):
        options.setdefault("timeout", 2)
        options.setdefault("sleep", clock.sleep)
        options.setdefault("clock", clock)
        return ProlificClient(fake_prolific.token, fake_prolific.base_url, **options)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def study_body(project_id, **changes):
    body = {
        "name": "Bartlett (1932) memory",
        "internal_name": "experiment-uuid",
        "description": "Read a story, then write it down.",
        "external_study_url": "https://example.org/ad?PROLIFIC_PID={{%PROLIFIC_PID%}}",
        "prolific_id_option": "url_parameters",
        "completion_option": "url",
        "completion_codes": [
            {
                "code": "DONE1234",
                "code_type": "COMPLETED",
                "actor": "participant",
                "actions": [{"action": "MANUALLY_REVIEW"}],
            }
        ],
        "estimated_completion_time": 5,
        "reward": 150,
        "total_available_places": 2,
        "project": project_id,
    }
    body.update(changes)
    return body


@pytest.fixture
def project(client, fake_prolific):
    return client.create_project(fake_prolific.workspace_id, "Memory")


@pytest.fixture
def study(client, project):
    """A published study with two places."""
    study = client.create_study(study_body(project["id"]))
    client.transition_study(study["id"], "PUBLISH")
    return study


def finished_submission(fake_prolific, study):
    submission = fake_prolific.start_submission(study["id"])
    fake_prolific.complete_submission(submission["id"], "DONE1234")
    return submission


# Endpoints


def test_account_workspaces_and_projects(client, fake_prolific):
    assert client.me()["id"] == fake_prolific.user_id
    assert [w["title"] for w in client.workspaces()] == ["My workspace"]
    created = client.create_project(fake_prolific.workspace_id, "Memory")
    assert client.projects(fake_prolific.workspace_id) == [created]


def test_study_lifecycle(client, project):
    draft = client.create_study(study_body(project["id"]))
    assert len(draft["id"]) == 24 and draft["status"] == "UNPUBLISHED" and draft["reward"] == 150
    assert client.transition_study(draft["id"], "PUBLISH")["status"] == "ACTIVE"
    assert client.update_study(draft["id"], total_available_places=5)["total_available_places"] == 5
    assert client.transition_study(draft["id"], "PAUSE")["status"] == "PAUSED"
    assert client.get_study(draft["id"])["status"] == "PAUSED"
    assert [s["id"] for s in client.project_studies(project["id"])] == [draft["id"]]

    other = client.create_study(study_body(project["id"], name="Second"))
    assert client.delete_study(other["id"]) is None
    with pytest.raises(ProlificRefused) as refusal:
        client.get_study(other["id"])
    assert refusal.value.status == 404


def test_submissions_listing_and_transitions(client, fake_prolific, study):
    first = finished_submission(fake_prolific, study)
    second = finished_submission(fake_prolific, study)

    listed = client.submissions(study["id"])
    assert {s["id"] for s in listed} == {first["id"], second["id"]}
    assert {s["participant_id"] for s in listed} == {first["participant_id"], second["participant_id"]}
    assert client.get_submission(first["id"])["participant"] == first["participant_id"]

    assert client.transition_submission(first["id"], "APPROVE")["status"] == "APPROVED"
    reason = "The answers were copied from the instructions and do not describe the story at all. " * 2
    rejected = client.transition_submission(second["id"], "REJECT", message=reason, rejection_category="LOW_EFFORT")
    assert rejected["status"] == "REJECTED"
    assert [s["id"] for s in client.submissions(study["id"], status="awaiting_review")] == []
    assert [s["id"] for s in client.submissions(study["id"], status="APPROVED")] == [first["id"]]


def test_bonus_is_set_up_then_paid(client, fake_prolific, study):
    submission = finished_submission(fake_prolific, study)

    setup = client.bonus_setup(study["id"], f"{submission['participant_id']},1.25")
    assert setup["study"] == study["id"] and setup["amount"] == 125
    assert fake_prolific.bonus_payments == []
    client.bonus_pay(setup["id"])
    assert [(p, str(a)) for _, p, a in fake_prolific.bonus_payments] == [(submission["participant_id"], "1.25")]


def test_screen_out(client, fake_prolific, project):
    screening = client.create_study(study_body(project["id"], is_custom_screening=True))
    client.transition_study(screening["id"], "PUBLISH")
    submission = fake_prolific.start_submission(screening["id"])

    answer = client.screen_out(screening["id"], [submission["id"]], 0.10, increase_places=True)
    assert answer["message"].startswith("The request to bulk screen out has been made successfully.")
    assert client.get_submission(submission["id"])["status"] == "SCREENED OUT"
    assert client.get_study(screening["id"])["total_available_places"] == 3


def test_webhook_set_up(client, fake_prolific):
    workspace = fake_prolific.workspace_id
    assert "submission.status.change" in [t["event_type"] for t in client.event_types()]
    secret = client.create_secret(workspace)
    assert client.secrets(workspace) == [secret]

    subscription, hook_secret = client.create_subscription(
        workspace, "submission.status.change", "https://example.org/hook"
    )
    assert hook_secret == fake_prolific.subscription_secret(subscription["id"])
    client.confirm_subscription(subscription["id"], hook_secret)
    assert [s["id"] for s in client.subscriptions(workspace)] == [subscription["id"]]
    client.delete_subscription(subscription["id"])
    assert client.subscriptions(workspace) == []


def test_every_call_names_the_project_and_uses_trailing_slashes(fake_prolific):
    seen = []

    class RecordingSession(requests.Session):
        def request(self, method, url, **kwargs):
            seen.append((url, kwargs["headers"]))
            return super().request(method, url, **kwargs)

    client = ProlificClient(fake_prolific.token, fake_prolific.base_url + "/", session=RecordingSession())
    client.request("GET", "users/me")
    url, headers = seen[0]
    assert url == fake_prolific.base_url + "/users/me/"
    assert headers["Authorization"] == f"Token {fake_prolific.token}"
    assert headers["Referer"] == client_module.REFERER


# Pagination


def test_submissions_follow_every_page(client, fake_prolific, project):
    big = client.create_study(study_body(project["id"], total_available_places=230))
    client.transition_study(big["id"], "PUBLISH")
    started = {fake_prolific.start_submission(big["id"])["id"] for _ in range(230)}

    listed = client.submissions(big["id"])
    assert [s["id"] for s in listed if s["id"] in started] == [s["id"] for s in listed]
    assert {s["id"] for s in listed} == started and len(listed) == 230
    assert len(fake_prolific.requests_to("GET", r"^/submissions/$")) == 3


def test_a_full_last_page_without_links_ends_at_the_404(client, fake_prolific, project):
    full = client.create_study(study_body(project["id"], total_available_places=100))
    client.transition_study(full["id"], "PUBLISH")
    for _ in range(100):
        fake_prolific.start_submission(full["id"])
    fake_prolific.omit_links = True

    assert len(client.submissions(full["id"])) == 100
    assert len(fake_prolific.requests_to("GET", r"^/submissions/$")) == 2


# Errors


def test_a_refused_study_says_which_fields_are_wrong(client, project):
    with pytest.raises(ProlificRefused) as refusal:
        client.create_study(study_body(project["id"], reward=-5, completion_codes=[]))
    message = str(refusal.value)
    assert message.startswith("Prolific refused POST /studies/ (400")
    assert "reward: A whole number of cents, 0 or more." in message
    assert "completion_codes: A non-empty list" in message
    assert refusal.value.status == 400 and "{" not in message


def test_a_wrong_token_is_named_as_refused_but_never_shown(fake_prolific, clock):
    token = "wrong-token-8f3a9c2e71d4"
    client = ProlificClient(token, fake_prolific.base_url, sleep=clock.sleep)
    with pytest.raises(ProlificRefused) as refusal:
        client.me()
    assert refusal.value.status == 401 and "token was refused" in str(refusal.value)
    assert token not in str(refusal.value) and token not in repr(refusal.value) and token not in repr(client)
    assert clock.sleeps == []  # a refusal is never retried


def test_an_error_inside_a_successful_answer_is_an_error(client, fake_prolific):
    fake_prolific.respond("GET", r"^/users/me/$", 200, {"error": {"title": "Broken", "detail": ["one", "two"]}})
    with pytest.raises(ProlificRefused, match="one, two"):
        client.me()


def test_redacted_keeps_only_the_ends():
    assert redacted("abcdefghijklmnopqrstuvwxyz") == "abc…xyz"
    assert redacted("short") == "…"


# Retries


def test_a_read_is_retried_after_server_errors(client, fake_prolific, clock):
    fake_prolific.fail("GET", r"^/users/me/$", status=500, times=2)
    assert client.me()["id"] == fake_prolific.user_id
    assert len(fake_prolific.requests_to("GET", r"^/users/me/$")) == 3
    assert len(clock.sleeps) == 2


def test_back_off_doubles_with_full_jitter_up_to_the_cap(make_client, fake_prolific, clock, monkeypatch):
    bounds = []
    monkeypatch.setattr(client_module.random, "uniform", lambda low, high: bounds.append((low, high)) or high)
    fake_prolific.fail("GET", r"^/users/me/$", status=503, times=6)
    make_client(attempts=7, backoff=0.5, max_backoff=4, deadline=1000).me()
    assert bounds == [(0, 0.5), (0, 1), (0, 2), (0, 4), (0, 4), (0, 4)]
    assert clock.sleeps == [0.5, 1, 2, 4, 4, 4]


@pytest.mark.parametrize("retry_after, waited", [(3, 3), (120, 8.0)])
def test_too_many_requests_waits_as_told_up_to_the_cap(client, fake_prolific, clock, retry_after, waited):
    fake_prolific.fail("GET", r"^/users/me/$", status=429, retry_after=retry_after)
    client.me()
    assert clock.sleeps == [waited]


def test_persistent_failure_gives_up_after_the_attempts(make_client, fake_prolific, clock):
    fake_prolific.fail("GET", r"^/users/me/$", status=502, times=10)
    with pytest.raises(ProlificUnavailable) as failure:
        make_client(attempts=3).me()
    assert failure.value.status == 502 and "3 attempts" in str(failure.value)
    assert len(fake_prolific.requests_to("GET", r"^/users/me/$")) == 3


def test_retries_stop_at_the_deadline(make_client, fake_prolific, clock):
    fake_prolific.fail("GET", r"^/users/me/$", status=500, times=100)
    with pytest.raises(ProlificUnavailable):
        make_client(attempts=100, backoff=4, max_backoff=8, deadline=20).me()
    assert sum(clock.sleeps) < 20
    assert len(fake_prolific.requests_to("GET", r"^/users/me/$")) < 100


def test_a_read_that_times_out_is_retried(make_client, fake_prolific, study):
    fake_prolific.delay("GET", r"^/studies/\w+/$", seconds=0.5)
    assert make_client(timeout=0.2).get_study(study["id"])["id"] == study["id"]
    assert len(fake_prolific.requests_to("GET", r"^/studies/\w+/$")) == 2
    fake_prolific.wait_idle()


# Calls that move money are never repeated blindly


@pytest.fixture
def bonus_setup(client, fake_prolific, study):
    submission = finished_submission(fake_prolific, study)
    return client.bonus_setup(study["id"], f"{submission['participant_id']},2.00")


def test_paying_after_a_server_error_is_ambiguous_and_not_repeated(client, fake_prolific, bonus_setup, clock):
    fake_prolific.fail("POST", r"^/bulk-bonus-payments/\w+/pay/$", status=500)
    with pytest.raises(ProlificAmbiguous) as unknown:
        client.bonus_pay(bonus_setup["id"])
    assert "POST /bulk-bonus-payments/" in str(unknown.value) and unknown.value.status == 500
    assert len(fake_prolific.requests_to("POST", r"/pay/$")) == 1
    assert clock.sleeps == []


def test_paying_after_too_many_requests_is_retried_once_paid(client, fake_prolific, bonus_setup):
    fake_prolific.fail("POST", r"/pay/$", status=429, retry_after=1)
    client.bonus_pay(bonus_setup["id"])
    assert len(fake_prolific.requests_to("POST", r"/pay/$")) == 2
    assert len(fake_prolific.bonus_payments) == 1


def test_paying_that_times_out_is_ambiguous_even_when_it_paid(make_client, fake_prolific, bonus_setup):
    fake_prolific.delay("POST", r"/pay/$", seconds=0.6, apply=True)
    with pytest.raises(ProlificAmbiguous):
        make_client(timeout=0.2).bonus_pay(bonus_setup["id"])
    assert fake_prolific.wait_idle()
    assert len(fake_prolific.requests_to("POST", r"/pay/$")) == 1
    assert len(fake_prolific.bonus_payments) == 1  # it did pay: the caller must check, not repeat


def test_a_connection_dropped_after_sending_a_payment_is_ambiguous(client, fake_prolific, bonus_setup):
    fake_prolific.drop("POST", r"/pay/$", apply=True)
    with pytest.raises(ProlificAmbiguous):
        client.bonus_pay(bonus_setup["id"])
    assert len(fake_prolific.bonus_payments) == 1


def test_a_dropped_connection_on_a_read_is_retried(client, fake_prolific):
    fake_prolific.drop("GET", r"^/users/me/$")
    assert client.me()["id"] == fake_prolific.user_id


def test_a_call_that_never_connected_is_retried_even_when_not_idempotent(clock):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = ProlificClient(
        "token-value-123456", f"http://127.0.0.1:{port}/api/v1", attempts=3, sleep=clock.sleep, clock=clock
    )
    with pytest.raises(ProlificUnavailable) as failure:
        client.bonus_pay("0123456789abcdef01234567")
    assert "could not connect" in str(failure.value)
    assert len(clock.sleeps) == 2
