"""The Participant, Question and Network query APIs and their rules."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from core.infos import Gene, Meme
from core.models import Info, Network, Node, Participant, Question, Transformation
from core.nodes import Agent, Source
from core.transformations import Mutation


class SurveyQuestion(Question):
    """A question subclass, to filter on."""

    class Meta:
        app_label = "core_tests"


def make_info(origin, info_class=Info, **fields):
    info = info_class(origin=origin, **fields)
    info.save()
    return info


def make_question(participant, number=1, question_class=Question, **fields):
    fields = {"question": "q", "response": "r", **fields}
    question = question_class(participant=participant, number=number, **fields)
    question.save()
    return question


# Participant ----------------------------------------------------------------------------


def test_participant_unique_id_is_worker_and_assignment(make_participant):
    participant = make_participant(worker_id="W1", assignment_id="A9")

    assert Participant.objects.get(pk=participant.pk).unique_id == "W1:A9"


def test_participant_starts_working(make_participant):
    assert Participant.objects.get(pk=make_participant().pk).status == "working"


@pytest.mark.parametrize("status", ["finished", "WORKING", ""])
def test_participant_status_outside_the_list_is_refused_by_the_database(make_participant, status):
    participant = make_participant()

    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.filter(pk=participant.pk).update(status=status)

    assert Participant.objects.get(pk=participant.pk).status == "working"


@pytest.mark.parametrize(
    "status",
    [
        "working", "overrecruited", "submitted", "approved", "rejected", "returned",
        "abandoned", "did_not_attend", "bad_data", "missing_notification", "replaced",
    ],
)  # fmt: skip
def test_participant_accepts_every_dallinger_status(make_participant, status):
    participant = make_participant()
    participant.status = status
    participant.save()

    assert Participant.objects.get(pk=participant.pk).status == status


@pytest.fixture
def crowd(make_participant, network):
    """A participant with a live agent, a live node and a failed node, each holding an info."""
    participant = make_participant()
    agent = Agent(network=network, participant=participant)
    agent.save()
    node = Node(network=network, participant=participant)
    node.save()
    dead = Node(network=network, participant=participant)
    dead.save()
    Node(network=network, participant=make_participant()).save()
    gene, meme = make_info(agent, Gene), make_info(node, Meme)
    late = make_info(dead, contents="kept")
    dead.fail()
    return participant, agent, node, dead, gene, meme, late


def test_participant_nodes_by_type_and_failed(crowd):
    participant, agent, node, dead, *_ = crowd

    assert participant.nodes() == [agent, node]
    assert participant.nodes(type=Agent) == [agent]
    assert type(participant.nodes(type=Agent)[0]) is Agent
    assert participant.nodes(failed=True) == [dead]
    assert participant.nodes(failed="all") == [agent, node, dead]


def test_participant_nodes_rejects_bad_type_and_failed(make_participant):
    participant = make_participant()

    with pytest.raises(TypeError, match=r"is not a valid node type.$"):
        participant.nodes(type=Info)
    with pytest.raises(TypeError, match=r"is not a valid node type.$"):
        participant.nodes(type="agent")
    with pytest.raises(ValueError, match="^yes is not a valid node failed$"):
        participant.nodes(failed="yes")


def test_participant_infos_come_from_all_their_nodes_and_filter_on_the_info(crowd):
    participant, agent, node, dead, gene, meme, late = crowd

    assert participant.infos() == [gene, meme]
    assert participant.infos(type=Gene) == [gene]
    assert participant.infos(failed=True) == [late]
    assert participant.infos(failed="all") == [gene, meme, late]


def test_participant_infos_rejects_bad_type_and_failed(make_participant):
    participant = make_participant()

    with pytest.raises(TypeError):
        participant.infos(type=Node)
    with pytest.raises(ValueError):
        participant.infos(failed="yes")


def test_participant_questions_include_failed_ones_and_filter_by_type(make_participant):
    participant = make_participant()
    first = make_question(participant, 1)
    survey = make_question(participant, 2, SurveyQuestion)
    withdrawn = make_question(participant, 3)
    withdrawn.fail()
    make_question(make_participant(), 1)

    assert participant.questions() == [first, survey, withdrawn]
    assert participant.questions(type=SurveyQuestion) == [survey]
    assert type(participant.questions(type=SurveyQuestion)[0]) is SurveyQuestion


def test_participant_questions_rejects_bad_type(make_participant):
    with pytest.raises(TypeError, match=r"is not a valid question type.$"):
        make_participant().questions(type=Participant)


# Question -------------------------------------------------------------------------------


def test_failed_participant_cannot_create_a_question(make_participant):
    participant = make_participant()
    participant.fail()

    with pytest.raises(ValueError, match=rf"^{participant!r} cannot create a question as it has failed$"):
        make_question(participant)

    assert Question.objects.count() == 0


def test_participant_who_is_no_longer_working_can_still_answer(make_participant):
    participant = make_participant(status="submitted")

    question = make_question(participant, 1, response='{"engagement": 4}')

    assert Question.objects.get(pk=question.pk).response == '{"engagement": 4}'


def test_failed_participant_question_can_still_be_updated(make_participant):
    participant = make_participant()
    question = make_question(participant)
    participant.fail()
    question.refresh_from_db()

    question.response = "changed"
    question.save()

    assert Question.objects.get(pk=question.pk).response == "changed"


# Network --------------------------------------------------------------------------------


@pytest.fixture
def populated(network, make_node, make_participant):
    """Agents a (of a participant) and b, a plain node, a failed node; a → b carrying infos."""
    participant = make_participant()
    a = make_node(Agent, participant=participant)
    b = make_node(Agent)
    plain = make_node()
    dead = make_node()
    dead.fail()
    [vector] = a.connect(b)
    gene, meme = make_info(a, Gene), make_info(a, Meme)
    return network, participant, a, b, plain, dead, vector, gene, meme


def test_network_nodes_by_type_failed_and_participant(populated):
    network, participant, a, b, plain, dead, *_ = populated

    assert network.nodes() == [a, b, plain]
    assert network.nodes(type=Agent) == [a, b]
    assert network.nodes(failed=True) == [dead]
    assert network.nodes(failed="all") == [a, b, plain, dead]
    assert network.nodes(participant_id=participant.pk) == [a]
    assert network.nodes(type=Source) == []


def test_network_nodes_rejects_bad_type_and_failed(network):
    with pytest.raises(TypeError, match=r"is not a valid node type.$"):
        network.nodes(type=Info)
    with pytest.raises(ValueError, match="^often is not a valid node failed$"):
        network.nodes(failed="often")


def test_network_nodes_exclude_other_networks(populated, make_network, make_node):
    network = populated[0]
    elsewhere = make_network()
    make_node(network=elsewhere)

    assert len(network.nodes()) == 3
    assert len(elsewhere.nodes()) == 1


def test_network_size_counts_nodes(populated):
    network = populated[0]

    assert network.size() == 3
    assert network.size(type=Agent) == 2
    assert network.size(failed=True) == 1
    assert network.size(failed="all") == 4
    with pytest.raises(ValueError):
        network.size(failed="often")


def test_network_infos_by_type_and_failed(populated):
    network, participant, a, b, plain, dead, vector, gene, meme = populated
    meme.fail()

    assert network.infos() == [gene]
    assert network.infos(type=Meme, failed=True) == [meme]
    assert network.infos(failed="all") == [gene, meme]
    with pytest.raises(ValueError, match="^often is not a valid failed$"):
        network.infos(failed="often")


def test_network_transmissions_by_status_and_failed(populated):
    network, participant, a, b, plain, dead, vector, gene, meme = populated
    [received] = a.transmit(what=gene, to_whom=b)
    [pending] = a.transmit(what=meme, to_whom=b)
    [revoked] = a.transmit(what=meme, to_whom=b)
    b.receive(what=received)
    revoked.fail()

    assert network.transmissions() == [received, pending]
    assert network.transmissions(status="received") == [received]
    assert network.transmissions(status="pending") == [pending]
    assert network.transmissions(status="pending", failed=True) == [revoked]
    assert network.transmissions(failed="all") == [received, pending, revoked]


def test_network_transmissions_rejects_bad_status_and_failed(network):
    with pytest.raises(ValueError) as error:
        network.transmissions(status="lost")
    assert str(error.value) == (
        "You cannot get transmission of status lost.Status can only be pending, received or all"
    )
    with pytest.raises(ValueError, match="^often is not a valid failed$"):
        network.transmissions(failed="often")


def test_network_transformations_by_type_and_failed(populated):
    network, participant, a, b, plain, dead, vector, gene, meme = populated
    plain_transformation = Transformation(info_in=gene, info_out=meme)
    plain_transformation.save()
    mutation = Mutation(info_in=meme, info_out=gene)
    mutation.save()
    mutation.fail()

    assert network.transformations() == [plain_transformation]
    assert network.transformations(type=Mutation, failed=True) == [mutation]
    assert network.transformations(failed="all") == [plain_transformation, mutation]
    with pytest.raises(TypeError):
        network.transformations(type=Info)
    with pytest.raises(ValueError):
        network.transformations(failed="often")


def test_network_vectors_by_failed(populated):
    network, participant, a, b, plain, dead, vector, *_ = populated
    [spare] = b.connect(plain)
    spare.fail()

    assert network.vectors() == [vector]
    assert network.vectors(failed=True) == [spare]
    assert network.vectors(failed="all") == [vector, spare]
    with pytest.raises(ValueError):
        network.vectors(failed="often")


def test_latest_transmission_recipient_is_the_destination_of_the_last_received(populated):
    network, participant, a, b, plain, dead, vector, gene, meme = populated
    assert network.latest_transmission_recipient() is None
    a.connect(plain)
    [to_b] = a.transmit(what=gene, to_whom=b)
    [to_plain] = a.transmit(what=gene, to_whom=plain)
    [pending] = a.transmit(what=meme, to_whom=plain)
    b.receive(what=to_b)
    plain.receive(what=to_plain)

    assert network.latest_transmission_recipient() == plain
    to_b.receive_time = to_plain.receive_time + datetime.timedelta(seconds=1)
    to_b.save()
    latest = network.latest_transmission_recipient()
    assert latest == b and type(latest) is Agent


def test_latest_transmission_recipient_ignores_failed_transmissions(populated):
    network, participant, a, b, plain, dead, vector, gene, meme = populated
    [transmission] = a.transmit(what=gene, to_whom=b)
    b.receive()
    transmission.refresh_from_db()
    transmission.fail()

    assert network.latest_transmission_recipient() is None


def test_base_network_add_node_is_not_implemented(network, make_node):
    with pytest.raises(NotImplementedError):
        network.add_node(make_node())


def test_network_with_max_size_zero_is_always_full(make_network):
    network = make_network(max_size=0)

    network.calculate_full()

    assert network.full is True
    assert Network.objects.get(pk=network.pk).full is True


def test_calculate_full_counts_only_live_nodes(make_network, make_node):
    network = make_network(max_size=2)
    first = make_node(network=network)
    make_node(network=network)
    assert network.full is True

    first.fail()
    network.calculate_full()

    assert network.full is False
    assert Network.objects.get(pk=network.pk).full is False
    make_node(network=network)
    assert Network.objects.get(pk=network.pk).full is True


def test_network_defaults(network):
    stored = Network.objects.get(pk=network.pk)

    assert (stored.max_size, stored.full, stored.role, stored.type) == (1_000_000, False, "default", "network")
