"""The Experiment's monitoring hooks by default (Dallinger's names and shapes), which the
dashboard calls and experiments override."""

import ast
from pathlib import Path

import pytest

from core.models import Info, Network, Node, Transformation
from core.networks import Chain
from core.nodes import Agent, Source
from experiments.experiment import Experiment

pytestmark = pytest.mark.django_db

EXPERIMENTS_PACKAGE = Path(__file__).resolve().parents[1]


def chain_with_a_source(role="experiment"):
    network = Chain(role=role)
    network.save()
    source = Source(network=network)
    source.save()
    agent = Agent(network=network)
    agent.save()
    source.connect(whom=agent)
    return network, source, agent


def test_statistics_count_participants_by_status_networks_by_role_nodes_and_infos(make_participant):
    network, source, agent = chain_with_a_source()
    failed_network, _, _ = chain_with_a_source(role="practice")
    failed_network.fail()
    make_participant(status="approved")
    make_participant(status="bad_data")
    Info(origin=agent, contents="hello").save()

    statistics = Experiment().monitoring_statistics()

    assert list(statistics) == ["Participants", "Networks", "Nodes", "Infos"]
    assert statistics["Participants"] == {"approved": 1, "bad_data": 1}  # every status, not Dallinger's four
    assert statistics["Networks"] == {"experiment": {"count": 1, "failed": 0}, "practice": {"count": 1, "failed": 1}}
    assert statistics["Nodes"] == {"count": 4, "failed": 2}
    assert statistics["Infos"] == {"count": 1, "failed": 0}


@pytest.mark.parametrize(
    ("transformations", "shown"), [(["true"], True), (["false"], False), (None, False), (True, True)]
)
def test_transformations_are_counted_when_asked_for(transformations, shown):
    statistics = Experiment().monitoring_statistics(transformations=transformations)

    assert ("Transformations" in statistics) is shown


def test_the_default_panels_are_the_statistics_escaped():
    chain_with_a_source(role="<script>x</script>")

    panels = Experiment().monitoring_panels()

    assert list(panels) == ["Participants", "Networks", "Nodes", "Infos"]
    assert "<script>" not in panels["Networks"] and "&lt;script&gt;x&lt;/script&gt;" in panels["Networks"]
    assert panels["Nodes"] == '<span class="no-failures">2 total, 0 failed (0%)</span>'


def test_the_network_structure_has_dallingers_keys_and_filters():
    network, source, agent = chain_with_a_source()
    other, _, _ = chain_with_a_source(role="practice")
    Info(origin=agent, contents="hello").save()

    everything = Experiment().network_structure()
    practice = Experiment().network_structure(network_roles=["practice"])
    by_id = Experiment().network_structure(network_ids=[str(network.pk)])
    collapsed = Experiment().network_structure(network_ids=[network.pk], collapsed=["true"])

    assert set(everything) == {"networks", "nodes", "vectors", "infos", "participants", "trans"}
    assert [row["id"] for row in everything["networks"]] == [network.pk, other.pk]
    assert everything["networks"][0]["n_alive_nodes"] == 2 and everything["networks"][0]["object_type"] == "Network"
    assert [row["id"] for row in practice["networks"]] == [other.pk]
    assert [row["id"] for row in by_id["nodes"]] == [source.pk, agent.pk]
    assert by_id["vectors"] == [{"id": by_id["vectors"][0]["id"], "origin_id": source.pk, "destination_id": agent.pk,
                                 "failed": False}]  # fmt: skip
    assert [row["contents"] for row in by_id["infos"]] == ["hello"]
    assert [row["id"] for row in collapsed["nodes"]] == [source.pk]
    assert collapsed["vectors"] == collapsed["infos"] == collapsed["participants"] == collapsed["trans"] == []


def test_transformations_join_the_structure_when_asked_for():
    network, source, agent = chain_with_a_source()
    info = Info(origin=agent, contents="a")
    info.save()
    copy = Info(origin=agent, contents="a")
    copy.save()
    Transformation(info_in=info, info_out=copy, node=agent, network=network).save()

    assert Experiment().network_structure()["trans"] == []
    assert [row["info_in_id"] for row in Experiment().network_structure(transformations=["1"])["trans"]] == [info.pk]


def test_a_network_id_that_is_not_a_number_is_a_value_error():
    with pytest.raises(ValueError):
        Experiment().network_structure(network_ids=["seven"])


def test_node_visualization_html_is_the_objects_own_for_the_records_classes_only(monkeypatch):
    _, source, _ = chain_with_a_source()
    monkeypatch.setattr(Node, "visualization_html", "<b>a node</b>")

    assert Experiment().node_visualization_html("Node", source.pk) == "<b>a node</b>"
    assert Experiment().node_visualization_html("Node", str(source.pk)) == "<b>a node</b>"
    assert Experiment().node_visualization_html("Network", Network.objects.get().pk) == ""
    assert Experiment().node_visualization_html("Node", 999999) == ""
    assert Experiment().node_visualization_html("User", 1) == ""
    assert Experiment().node_visualization_html("Node", "x") == ""
    assert Experiment().node_visualization_options() == {}


def test_the_experiments_package_never_imports_the_dashboard():
    importers = []
    for path in EXPERIMENTS_PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "dashboard" or name.startswith("dashboard.") for name in names):
                importers.append(str(path.relative_to(EXPERIMENTS_PACKAGE)))
    assert importers == []
