"""The Monitoring page and its data: login, the graph's pages and totals, infos on request,
statistics, bad queries, a fixed number of queries, and the experiment's hooks."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Info, Network, Node, Participant
from dashboard.monitoring import hooks
from dashboard.tests.study import build_study
from experiments.experiment import Experiment
from recruitment.payments.ledger import settlement_intend

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/monitoring/"
DATA = "/dashboard/monitoring/data/"
MONITORED = Path(__file__).resolve().parent / "experiments" / "monitored"


def data(client, **arguments) -> dict:
    response = client.get(DATA, arguments)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def graph_of(client, **arguments) -> dict:
    return data(client, **arguments)["graph"]


# Login ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, DATA, "/dashboard/monitoring/details/Node/1/"])
def test_every_monitoring_route_needs_a_staff_login(client, url):
    anonymous = client.get(url)
    get_user_model().objects.create_user("participant-like", password="a long passphrase here", is_staff=False)
    client.login(username="participant-like", password="a long passphrase here")
    not_staff = client.get(url)

    for response in (anonymous, not_staff):
        assert response.status_code == 302
        assert response["Location"].startswith("/dashboard/login/")


def test_the_page_carries_its_settings_as_json_and_only_script_files(admin_client):
    html = admin_client.get(PAGE).content.decode()

    settings = json.loads(re.search(r'<script id="monitoring-settings" type="application/json">(.*?)</script>',
                                    html, re.S).group(1))  # fmt: skip
    assert settings["dataUrl"] == DATA and settings["livePath"] == "/dashboard/live"
    assert settings["visOptions"] == {}
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts)
    assert "vendor/vis-network/vis-network.min.js" in html
    assert 'class="active"><a href="/dashboard/monitoring/" aria-current="page">Monitoring' in html


# The graph ---------------------------------------------------------------------------------


def test_the_graph_has_each_network_with_its_counts_its_nodes_and_vectors(admin_client):
    study = build_study(networks=2, agents=3, failed_every=3)
    first = study.networks[0]

    graph = graph_of(admin_client)

    assert [network["id"] for network in graph["networks"]] == [network.pk for network in study.networks]
    row = graph["networks"][0]
    assert (row["type"], row["role"], row["full"], row["failed"]) == ("chain", "experiment", False, False)
    assert (row["n_alive_nodes"], row["n_failed_nodes"]) == (3, 1)  # the source and 2 agents; 1 agent failed
    assert (row["n_completed_infos"], row["n_failed_infos"], row["n_pending_infos"]) == (3, 1, 0)
    nodes = [node for node in graph["nodes"] if node["network_id"] == first.pk]
    assert [node["id"] for node in nodes] == [node.pk for node in study.nodes[first.pk]]
    assert [node["source"] for node in nodes] == [True, False, False, False]
    assert [node["participant_status"] for node in nodes] == [None, "working", "working", "working"]
    assert [node["failed"] for node in nodes] == [False, False, False, True]
    vectors = {(vector["origin_id"], vector["destination_id"]) for vector in graph["vectors"]}
    chain = [node.pk for node in study.nodes[first.pk]]
    assert set(zip(chain, chain[1:])) <= vectors
    assert graph["infos"] == [] and graph["transmissions"] == []  # only on request
    assert graph["total"] == 2 and graph["page"] == 1


def test_a_big_network_sends_one_page_of_its_nodes_and_the_vectors_among_them(admin_client):
    study = build_study(agents=449)
    chain = [node.pk for node in study.nodes[study.networks[0].pk]]  # 450 nodes

    first = graph_of(admin_client)
    third = graph_of(admin_client, node_page=f"{study.networks[0].pk}:3", infos=study.networks[0].pk)

    assert [node["id"] for node in first["nodes"]] == chain[:200]
    assert first["networks"][0]["n_alive_nodes"] == 450  # the totals still count them all
    assert {(v["origin_id"], v["destination_id"]) for v in first["vectors"]} == set(zip(chain[:200], chain[1:200]))
    assert [node["id"] for node in third["nodes"]] == chain[400:]
    assert [node["position"] for node in third["nodes"]][:2] == [401, 402]
    assert {(v["origin_id"], v["destination_id"]) for v in third["vectors"]} == set(zip(chain[400:], chain[401:]))
    assert [info["origin_id"] for info in third["infos"]] == chain[400:]  # one each, of this page's nodes only


def test_networks_come_a_page_at_a_time_and_by_role_or_id(admin_client):
    practice = build_study(networks=2, agents=1, role="practice")
    experiment = build_study(networks=3, agents=1)

    second_page = graph_of(admin_client, per_page=2, page=2)
    by_role = graph_of(admin_client, network_roles="practice")
    by_id = graph_of(admin_client, network_ids=[experiment.networks[2].pk, practice.networks[0].pk])
    roles = data(admin_client)["roles"]

    all_ids = [network.pk for network in practice.networks + experiment.networks]
    assert [network["id"] for network in second_page["networks"]] == all_ids[2:4]
    assert second_page["total"] == 5
    assert [network["id"] for network in by_role["networks"]] == [network.pk for network in practice.networks]
    assert [network["id"] for network in by_id["networks"]] == [practice.networks[0].pk, experiment.networks[2].pk]
    assert roles == [{"role": "experiment", "count": 3, "full": 0, "failed": 0},
                     {"role": "practice", "count": 2, "full": 0, "failed": 0}]  # fmt: skip


def test_infos_and_their_transmissions_come_for_the_networks_asked_for(admin_client):
    study = build_study(networks=2, agents=2)
    asked, other = study.networks

    graph = graph_of(admin_client, infos=asked.pk)

    asked_infos = Info.objects.filter(network=asked).order_by("id")
    assert [info["id"] for info in graph["infos"]] == [info.pk for info in asked_infos]
    assert all("contents" not in info for info in graph["infos"])  # the details pane shows those
    assert {row["info_id"] for row in graph["transmissions"]} == {info.pk for info in asked_infos[:2]}
    assert all(row["status"] == "received" for row in graph["transmissions"])
    assert not [info for info in graph["infos"] if info["network_id"] == other.pk]


def test_collapsed_shows_networks_and_their_sources_only(admin_client):
    study = build_study(agents=3)

    graph = graph_of(admin_client, collapsed="true", infos=study.networks[0].pk)

    assert [node["id"] for node in graph["nodes"]] == [study.nodes[study.networks[0].pk][0].pk]
    assert graph["vectors"] == [] and graph["infos"] == []


# Statistics ----------------------------------------------------------------------------------


def test_statistics_count_participants_networks_payments_and_time(admin_client, make_participant):
    build_study(networks=1, agents=2, failed_every=2)
    approved = make_participant(status="approved")
    settlement_intend(participant=approved, recruit="none", bonus_reason="Thanks")

    answer = data(admin_client)

    panels = dict(answer["experiment_statistics"]["statistics"])
    assert dict(panels["Participants"]["entries"]) == {"working": 2, "approved": 1}
    assert panels["Nodes"] == {"entries": [["count", 3], ["failed", 1]]}
    assert dict(panels["Networks"]["entries"])["experiment"] == {"entries": [["count", 1], ["failed", 0]]}
    assert {(row["kind"], row["state"]) for row in answer["payments"]["ledger"]} >= {("base", "intended")}
    assert "committed" in answer["payments"]["budget"] and "cap" in answer["payments"]["budget"]
    points = answer["participants_over_time"]["points"]
    assert answer["participants_over_time"]["unit"] == "minute"
    assert points[-1]["joined"] == 3


def test_the_chart_counts_finished_participants_when_they_ended(admin_client, make_participant):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(hours=2)
    for minutes, ended in ((0, 30), (10, None), (50, 60)):
        make_participant(creation_time=start + timedelta(minutes=minutes),
                         end_time=start + timedelta(minutes=ended) if ended is not None else None)  # fmt: skip

    points = data(admin_client)["participants_over_time"]["points"]

    assert [(point["joined"], point["finished"]) for point in points] == [(1, 0), (2, 0), (2, 1), (3, 1), (3, 2)]


# Bad queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"colapsed": "1"}, "Unknown argument 'colapsed'"),
        ({"page": "0"}, "page must be at least 1"),
        ({"page": "two"}, "page must be a whole number"),
        ({"page": "9" * 5000}, "page must be a whole number"),
        ({"per_page": "51"}, "per_page must be from 1 to 50"),
        ({"nodes_per_page": "5000"}, "nodes_per_page must be from 1 to 1000"),
        ({"network_ids": "x"}, "network_ids must be a whole number"),
        ({"node_page": "3"}, "node_page is <network id>:<page>"),
        ({"node_page": "a:1"}, "node_page's network id must be a whole number"),
        ({"node_page": "1:0"}, "node_page's page must be at least 1"),
        ({"infos": [str(n) for n in range(1, 12)]}, "at most 10 networks"),
        ({"page": ["1", "2"]}, "page may be given once"),
        ({"network_roles": "r" * 27}, "at most 26 characters"),
    ],
)
def test_a_query_the_endpoint_cannot_use_is_refused_with_a_message(admin_client, arguments, message):
    response = admin_client.get(DATA, arguments)

    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert message in response.json()["message"]


# Queries ---------------------------------------------------------------------------------------


def test_the_data_costs_the_same_queries_whatever_the_size_of_the_record(admin_client, django_assert_max_num_queries):
    small = build_study(networks=1, agents=1)
    arguments = {"infos": [small.networks[0].pk], "transformations": "true"}
    data(admin_client, **arguments)  # the experiment instance is built and kept on the first request
    with CaptureQueriesContext(connection) as few:
        data(admin_client, **arguments)
    big = build_study(networks=12, agents=300, failed_every=7)
    arguments = {"infos": [network.pk for network in big.networks[:10]], "transformations": "true",
                 "node_page": f"{big.networks[1].pk}:2"}  # fmt: skip

    with django_assert_max_num_queries(len(few)):
        answer = data(admin_client, **arguments)

    # The small network, eight pages of 200 nodes, and the second page (101) of a 301-node network.
    assert len(answer["graph"]["nodes"]) == 2 + 8 * 200 + 101 and len(answer["graph"]["infos"]) == 1000
    # The login (2), the experiment (1), its statistics (5), the graph (7), the roles (1), the
    # ledger and budget (7), the chart (3).
    assert len(few) <= 26


# The experiment's hooks ---------------------------------------------------------------------


def test_an_experiments_own_structure_panels_and_options_are_used(admin_client, use_experiment):
    use_experiment(MONITORED)
    study = build_study(agents=3, failed_every=2)

    answer = data(admin_client)
    page = admin_client.get(PAGE).content.decode()

    graph = answer["graph"]
    assert graph["experiment_defined"] is True
    live = [node.pk for node in study.nodes[study.networks[0].pk] if not node.failed]
    assert [node["id"] for node in graph["nodes"]] == live
    assert graph["nodes"][1]["participant_status"] == "working"
    assert answer["experiment_statistics"] == {
        "panels_html": [["Progress", '<p class="progress">3 of 4 rounds <script>window.__panel = 1</script></p>']]
    }
    assert "{&quot;layout&quot;: {&quot;hierarchical&quot;: {&quot;direction&quot;: &quot;LR&quot;}}}" not in page
    assert '"visOptions": {"layout": {"hierarchical": {"direction": "LR"}}}' in page


def test_an_experiments_own_structure_is_paged_as_the_records_graph_is(admin_client, use_experiment):
    use_experiment(MONITORED)
    big = build_study(agents=449)  # 450 nodes in its one network
    small = build_study(networks=11, agents=1)
    chain_network = big.networks[0].pk
    chain = [node.pk for node in big.nodes[chain_network]]

    first = graph_of(admin_client)
    third_nodes = graph_of(admin_client, node_page=f"{big.networks[0].pk}:3")
    second = graph_of(admin_client, page=2)

    assert first["experiment_defined"] is True and first["total"] == 12
    assert [network["id"] for network in first["networks"]] == [big.networks[0].pk] + [
        network.pk for network in small.networks[:9]]  # fmt: skip
    assert [node["id"] for node in first["nodes"] if node["network_id"] == big.networks[0].pk] == chain[:200]
    assert first["node_totals"][str(big.networks[0].pk)] == 450
    big_vectors = {(v["origin_id"], v["destination_id"]) for v in first["vectors"] if v["origin_id"] in chain}
    assert big_vectors == set(zip(chain[:200], chain[1:200]))
    assert {info["origin_id"] for info in first["infos"]} <= {node["id"] for node in first["nodes"]}
    assert [node["id"] for node in third_nodes["nodes"] if node["network_id"] == big.networks[0].pk] == chain[400:]
    assert [network["id"] for network in second["networks"]] == [network.pk for network in small.networks[9:]]
    assert {node["network_id"] for node in second["nodes"]} == {network.pk for network in small.networks[9:]}


def test_vis_options_that_are_not_json_are_left_out(admin_client, monkeypatch):
    monkeypatch.setattr(Experiment, "node_visualization_options", lambda self: {"groups": {"a": {1, 2}}})

    response = admin_client.get(PAGE)

    assert response.status_code == 200 and '"visOptions": {}' in response.content.decode()


@pytest.mark.parametrize("hook", ["monitoring_statistics", "network_structure"])
def test_a_hook_answering_something_else_than_a_dict_is_named_on_the_page(admin_client, monkeypatch, hook):
    monkeypatch.setattr(Experiment, hook, lambda self, *args, **kw: ["not", "a", "dict"])
    if hook == "network_structure":  # the default is not called; an override is
        monkeypatch.setattr(hooks, "overrides", lambda experiment, name: name == hook)

    answer = data(admin_client)

    assert answer["problems"] == [f"The experiment's {hook}() returned a list, not a dict."]


def test_a_failing_hook_is_named_on_the_page_and_the_rest_still_shows(admin_client, monkeypatch):
    def broken(self, **kw):
        raise KeyError("rounds")

    monkeypatch.setattr(Experiment, "monitoring_statistics", broken)
    build_study(agents=1)

    answer = data(admin_client)

    assert answer["problems"] == ["The experiment's monitoring_statistics() failed: KeyError: 'rounds'"]
    assert answer["graph"]["networks"] and answer["experiment_statistics"] == {"statistics": []}


# Details -----------------------------------------------------------------------------------------


def details(client, object_type, pk):
    return client.get(f"/dashboard/monitoring/details/{object_type}/{pk}/")


def test_a_nodes_details_have_its_fields_and_its_participant_without_the_worker_id(admin_client):
    study = build_study(agents=1)
    node = study.nodes[study.networks[0].pk][1]
    Node.objects.filter(pk=node.pk).update(details={"answer": "<b>42</b>"})

    answer = details(admin_client, "Node", node.pk).json()

    fields = dict(answer["fields"]["entries"])
    assert fields["id"] == node.pk and fields["details"] == {"entries": [["answer", "<b>42</b>"]]}
    participant = dict(answer["participant"]["entries"])
    assert participant["status"] == "working" and participant["id"] == node.participant_id
    assert "worker_id" not in participant
    assert Participant.objects.get(pk=node.participant_id).worker_id not in json.dumps(answer)
    assert "html" not in answer


@pytest.mark.parametrize("object_type", ["Network", "Info", "Vector", "Transmission", "Participant"])
def test_each_kind_of_object_has_details(admin_client, object_type):
    build_study(agents=1)
    model = {"Network": Network, "Info": Info, "Participant": Participant}.get(object_type)
    if model is None:
        from core.models import Transmission, Vector

        model = {"Vector": Vector, "Transmission": Transmission}[object_type]

    answer = details(admin_client, object_type, model.objects.first().pk).json()

    assert answer["status"] == "success" and answer["object_type"] == object_type


@pytest.mark.parametrize(("object_type", "pk"), [("User", 1), ("__class__", 1), ("Node", 999999)])
def test_details_of_an_unknown_type_or_object_are_a_404(admin_client, object_type, pk):
    response = details(admin_client, object_type, pk)

    assert response.status_code == 404 and response.json()["status"] == "error"


def test_the_experiments_html_for_an_object_comes_with_its_details(admin_client, use_experiment):
    use_experiment(MONITORED)
    study = build_study(agents=1)
    node = study.nodes[study.networks[0].pk][1]

    answer = details(admin_client, "Node", node.pk).json()

    assert answer["html"] == f"<b>Node {node.pk}</b> <img src=x onerror=window.__xss=1>"
