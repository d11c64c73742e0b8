"""Every table of the record in the dashboard: its list and its rows' pages, readable JSON,
links between related rows, and what identifies a participant kept to their own page."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from core.models import Info, Network, Node, Notification, Participant, Question, Transmission, Vector
from core.nodes import Agent
from experiments.models import GroupSeat, Presence
from recruitment.models import Payment, SubmissionSettlement
from recruitment.payments.ledger import settlement_intend

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(make_participant, make_node, network):
    """A participant with a node, an info sent along a vector, answers and ledger rows."""
    participant = make_participant(worker_id="prolific-worker-77", base_pay=1.0)
    node = make_node(Agent, participant=participant, details={"score": 3, "nested": {"tags": ["a", "b"]}})
    other = make_node()
    vector = Vector.objects.create(origin=node, destination=other, network=network)
    info = Info.objects.create(origin=node, network=network, contents="hello")
    Transmission.objects.create(vector=vector, info=info, origin=node, destination=other, network=network)
    Question.objects.create(participant=participant, number=1, question="engagement", response='{"engagement": 5}')
    Notification.objects.create(assignment_id=participant.assignment_id, event_type="AssignmentSubmitted")
    Participant.objects.filter(pk=participant.pk).update(status="approved")
    settlement_intend(participant=participant, recruit="none", bonus_reason="Thanks")
    Presence.objects.create(participant=participant, sockets=1)
    GroupSeat.objects.create(participant=participant, network=network)
    return {"participant": participant, "node": node, "other": other, "info": info, "network": network}


def admin_urls(model):
    options = model._meta
    return f"admin:{options.app_label}_{options.model_name}_changelist", f"admin:{options.app_label}_{options.model_name}_change"


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda model: model._meta.label)
def test_every_table_lists_its_rows_and_shows_each_row(admin_client, record, model):
    list_name, change_name = admin_urls(model)
    row = model._meta.default_manager.first()

    listing = admin_client.get(reverse(list_name))

    assert listing.status_code == 200
    if row is not None:
        assert admin_client.get(reverse(change_name, args=[row.pk])).status_code == 200


def test_every_table_of_the_record_recruitment_and_runtime_is_there():
    labels = {model._meta.label for model in admin.site._registry}
    tables = {
        model._meta.label
        for app in ("core", "recruitment", "experiments")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.proxy  # a proxy's rows are listed with its table's
    }

    assert tables - labels == set()


def test_details_are_indented_json_in_a_pre(admin_client, record):
    html = admin_client.get(reverse("admin:core_node_change", args=[record["node"].pk])).content.decode()

    assert '<pre class="dashboard-json">{\n  &quot;nested&quot;: {\n    &quot;tags&quot;: [' in html


def test_the_polymorphic_type_is_shown(admin_client, record):
    html = admin_client.get(reverse("admin:core_node_changelist")).content.decode()

    assert '<td class="field-type">agent</td>' in html


def test_a_participants_page_links_to_their_nodes_infos_answers_and_payments(admin_client, record):
    participant = record["participant"]

    html = admin_client.get(reverse("admin:core_participant_change", args=[participant.pk])).content.decode()

    assert f'href="/dashboard/core/node/?participant={participant.pk}">nodes (1)</a>' in html
    assert f'href="/dashboard/core/info/?participant={participant.pk}">infos (1)</a>' in html
    assert f'href="/dashboard/core/question/?participant={participant.pk}">questions (1)</a>' in html
    assert f'href="/dashboard/recruitment/payment/?participant={participant.pk}">payments (2)</a>' in html


def test_a_related_list_holds_only_the_related_rows(admin_client, record):
    participant = record["participant"]

    html = admin_client.get(f"/dashboard/core/info/?participant={participant.pk}").content.decode()
    nodes = admin_client.get(f"/dashboard/core/node/?participant={participant.pk}").content.decode()

    assert f'href="/dashboard/core/info/{record["info"].pk}/change/' in html
    assert f'href="/dashboard/core/node/{record["node"].pk}/change/' in nodes
    assert f'href="/dashboard/core/node/{record["other"].pk}/change/' not in nodes
    assert f"participant {participant.pk}" in nodes  # the filter in use is shown


def test_a_node_links_to_its_network_and_participant_and_an_info_to_its_origin(admin_client, record):
    node = record["node"]

    node_page = admin_client.get(reverse("admin:core_node_change", args=[node.pk])).content.decode()
    info_list = admin_client.get(reverse("admin:core_info_changelist")).content.decode()

    assert f'href="/dashboard/core/network/{node.network_id}/change/"' in node_page
    assert f'href="/dashboard/core/participant/{node.participant_id}/change/"' in node_page
    assert f'href="/dashboard/core/info/?node={node.pk}">infos (1)</a>' in node_page
    assert f'<a href="/dashboard/core/node/{node.pk}/change/">{node.pk}</a>' in info_list


def test_a_payment_links_to_its_participant(admin_client, record):
    payment = Payment.objects.get(kind="base")

    listing = admin_client.get(reverse("admin:recruitment_payment_changelist")).content.decode()
    page = admin_client.get(reverse("admin:recruitment_payment_change", args=[payment.pk])).content.decode()

    link = f'<a href="/dashboard/core/participant/{payment.participant_id}/change/">{payment.participant_id}</a>'
    assert link in listing and link in page


@pytest.mark.parametrize("value", ["abc", "-1", "1 OR 1=1", ""])
def test_a_malformed_related_filter_is_refused_without_an_error(admin_client, record, value):
    response = admin_client.get("/dashboard/core/node/", {"participant": value})

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


def test_the_worker_id_is_on_the_participants_page_only(admin_client, record):
    participant = record["participant"]

    page = admin_client.get(reverse("admin:core_participant_change", args=[participant.pk])).content.decode()
    lists = [admin_client.get(reverse(admin_urls(model)[0])).content.decode() for model in admin.site._registry]

    assert "prolific-worker-77" in page
    assert all("prolific-worker-77" not in html for html in lists)


def test_a_participant_is_found_by_their_exact_worker_id(admin_client, record):
    participant = record["participant"]

    found = admin_client.get("/dashboard/core/participant/", {"q": "prolific-worker-77"}).content.decode()
    partial = admin_client.get("/dashboard/core/participant/", {"q": "prolific-worker"}).content.decode()

    assert f"/dashboard/core/participant/{participant.pk}/change/" in found
    assert f"/dashboard/core/participant/{participant.pk}/change/" not in partial


def test_the_settlement_ledger_row_is_listed(admin_client, record):
    settlement = SubmissionSettlement.objects.get()

    html = admin_client.get(reverse("admin:recruitment_submissionsettlement_changelist")).content.decode()

    assert settlement.key in html


def test_the_database_tab_stays_current_on_the_tables(admin_client, record):
    html = admin_client.get(reverse("admin:core_node_changelist")).content.decode()

    assert '<li class="active"><a href="/dashboard/" aria-current="page">Database</a>' in html


def test_networks_list_their_related_rows(admin_client, record):
    network = record["network"]

    html = admin_client.get(reverse("admin:core_network_change", args=[network.pk])).content.decode()

    assert f'href="/dashboard/core/node/?network={network.pk}">nodes (2)</a>' in html
    assert f'href="/dashboard/experiments/groupseat/?network={network.pk}">group seats (1)</a>' in html
    assert Network.objects.count() == 1 and Node.objects.count() == 2 and Participant.objects.count() == 1
