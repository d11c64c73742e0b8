"""The experiment's own dashboard tabs and database actions (Dallinger's `dashboard_tab`,
`hidden_dashboards`, `organize_dashboard_tabs`, `dashboard_database_actions`)."""

import json
import logging
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client, RequestFactory

from core.models import Node
from dashboard import tabs

pytestmark = pytest.mark.django_db

EXPERIMENT = Path(__file__).resolve().parents[2] / "tests" / "experiments" / "dashboard_hooks"
ACTION = "/dashboard/database/action/"


@pytest.fixture
def experiment(use_experiment):
    return use_experiment(EXPERIMENT)


def route_names(ordered) -> list[str]:
    return [tab.route_name for tab in ordered]


# Tabs ---------------------------------------------------------------------------------------


def test_the_experiments_tabs_are_placed_hidden_and_organized_as_it_asks(experiment):
    ordered = tabs.tab_order(experiment.experiment_class)

    assert route_names(ordered) == [
        "dashboard.dashboard_monitoring",
        "dashboard.dashboard_scores",  # after_route="monitoring"
        "dashboard.dashboard_database",
        "dashboard.dashboard_logger",
        "dashboard.dashboard_notes",  # before_route="dashboard.dashboard_index" (Config)
        "dashboard.dashboard_index",
        "dashboard.raw",
        "dashboard.dashboard_elsewhere",  # after a tab that does not exist: last
        "dashboard.dashboard_core",
        "dashboard.dashboard_broken",
    ]  # Lifecycle hidden (hidden_dashboards), Development removed (organize_dashboard_tabs)


def test_without_an_experiment_the_tabs_are_the_dashboards_own():
    from experiments import runtime

    ordered = tabs.tab_order(runtime.active().experiment_class)

    assert route_names(ordered) == [f"dashboard.{route}" for _, route, _ in tabs.BUILTIN_TABS]


def test_the_navigation_links_the_experiments_tabs_and_their_menus(admin_client, experiment):
    request = RequestFactory().get("/dashboard/scores/")

    shown = {tab.title: tab for tab in tabs.tab_list(request)}

    assert shown["Scores"].url == "/dashboard/scores/" and shown["Scores"].active
    assert [(child.title, child.url) for child in shown["Scores"].children] == [
        ("Scores of A", "/dashboard/scores/?role=a"),
        ("Scores of B", "/dashboard/scores/?role=b"),
    ]
    assert shown["Raw"].url == "/dashboard/raw/" and shown["Notes"].url == "/dashboard/notes/"
    assert not shown["Database"].active and "Lifecycle" not in shown


def test_the_dashboard_pages_show_the_experiments_tabs(admin_client, experiment):
    html = admin_client.get("/dashboard/").content.decode()

    assert '<a href="/dashboard/scores/">Scores</a>' in html
    assert '<ul class="dashboard-subtabs"><li><a href="/dashboard/scores/?role=a">Scores of A</a></li>' in html


def test_hooks_that_fail_leave_the_dashboards_own_tabs(admin_client, experiment, monkeypatch, caplog):
    def broken(cls, tabs):
        raise RuntimeError("broken hook")

    monkeypatch.setattr(experiment.experiment_class, "organize_dashboard_tabs", classmethod(broken))

    with caplog.at_level(logging.ERROR, logger="dashboard.tabs"):
        html = admin_client.get("/dashboard/").content.decode()

    assert '<a href="/dashboard/" aria-current="page">Database</a>' in html and "Scores" not in html
    assert "could not be built" in caplog.text


def test_a_tab_page_shows_the_experiments_html_inside_the_dashboard(admin_client, experiment):
    html = admin_client.get("/dashboard/scores/", {"role": "<script>alert(1)</script>"}).content.decode()

    assert "<h2 id='scores'>Scores for role &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in html
    assert 'class="dashboard-tabs"' in html


def test_a_tab_page_returning_data_shows_it_as_escaped_json(admin_client, experiment):
    html = admin_client.get("/dashboard/raw/").content.decode()

    assert '&quot;text&quot;: &quot;&lt;b&gt;not bold&lt;/b&gt;&quot;' in html


def test_a_tab_page_whose_code_fails_says_so_inside_the_dashboard(admin_client, experiment, caplog):
    with caplog.at_level(logging.ERROR):
        response = admin_client.get("/dashboard/broken/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "The experiment&#x27;s tab dashboard_broken failed (RuntimeError). See the server log." in html
    assert 'class="dashboard-tabs"' in html and "Traceback" not in html
    assert "the experiment's tab has a bug" in caplog.text


def test_a_tab_page_takes_only_its_declared_methods(admin_client, experiment):
    assert admin_client.post("/dashboard/raw/").status_code == 405
    assert admin_client.post("/dashboard/notes/").json() == {"method": "POST", "class": "DashboardHooks"}
    assert admin_client.get("/dashboard/notes/").json()["method"] == "GET"


def test_a_tab_page_path_without_its_slash_is_redirected(admin_client, experiment):
    response = admin_client.get("/dashboard/scores")

    assert response.status_code == 301 and response["Location"] == "/dashboard/scores/"


def test_a_tab_page_needs_the_login(client, experiment):
    response = client.get("/dashboard/scores/")

    assert response.status_code == 302 and response["Location"].startswith("/dashboard/login/")


def test_a_tab_posted_form_needs_the_csrf_token(experiment, django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser("experimenter", "e@example.test", "pw"))

    assert client.post("/dashboard/notes/").status_code == 403


def test_the_tabs_leave_the_admins_own_pages_alone(admin_client, client, experiment):
    assert admin_client.get("/dashboard/unknown-tab/").status_code == 404
    assert admin_client.get("/dashboard/core/").status_code == 200
    assert client.get("/dashboard/login/").status_code == 200
    assert tabs.experiment_tab_method(experiment.experiment_class, "login") is None
    assert tabs.experiment_tab_method(experiment.experiment_class, "core") is None  # dashboard_core
    assert "Shadowing" not in {tab.title for tab in tabs.tab_list(RequestFactory().get("/dashboard/"))}


# Database actions ---------------------------------------------------------------------------


def post_action(client, name, body):
    return client.post(ACTION + name, data=body if isinstance(body, str) else json.dumps(body),
                        content_type="application/json")  # fmt: skip


def test_a_listed_action_runs_on_the_posted_rows(admin_client, experiment, make_node):
    node, other = make_node(), make_node()

    response = post_action(admin_client, "mark_rows", [{"id": node.pk, "object_type": "Node"}])

    assert response.status_code == 200
    assert response.json() == {"status": "success", "message": "Marked 1 nodes", "ids": [node.pk]}
    assert Node.objects.get(pk=node.pk).property1 == "marked" and Node.objects.get(pk=other.pk).property1 is None
    assert "Marked 1 nodes" in admin_client.get("/dashboard/").content.decode()  # shown on the next page
    assert LogEntry.objects.get().change_message == "ran the experiment's action mark_rows: 1 row(s): Marked 1 nodes"


def test_dashboard_fail_is_an_action_as_in_dallinger(admin_client, experiment, make_node):
    node = make_node()

    response = post_action(admin_client, "dashboard_fail", [{"id": str(node.pk), "object_type": "Node"}])

    assert response.json() == {"status": "success", "message": "Failed 1 Nodes"}
    assert Node.objects.get(pk=node.pk).failed


def test_an_unlisted_method_cannot_be_called(admin_client, experiment, make_node):
    node = make_node()

    response = post_action(admin_client, "unlisted", [{"id": node.pk, "object_type": "Node"}])

    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "Access to unlisted not allowed"}
    assert Node.objects.get(pk=node.pk).property3 is None


def test_a_listed_action_without_a_method_is_not_found(admin_client, experiment):
    response = post_action(admin_client, "not_a_method", [])

    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Method not_a_method not found"}


def test_an_action_that_refuses_the_rows_changes_nothing(admin_client, experiment, make_node):
    node = make_node()

    response = post_action(admin_client, "refuse_rows", [{"id": node.pk, "object_type": "Node"}])

    assert response.status_code == 400
    assert response.json()["message"] == "refuse_rows: these rows cannot be refused twice. Nothing was changed."
    assert Node.objects.get(pk=node.pk).property2 is None and not LogEntry.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "The body must be JSON: a list of rows, each an object."),
        ("", "The body must be a list of rows, each an object."),
        ('{"id": 1}', "The body must be a list of rows, each an object."),
        ("[1, 2]", "The body must be a list of rows, each an object."),
        ('[{"id": "x", "object_type": "Node"}]', "dashboard_fail: 'x' is not the id of a row. Nothing was changed."),
    ],
)
def test_a_malformed_body_is_refused(admin_client, experiment, make_node, body, message):
    node = make_node()

    response = post_action(admin_client, "dashboard_fail", body)

    assert response.status_code == 400 and response.json() == {"status": "error", "message": message}
    assert not Node.objects.get(pk=node.pk).failed


def test_the_action_route_takes_only_posts_with_the_login_and_the_csrf_token(
    client, admin_client, experiment, make_node, django_user_model
):
    node = make_node()
    body = [{"id": node.pk, "object_type": "Node"}]
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(django_user_model.objects.create_superuser("experimenter", "e@example.test", "pw"))

    assert admin_client.get(ACTION + "dashboard_fail").status_code == 405
    assert post_action(client, "dashboard_fail", body).status_code == 302
    assert post_action(checked, "dashboard_fail", body).status_code == 403
    assert not Node.objects.get(pk=node.pk).failed


def test_the_experiments_actions_are_offered_on_the_tables(admin_client, experiment, make_node):
    make_node()

    html = admin_client.get("/dashboard/core/node/").content.decode()

    assert '<option value="experiment:mark_rows">Mark rows</option>' in html
    assert '<option value="fail_selected">Fail selected rows (and what depends on them)</option>' in html
    assert "experiment:dashboard_fail" not in html and "experiment:unlisted" not in html


def test_an_experiments_action_asks_first_then_runs(admin_client, experiment, make_node):
    node = make_node()
    data = {"action": "experiment:mark_rows", "_selected_action": [node.pk]}

    page = admin_client.post("/dashboard/core/node/", {**data, "index": 0}).content.decode()
    assert "Run the experiment&#x27;s action “Mark rows” on this node?" in page
    assert Node.objects.get(pk=node.pk).property1 is None

    done = admin_client.post("/dashboard/core/node/", {**data, "confirmed": "yes"}, follow=True).content.decode()

    assert "Marked 1 nodes" in done and Node.objects.get(pk=node.pk).property1 == "marked"


def test_an_experiments_action_that_fails_changes_nothing_and_says_so(admin_client, experiment, make_node):
    node = make_node()
    data = {"action": "experiment:refuse_rows", "_selected_action": [node.pk], "confirmed": "yes"}

    page = admin_client.post("/dashboard/core/node/", data, follow=True).content.decode()

    assert "The action refuse_rows failed (ValueError: these rows cannot be refused twice); nothing was changed." in page
    assert Node.objects.get(pk=node.pk).property2 is None


def test_an_action_that_fails_with_a_bug_says_so_readably_and_keeps_nothing(admin_client, experiment, make_node, caplog):
    node = make_node()

    response = post_action(admin_client, "break_rows", [{"id": node.pk, "object_type": "Node"}])

    expected = ("The action break_rows failed (KeyError: 'a bug in the experiment'); nothing was changed. "
                "The server's log has the details.")  # fmt: skip
    assert response.status_code == 422
    assert response.json() == {"status": "error", "message": expected}
    assert Node.objects.get(pk=node.pk).property4 is None and not LogEntry.objects.exists()
    failure = next(record for record in caplog.records if record.getMessage() == "The database action break_rows failed.")
    assert failure.exc_info and failure.exc_info[0] is KeyError  # the traceback is in the log
    assert "break_rows failed (KeyError" in admin_client.get("/dashboard/").content.decode()  # and on the next page


def test_an_experiments_action_that_fails_with_a_bug_from_the_table_keeps_nothing(admin_client, experiment, make_node):
    node = make_node()
    data = {"action": "experiment:break_rows", "_selected_action": [node.pk], "confirmed": "yes"}

    page = admin_client.post("/dashboard/core/node/", data, follow=True)

    assert page.status_code == 200
    assert "The action break_rows failed (KeyError: &#x27;a bug in the experiment&#x27;); nothing was changed." in (
        page.content.decode())
    assert Node.objects.get(pk=node.pk).property4 is None
