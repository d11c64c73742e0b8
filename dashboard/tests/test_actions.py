"""Actions on a selection of rows: each asks for confirmation, acts only on the confirmed POST,
and is recorded; fail (with the cascade), export (CSV, JSON), and refusal of bad input."""

import csv
import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from core.models import Info, Node, Participant
from core.nodes import Agent

pytestmark = pytest.mark.django_db

NODES = "/dashboard/core/node/"
PARTICIPANTS = "/dashboard/core/participant/"


def act(client, url, action, rows, **fields):
    """POST the list's action form for `rows`, as the action menu does."""
    data = {"action": action, "_selected_action": [row.pk for row in rows], "index": 0, **fields}
    return client.post(url, data)


def confirm(client, url, action, rows, **fields):
    """POST the confirmation page's form for `rows`."""
    data = {"action": action, "_selected_action": [row.pk for row in rows], "confirmed": "yes", **fields}
    return client.post(url, data)


@pytest.fixture
def node_with_info(make_participant, make_node):
    participant = make_participant()
    node = make_node(Agent, participant=participant)
    info = Info.objects.create(origin=node, network=node.network, contents="an answer")
    return node, info


def test_failing_asks_first_and_changes_nothing_until_confirmed(admin_client, node_with_info):
    node, info = node_with_info

    page = act(admin_client, NODES, "fail_selected", [node])

    assert page.status_code == 200
    html = page.content.decode()
    assert "Fail this node?" in html and 'name="confirmed" value="yes"' in html
    assert f'<a href="/dashboard/core/node/{node.pk}/change/">Agent {node.pk}</a>' in html
    node.refresh_from_db()
    assert not node.failed and not LogEntry.objects.exists()


def test_failing_a_node_fails_what_depends_on_it_and_is_recorded(admin_client, node_with_info):
    node, info = node_with_info

    response = confirm(admin_client, NODES, "fail_selected", [node])

    assert response.status_code == 302
    node.refresh_from_db()
    info.refresh_from_db()
    assert node.failed and info.failed and info.failed_reason == f"->Agent{node.pk}"
    page = admin_client.get(response["Location"]).content.decode()
    assert "Failed 1 Nodes" in page
    entry = LogEntry.objects.get()
    assert entry.change_message == f"failed rows: Node {node.pk}: Failed 1 Nodes"
    assert entry.object_id == str(node.pk)


def test_failing_rows_already_failed_says_so_as_dallinger_does(admin_client, node_with_info):
    node, _ = node_with_info
    node.fail()

    response = confirm(admin_client, NODES, "fail_selected", [node])

    assert "No nodes found to fail" in admin_client.get(response["Location"]).content.decode()


def test_failing_a_participant_leaves_their_status(admin_client, node_with_info):
    node, _ = node_with_info
    participant = node.participant

    confirm(admin_client, PARTICIPANTS, "fail_selected", [participant])

    participant.refresh_from_db()
    node.refresh_from_db()
    assert participant.failed and participant.status == "working" and node.failed


@pytest.mark.parametrize(
    "action",
    ["fail_selected", "export_selected", "approve_participants", "reject_participants", "bonus_participants"],
)
def test_every_action_needs_the_csrf_token(node_with_info, django_user_model, action):
    participant = node_with_info[0].participant
    user = django_user_model.objects.create_superuser("experimenter", "e@example.test", "pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = confirm(client, PARTICIPANTS, action, [participant], format="csv", amount="1.00", reason="x",
                       message="Bad work.", request_key="a-good-request-key")  # fmt: skip

    assert response.status_code == 403
    participant.refresh_from_db()
    assert participant.status == "working" and not participant.failed
    assert not LogEntry.objects.exists()


def test_an_action_needs_the_login(client, node_with_info):
    node, _ = node_with_info

    response = confirm(client, NODES, "fail_selected", [node])

    assert response.status_code == 302 and response["Location"].startswith("/dashboard/login/")
    node.refresh_from_db()
    assert not node.failed


@pytest.mark.parametrize("ids", [["abc"], ["1.5"], ["1; DROP TABLE node"], ["-3"]])
def test_malformed_row_ids_change_nothing_and_say_so(admin_client, node_with_info, ids):
    node, _ = node_with_info

    response = admin_client.post(
        NODES, {"action": "fail_selected", "_selected_action": ids, "confirmed": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert "Those are not ids of rows: nothing was done." in response.content.decode()
    node.refresh_from_db()
    assert not node.failed


def test_an_unknown_action_changes_nothing(admin_client, node_with_info):
    node, _ = node_with_info

    response = admin_client.post(
        NODES, {"action": "delete_selected", "_selected_action": [node.pk], "confirmed": "yes"}, follow=True
    )

    assert response.status_code == 200 and "No action selected." in response.content.decode()
    assert Node.objects.filter(pk=node.pk).exists()


def test_the_whole_filtered_list_can_be_failed(admin_client, make_node, network):
    nodes = [make_node() for _ in range(3)]

    page = admin_client.post(
        NODES + f"?network={network.pk}",
        {"action": "fail_selected", "_selected_action": [nodes[0].pk], "select_across": "1", "index": 0},
    )
    assert 'name="select_across" value="1"' in page.content.decode()
    admin_client.post(
        NODES + f"?network={network.pk}",
        {"action": "fail_selected", "_selected_action": [nodes[0].pk], "select_across": "1", "confirmed": "yes"},
    )

    assert Node.objects.filter(failed=True).count() == 3


def test_export_offers_csv_and_json_after_confirmation(admin_client, node_with_info):
    node, _ = node_with_info

    page = act(admin_client, NODES, "export_selected", [node]).content.decode()

    assert 'name="format" value="csv"' in page and 'name="format" value="json"' in page


def test_export_as_json_holds_the_selected_rows_as_dallinger_shows_them(admin_client, node_with_info, make_node):
    node, _ = node_with_info
    make_node()  # not selected

    response = confirm(admin_client, NODES, "export_selected", [node], format="json")

    assert response["Content-Disposition"].startswith('attachment; filename="node-')
    rows = json.loads(response.content)
    assert [(row["id"], row["type"], row["object_type"]) for row in rows] == [(node.pk, "agent", "Node")]
    assert LogEntry.objects.get().change_message == f"exported rows: Node {node.pk}: JSON"


def test_export_leaves_out_what_identifies_a_participant(admin_client, make_participant):
    participant = make_participant(worker_id="PROLIFIC-ABC", entry_information={"PROLIFIC_PID": "PROLIFIC-ABC"})

    exported = confirm(admin_client, PARTICIPANTS, "export_selected", [participant], format="json").content.decode()
    as_csv = confirm(admin_client, PARTICIPANTS, "export_selected", [participant], format="csv").content.decode()

    assert "PROLIFIC-ABC" not in exported and "PROLIFIC-ABC" not in as_csv
    assert json.loads(exported)[0]["assignment_id"] == participant.assignment_id


def test_export_as_csv_has_one_column_per_key_and_defuses_formulas(admin_client, make_node, network):
    node = make_node(details={"a": [1, 2]})
    info = Info.objects.create(origin=node, network=network, contents="=HYPERLINK(\"http://x\")")

    response = confirm(admin_client, "/dashboard/core/info/", "export_selected", [info], format="csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["id"] == str(info.pk) and rows[0]["origin_id"] == str(node.pk)
    assert rows[0]["contents"] == "'=HYPERLINK(\"http://x\")"
    node_rows = list(csv.DictReader(io.StringIO(
        confirm(admin_client, NODES, "export_selected", [node], format="csv").content.decode())))  # fmt: skip
    assert json.loads(node_rows[0]["details"]) == {"a": [1, 2]}


def test_tables_outside_the_record_can_be_exported_but_not_failed(admin_client, make_participant):
    from recruitment.models import Payment
    from recruitment.payments.ledger import settlement_intend

    participant = make_participant(worker_id="w-secret")
    settlement_intend(participant=participant, recruit="none", bonus_reason=None)
    payment = Payment.objects.get()

    exported = confirm(admin_client, "/dashboard/recruitment/payment/", "export_selected", [payment], format="json")
    failing = admin_client.post(
        "/dashboard/recruitment/payment/",
        {"action": "fail_selected", "_selected_action": [payment.pk], "confirmed": "yes"},
        follow=True,
    )

    assert json.loads(exported.content)[0]["state"] == "intended"
    assert "w-secret" not in exported.content.decode()
    assert "No action selected." in failing.content.decode()


def test_every_action_asks_first(admin_client, node_with_info):
    """No action of the participants' list acts on the first POST (the action menu's)."""
    participant = node_with_info[0].participant
    from dashboard.admin.participants import ParticipantAdmin

    names = [action.__name__ for action in ParticipantAdmin.actions]
    for name in names:
        response = act(admin_client, PARTICIPANTS, name, [participant])
        assert response.status_code == 200, name
        assert 'name="confirmed" value="yes"' in response.content.decode(), name
    participant.refresh_from_db()
    assert participant.status == "working" and not participant.failed
    assert not LogEntry.objects.exists()
    assert Participant.objects.count() == 1
