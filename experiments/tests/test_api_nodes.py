"""The node routes: a participant's node (and the hooks that make it), a node's neighbours,
vectors, connections, infos, transmissions and transformations, and GET /network/<id>."""

import pytest

from core.models import Info, Network, Node, Participant, ParticipantStatus, Transmission, Vector
from core.networks import Chain
from core.nodes import Agent, Source
from core.transformations import Replication
from experiments.experiment import Experiment
from experiments.tests.api_support import (
    SENDERS,
    assert_error,
    create_participant,
    hook_calls,
    hook_names,
    post_form,
    success,
)

NODE_KEYS = {
    "id", "creation_time", "failed", "failed_reason", "time_of_death", "details", "type",
    "network_id", "participant_id", "object_type",
    "property1", "property2", "property3", "property4", "property5",
}  # fmt: skip


@pytest.fixture
def classes(recording):
    """The recording experiment's module, for its own classes (Guess, Unlisted, Player, Rewrite)."""
    return recording().module


@pytest.fixture
def pair(classes, make_node):
    """Two Players, the first connected to the second, the first having made one info."""
    sender = make_node(classes.Player)
    receiver = make_node(classes.Player)
    sender.connect(whom=receiver)
    info = Info(origin=sender, contents="hello")
    info.save()
    return sender, receiver, info


def _node_for_new_participant(client) -> dict:
    participant = create_participant(client)["participant"]
    return success(client.post(f"/node/{participant['id']}"))["node"]


# POST /node/<participant_id> ---------------------------------------------------------------------


def test_node_is_made_by_the_experiments_hooks_in_order(client, recording):
    recording()
    participant = create_participant(client)["participant"]

    node = success(client.post(f"/node/{participant['id']}"))["node"]

    assert set(node) == NODE_KEYS
    assert (node["type"], node["object_type"], node["participant_id"]) == (
        "recording_player",
        "Node",
        participant["id"],
    )
    network_id = Network.objects.get().pk
    assert node["network_id"] == network_id
    assert hook_calls() == [
        {"hook": "get_network_for_participant", "participant": participant["id"], "network": network_id},
        {"hook": "create_node", "participant": participant["id"], "network": network_id, "node": node["id"]},
        {"hook": "add_node_to_network", "node": node["id"], "network": network_id, "property1": None},
        {"hook": "node_post_request", "participant": participant["id"], "node": node["id"]},
    ]


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_node_stores_details_and_properties_before_the_network_sees_it(client, recording, send):
    recording()
    participant = create_participant(client)["participant"]
    properties = {f"property{number}": f"value {number}" for number in range(1, 6)}

    node = success(send(client, f"/node/{participant['id']}", {"details": '{"colour": "red"}', **properties}))["node"]

    assert node["details"] == {"colour": "red"}
    assert {name: node[name] for name in properties} == properties
    stored = Node.objects.get(pk=node["id"])
    assert stored.details == {"colour": "red"}
    assert stored.property5 == "value 5"
    assert hook_calls("add_node_to_network")[0]["property1"] == "value 1"


def test_node_takes_details_as_an_object_in_a_json_body(client, recording):
    recording()
    participant = create_participant(client)["participant"]

    response = client.post(f"/node/{participant['id']}", {"details": {"a": [1, 2]}}, content_type="application/json")

    assert success(response)["node"]["details"] == {"a": [1, 2]}


@pytest.mark.parametrize("details", ["{broken", "[1, 2]"])
def test_node_refuses_details_that_are_not_a_json_object(client, recording, details):
    recording()
    participant = create_participant(client)["participant"]

    assert_error(post_form(client, f"/node/{participant['id']}", {"details": details}), 400, message="details")
    assert not Node.objects.exists()


def test_node_in_bartlett_joins_the_chain_and_receives_the_story(client, bartlett):
    node = _node_for_new_participant(client)

    infos = success(client.get(f"/node/{node['id']}/received_infos"))["infos"]
    assert len(infos) == 1
    source = Node.objects.get(type="war_of_the_ghosts_source")
    assert infos[0]["origin_id"] == source.pk
    stories = {path.read_text(encoding="utf-8").strip() for path in (bartlett.static_dir / "stimuli").glob("*.md")}
    assert infos[0]["contents"] in stories


def test_node_for_an_unknown_participant_is_refused(client, recording):
    recording()

    assert_error(client.post("/node/999"), 403, error_code="participant_not_found")
    assert hook_calls() == []


def test_node_for_a_participant_who_is_not_working_is_a_bad_request(client, recording):
    recording()
    participant = create_participant(client)["participant"]
    Participant.objects.filter(pk=participant["id"]).update(status=ParticipantStatus.SUBMITTED)

    body = assert_error(client.post(f"/node/{participant['id']}"), 400, message="submitted")

    assert f'name="participant_id" value="{participant["id"]}"' in body["html"]
    assert not Node.objects.exists()


def test_node_when_no_network_is_left_is_refused_with_a_code(client, recording):
    recording()
    participant = create_participant(client)["participant"]
    success(client.post(f"/node/{participant['id']}"))  # the only network, which nobody joins twice

    body = assert_error(client.post(f"/node/{participant['id']}"), 403, error_code="no_network_available")

    assert f'name="participant_id" value="{participant["id"]}"' in body["html"]
    assert Node.objects.count() == 1
    # A refusal changes nothing: even what the hooks wrote is rolled back.
    assert hook_names() == ["get_network_for_participant", "create_node", "add_node_to_network", "node_post_request"]


def test_node_when_every_network_is_full_is_refused(client, recording):
    recording(chain_length=1)
    _node_for_new_participant(client)
    late = create_participant(client)["participant"]

    assert_error(client.post(f"/node/{late['id']}"), 403, error_code="no_network_available")


@pytest.fixture
def two_chains(db, client, use_experiment):
    """Bartlett1932 with a second chain: (first chain, second chain)."""
    use_experiment("bartlett1932")
    client.post("/launch")
    first = Chain.objects.get()
    second = Chain(max_size=5)
    second.save()
    return first, second


def _first_chain_fills_as_it_is_chosen(monkeypatch, network, *, times: int) -> list:
    """The default choice picks `network` (the first `times` times) and, as it does, another
    participant fills it; the list of networks chosen."""
    chosen = []

    def choose(self, networks, participant):
        pick = next((n for n in networks if n.pk == network.pk), None) if len(chosen) < times else networks[-1]
        chosen.append(pick.pk)
        if pick.pk == network.pk:
            Network.objects.filter(pk=network.pk).update(full=True)  # seen by the locked read
        return pick

    monkeypatch.setattr(Experiment, "choose_network", choose)
    return chosen


def test_node_in_a_network_that_filled_up_after_it_was_chosen_goes_to_another(client, two_chains, monkeypatch):
    first, second = two_chains
    participant = create_participant(client)["participant"]
    chosen = _first_chain_fills_as_it_is_chosen(monkeypatch, first, times=1)

    node = success(client.post(f"/node/{participant['id']}"))["node"]

    assert chosen == [first.pk, second.pk]
    assert node["network_id"] == second.pk
    assert list(Node.objects.filter(participant_id=participant["id"]).values_list("network_id", flat=True)) == [
        second.pk
    ]
    # The attempt in the first chain was rolled back whole (its write with it).
    assert not Network.objects.get(pk=first.pk).full


def test_node_whose_chosen_network_filled_up_twice_is_refused_and_changes_nothing(client, two_chains, monkeypatch):
    first, _second = two_chains
    participant = create_participant(client)["participant"]
    chosen = _first_chain_fills_as_it_is_chosen(monkeypatch, first, times=2)

    assert_error(client.post(f"/node/{participant['id']}"), 403, error_code="no_network_available")

    assert chosen == [first.pk, first.pk]
    assert not Node.objects.filter(participant_id=participant["id"]).exists()
    assert Participant.objects.get(pk=participant["id"]).status == ParticipantStatus.WORKING


def test_node_whose_failed_save_a_hook_catches_and_ignores_ends_the_request_writing_nothing(
    client, two_chains, monkeypatch
):
    participant = create_participant(client)["participant"]

    def explode(self):
        raise RuntimeError("an experiment's network rule failed")

    def create_node_ignoring_errors(self, participant, network):
        node = Node(network=network, participant=participant)
        try:
            node.save()
        except RuntimeError:
            pass  # carrying on is not possible inside node creation: nothing to go back to
        return node

    monkeypatch.setattr(Network, "calculate_full", explode)
    monkeypatch.setattr(Experiment, "create_node", create_node_ignoring_errors)

    assert_error(client.post(f"/node/{participant['id']}"), 500)

    assert not Node.objects.filter(participant_id=participant["id"]).exists()


# GET /network/<id> ---------------------------------------------------------------------------


def test_network_answers_its_json_with_the_counts(client, bartlett):
    node = _node_for_new_participant(client)

    network = success(client.get(f"/network/{node['network_id']}"))["network"]

    assert network["type"] == "chain"
    assert network["object_type"] == "Network"
    assert (network["max_size"], network["full"], network["role"]) == (4, False, "experiment")
    assert {key: value for key, value in network.items() if key.startswith("n_")} == {
        "n_alive_nodes": 2,  # the story source and the participant's node
        "n_failed_nodes": 0,
        "n_completed_infos": 1,
        "n_failed_infos": 0,
        "n_pending_infos": 0,  # the story was received as the node joined
    }


def test_network_counts_failed_and_pending_objects(client, recording, make_node):
    recording()
    network = Chain(max_size=5)
    network.save()
    first, second = make_node(network=network), make_node(network=network)
    first.connect(whom=second)
    Info(origin=first, contents="sent").save()
    first.transmit()
    Info(origin=second, contents="lost").save()
    second.fail()

    counts = success(client.get(f"/network/{network.pk}"))["network"]

    assert (counts["n_alive_nodes"], counts["n_failed_nodes"]) == (1, 1)
    assert (counts["n_completed_infos"], counts["n_failed_infos"]) == (1, 1)
    assert counts["n_pending_infos"] == 0  # the transmission to the failed node failed with it


@pytest.mark.parametrize("network_id", ["999", "chain"])
def test_network_unknown_is_refused(client, recording, network_id):
    recording()
    assert_error(client.get(f"/network/{network_id}"), 403, error_code="network_not_found")


# GET /node/<id>/neighbors --------------------------------------------------------------------


def test_neighbors_follow_the_connection_asked_for(client, classes, make_node):
    first, second, third = make_node(classes.Player), make_node(classes.Player), make_node(Agent)
    first.connect(whom=[second, third])
    second.connect(whom=first)

    def neighbor_ids(node, **params):
        return [node["id"] for node in success(client.get(f"/node/{node.pk}/neighbors", params))["nodes"]]

    assert neighbor_ids(first) == [second.pk, third.pk]
    assert neighbor_ids(first, connection="from") == [second.pk]
    assert neighbor_ids(first, connection="both") == [second.pk]
    assert neighbor_ids(third, connection="either") == [first.pk]
    assert neighbor_ids(first, node_type="Agent") == [third.pk]
    assert neighbor_ids(first, node_type="Player") == [second.pk]
    assert hook_calls("node_get_request")[0] == {
        "hook": "node_get_request", "node": first.pk, "nodes": [second.pk, third.pk],
    }  # fmt: skip


@pytest.mark.parametrize(
    "params, message",
    [
        ({"node_type": "Banana"}, "known_classes"),
        ({"node_type": "Guess"}, "Node"),
        ({"connection": "sideways"}, "connection"),
        ({"failed": "False"}, "failed"),
    ],
)
def test_neighbors_refuses_bad_parameters(client, classes, make_node, params, message):
    node = make_node()
    assert_error(client.get(f"/node/{node.pk}/neighbors", params), 400, message=message)


# Every node route answers an unknown node the same way.
NODE_ROUTES = [
    ("get", "neighbors"),
    ("get", "vectors"),
    ("post", "connect/1"),
    ("get", "infos"),
    ("get", "received_infos"),
    ("get", "transmissions"),
    ("post", "transmit"),
    ("get", "transformations"),
]


@pytest.mark.parametrize("method, route", NODE_ROUTES)
def test_node_routes_refuse_an_unknown_node(client, recording, method, route):
    recording()
    response = getattr(client, method)(f"/node/999/{route}")
    assert_error(response, 400, error_code="node_not_found")


# GET /node/<id>/vectors ----------------------------------------------------------------------


def test_vectors_by_direction_and_failure(client, classes, make_node):
    first, second, third = make_node(), make_node(), make_node()
    outgoing = first.connect(whom=second)[0]
    incoming = third.connect(whom=first)[0]
    dead = first.connect(whom=third)[0]
    dead.fail()

    def vector_ids(**params):
        return [vector["id"] for vector in success(client.get(f"/node/{first.pk}/vectors", params))["vectors"]]

    assert vector_ids() == [outgoing.pk, incoming.pk]
    assert vector_ids(direction="outgoing") == [outgoing.pk]
    assert vector_ids(direction="incoming") == [incoming.pk]
    assert vector_ids(failed="True") == [dead.pk]
    assert vector_ids(failed="all") == [outgoing.pk, incoming.pk, dead.pk]
    vector = success(client.get(f"/node/{first.pk}/vectors", {"direction": "outgoing"}))["vectors"][0]
    assert (vector["origin_id"], vector["destination_id"], vector["network_id"]) == (
        first.pk,
        second.pk,
        first.network_id,
    )
    assert hook_calls("vector_get_request")[0] == {
        "hook": "vector_get_request", "node": first.pk, "vectors": [outgoing.pk, incoming.pk],
    }  # fmt: skip


@pytest.mark.parametrize("params", [{"direction": "sideways"}, {"failed": "maybe"}])
def test_vectors_refuses_bad_parameters(client, classes, make_node, params):
    assert_error(client.get(f"/node/{make_node().pk}/vectors", params), 400)


# POST /node/<id>/connect/<other_id> ----------------------------------------------------------


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_connect_creates_the_vectors_asked_for(client, classes, make_node, send):
    first, second = make_node(), make_node()
    first.connect(whom=second)

    response = send(client, f"/node/{first.pk}/connect/{second.pk}", {"direction": "both"})

    vectors = success(response)["vectors"]
    assert [(vector["origin_id"], vector["destination_id"]) for vector in vectors] == [(second.pk, first.pk)]
    assert Vector.objects.filter(failed=False).count() == 2
    assert hook_calls("vector_post_request") == [
        {"hook": "vector_post_request", "node": first.pk, "vectors": [vectors[0]["id"]]}
    ]


def test_connect_defaults_to_this_node_towards_the_other(client, classes, make_node):
    first, second = make_node(), make_node()

    vectors = success(client.post(f"/node/{first.pk}/connect/{second.pk}"))["vectors"]

    assert [(vector["origin_id"], vector["destination_id"]) for vector in vectors] == [(first.pk, second.pk)]


def test_connect_refuses_what_the_network_rules_forbid(client, classes, make_node, make_network):
    node, source = make_node(), make_node(Source)
    elsewhere = make_node(network=make_network())

    assert_error(client.post(f"/node/{node.pk}/connect/{source.pk}"), 400, message="Source")
    assert_error(client.post(f"/node/{node.pk}/connect/{node.pk}"), 400, message="itself")
    assert_error(client.post(f"/node/{node.pk}/connect/{elsewhere.pk}"), 400, message="network")
    assert_error(client.post(f"/node/{node.pk}/connect/999"), 400, error_code="node_not_found")
    assert_error(client.post(f"/node/{node.pk}/connect/{elsewhere.pk}", {"direction": "up"}), 400, message="direction")
    assert not Vector.objects.exists()


# GET /node/<id>/infos and /received_infos ----------------------------------------------------


def test_infos_lists_what_the_node_made_by_type(client, classes, make_node):
    node = make_node()
    plain = Info(origin=node, contents="plain")
    plain.save()
    guess = classes.Guess(origin=node, contents="guess")
    guess.save()
    Info(origin=node, contents="dead", failed=True).save()

    every = success(client.get(f"/node/{node.pk}/infos"))["infos"]
    guesses = success(client.get(f"/node/{node.pk}/infos", {"info_type": "Guess"}))["infos"]

    assert [info["id"] for info in every] == [plain.pk, guess.pk]
    assert [(info["id"], info["type"], info["contents"]) for info in guesses] == [
        (guess.pk, "recording_guess", "guess")
    ]
    assert hook_calls("info_get_request")[0] == {
        "hook": "info_get_request",
        "node": node.pk,
        "infos": [plain.pk, guess.pk],
    }


def test_received_infos_lists_only_what_arrived(client, pair):
    sender, receiver, info = pair
    sender.transmit(what=info, to_whom=receiver)

    assert success(client.get(f"/node/{receiver.pk}/received_infos"))["infos"] == []
    receiver.receive()
    infos = success(client.get(f"/node/{receiver.pk}/received_infos"))["infos"]
    assert [item["id"] for item in infos] == [info.pk]
    assert success(client.get(f"/node/{receiver.pk}/received_infos", {"info_type": "Guess"}))["infos"] == []


@pytest.mark.parametrize("route", ["infos", "received_infos"])
@pytest.mark.parametrize("info_type", ["Banana", "Unlisted", "Player"])
def test_info_lists_refuse_a_type_that_is_not_a_known_info_class(client, classes, make_node, route, info_type):
    assert_error(client.get(f"/node/{make_node().pk}/{route}", {"info_type": info_type}), 400, message=info_type)


# GET /node/<id>/transmissions ------------------------------------------------------------------


def test_reading_pending_incoming_transmissions_receives_them(client, pair):
    sender, receiver, info = pair
    transmission = sender.transmit()[0]

    transmissions = success(client.get(f"/node/{receiver.pk}/transmissions"))["transmissions"]

    assert [item["id"] for item in transmissions] == [transmission.pk]
    assert transmissions[0]["status"] == "received"
    assert transmissions[0]["receive_time"] is not None
    assert (transmissions[0]["info_id"], transmissions[0]["origin_id"]) == (info.pk, sender.pk)
    transmission.refresh_from_db()
    assert transmission.status == "received"
    assert hook_calls("transmission_get_request") == [
        {"hook": "transmission_get_request", "node": receiver.pk, "transmissions": [transmission.pk]}
    ]


@pytest.mark.parametrize(
    "node_index, params",
    [(0, {"direction": "outgoing"}), (1, {"status": "received"})],
    ids=["the sender reading", "only received asked for"],
)
def test_other_readings_leave_transmissions_pending(client, pair, node_index, params):
    transmission = pair[0].transmit()[0]

    success(client.get(f"/node/{pair[node_index].pk}/transmissions", params))

    transmission.refresh_from_db()
    assert transmission.status == "pending"


def test_transmissions_filter_by_direction_and_status(client, pair):
    sender, receiver, _ = pair
    transmission = sender.transmit()[0]

    outgoing = success(client.get(f"/node/{sender.pk}/transmissions", {"direction": "outgoing", "status": "pending"}))
    nothing_received = success(client.get(f"/node/{receiver.pk}/transmissions", {"status": "received"}))

    assert [item["id"] for item in outgoing["transmissions"]] == [transmission.pk]
    assert nothing_received["transmissions"] == []


@pytest.mark.parametrize("params", [{"direction": "to"}, {"status": "lost"}])
def test_transmissions_refuse_bad_parameters(client, pair, params):
    assert_error(client.get(f"/node/{pair[1].pk}/transmissions", params), 400)


# POST /node/<id>/transmit --------------------------------------------------------------------


@pytest.fixture
def star(classes, make_node):
    """A sender connected to a Player and to an Agent, holding one Info and one Guess."""
    sender = make_node(classes.Player)
    player, agent = make_node(classes.Player), make_node(Agent)
    sender.connect(whom=[player, agent])
    info = Info(origin=sender, contents="info")
    info.save()
    guess = classes.Guess(origin=sender, contents="guess")
    guess.save()
    return sender, player, agent, info, guess


def _sent(response):
    return sorted((item["info_id"], item["destination_id"]) for item in success(response)["transmissions"])


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_transmit_by_ids(client, star, send):
    sender, player, agent, info, guess = star

    assert _sent(send(client, f"/node/{sender.pk}/transmit", {"what": info.pk, "to_whom": agent.pk})) == [
        (info.pk, agent.pk)
    ]


def test_transmit_by_class_names(client, star):
    sender, player, agent, info, guess = star

    by_class = client.post(f"/node/{sender.pk}/transmit", {"what": "Guess", "to_whom": "Player"})

    assert _sent(by_class) == [(guess.pk, player.pk)]
    assert _sent(client.post(f"/node/{sender.pk}/transmit", {"what": "Info", "to_whom": "Agent"})) == sorted(
        [(info.pk, agent.pk), (guess.pk, agent.pk)]
    )


def test_transmit_without_what_or_whom_sends_everything_to_every_neighbour(client, star):
    sender, player, agent, info, guess = star

    sent = _sent(client.post(f"/node/{sender.pk}/transmit"))

    assert sent == sorted((i.pk, n.pk) for i in (info, guess) for n in (player, agent))
    assert hook_calls("transmission_post_request")[0]["transmissions"] == sorted(
        Transmission.objects.values_list("pk", flat=True)
    )


def test_transmit_stores_details_and_properties_on_the_transmissions(client, star):
    sender, player, agent, info, guess = star

    response = post_form(
        client,
        f"/node/{sender.pk}/transmit",
        {"what": info.pk, "details": '{"round": 2}', "property1": "first", "property5": "last"},
    )

    transmissions = success(response)["transmissions"]
    assert len(transmissions) == 2
    assert all(item["details"] == {"round": 2} and item["property1"] == "first" for item in transmissions)
    assert set(Transmission.objects.values_list("property5", flat=True)) == {"last"}


@pytest.mark.parametrize(
    "params, message",
    [
        ({"what": "Banana"}, "known_classes"),
        ({"what": "Unlisted"}, "known_classes"),
        ({"to_whom": "Vector"}, "known_classes"),
        ({"what": "Player"}, "Info"),
        ({"to_whom": "Guess"}, "Node"),
        ({"what": "999"}, "info"),
        ({"to_whom": "999"}, "node"),
    ],
)
def test_transmit_refuses_what_it_cannot_resolve(client, star, params, message):
    assert_error(client.post(f"/node/{star[0].pk}/transmit", params), 400, message=message)
    assert not Transmission.objects.exists()


def test_transmit_refuses_a_node_it_has_no_connection_to(client, star, make_node):
    sender = star[0]
    stranger = make_node()

    assert_error(client.post(f"/node/{sender.pk}/transmit", {"to_whom": stranger.pk}), 400, message="connection")
    assert not Transmission.objects.exists()


def test_transmit_refuses_an_info_the_node_did_not_make(client, star):
    sender, player, *_ = star
    foreign = Info(origin=player, contents="not yours")
    foreign.save()

    assert_error(client.post(f"/node/{sender.pk}/transmit", {"what": foreign.pk}), 400, message="origin")
    assert not Transmission.objects.exists()


# GET /node/<id>/transformations ----------------------------------------------------------------


def test_transformations_at_the_node_by_type(client, classes, make_node):
    node = make_node()
    info_in = Info(origin=node, contents="in")
    info_in.save()
    copies = []
    for transformation_class in (Replication, classes.Rewrite):
        info_out = Info(origin=node, contents="out")
        info_out.save()
        transformation = transformation_class(info_in=info_in, info_out=info_out)
        transformation.save()
        copies.append(transformation)

    every = success(client.get(f"/node/{node.pk}/transformations"))["transformations"]
    rewrites = success(client.get(f"/node/{node.pk}/transformations", {"transformation_type": "Rewrite"}))

    assert [item["id"] for item in every] == [copies[0].pk, copies[1].pk]
    assert [item["id"] for item in rewrites["transformations"]] == [copies[1].pk]
    item = every[0]
    assert (item["info_in_id"], item["node_id"], item["network_id"]) == (info_in.pk, node.pk, node.network_id)
    assert hook_calls("transformation_get_request")[0]["transformations"] == [copies[0].pk, copies[1].pk]


@pytest.mark.parametrize("transformation_type", ["Banana", "Info"])
def test_transformations_refuse_a_type_that_is_not_a_known_transformation(
    client, classes, make_node, transformation_type
):
    response = client.get(f"/node/{make_node().pk}/transformations", {"transformation_type": transformation_type})
    assert_error(response, 400, message=transformation_type)
