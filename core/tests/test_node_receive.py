"""Node actions on arriving information (`receive`, `update`, `replicate`, `mutate`) and the built-in node types."""

import datetime

import pytest
from django.utils import timezone

from core.infos import Gene, State
from core.models import Info, Node, Transformation, Transmission
from core.nodes import Agent, Environment, RandomBinaryStringSource, ReplicatorAgent, Source
from core.transformations import Mutation, Replication


class RecordingNode(Node):
    """Remembers every batch of infos passed to `update`."""

    class Meta:
        app_label = "core_tests"

    def update(self, infos):
        super().update(infos)
        self.__dict__.setdefault("batches", []).append(list(infos))


class FussyNode(Node):
    """Rejects whatever it is sent."""

    class Meta:
        app_label = "core_tests"

    def update(self, infos):
        raise RuntimeError("not today")


class ReversibleInfo(Info):
    """An info whose mutation is its contents reversed."""

    class Meta:
        app_label = "core_tests"

    def _mutated_contents(self):
        return self.contents[::-1]


class ContentlessSource(Source):
    """A source that forgot to define `_contents`."""

    class Meta:
        app_label = "core_tests"


def make_info(origin, info_class=Info, **fields):
    info = info_class(origin=origin, **fields)
    info.save()
    return info


@pytest.fixture
def inbox(make_node):
    """A recording node with three transmissions waiting from `sender`: two pending, one failed."""
    sender, receiver = make_node(), make_node(RecordingNode)
    sender.connect(receiver)
    first, second, revoked = (make_info(sender, contents=text) for text in ("one", "two", "gone"))
    t1, t2, t_revoked = (sender.transmit(what=info, to_whom=receiver)[0] for info in (first, second, revoked))
    t_revoked.fail()
    return sender, receiver, (first, second), (t1, t2, t_revoked)


# receive() ------------------------------------------------------------------------------


def test_receive_marks_every_pending_live_transmission_received(inbox):
    sender, receiver, infos, (t1, t2, t_revoked) = inbox
    before = timezone.now()

    received = receiver.receive()

    assert received == [t1, t2]
    for transmission in (t1, t2):
        transmission.refresh_from_db()
        assert transmission.status == "received"
        assert timezone.is_aware(transmission.receive_time)
        assert transmission.receive_time >= before
    t_revoked.refresh_from_db()
    assert (t_revoked.status, t_revoked.receive_time) == ("pending", None)


def test_receive_passes_the_received_infos_to_update(inbox):
    sender, receiver, (first, second), transmissions = inbox

    receiver.receive()

    assert receiver.batches == [[first, second]]


def test_receive_with_nothing_pending_receives_nothing(inbox):
    sender, receiver, infos, transmissions = inbox
    receiver.receive()

    assert receiver.receive() == []
    assert receiver.batches[-1] == []


def test_receive_a_specific_transmission_receives_only_it(inbox):
    sender, receiver, (first, second), (t1, t2, t_revoked) = inbox

    received = receiver.receive(what=t2)

    assert received == [t2]
    assert t2.status == "received" and t2.receive_time is not None
    assert Transmission.objects.get(pk=t2.pk).status == "received"
    assert Transmission.objects.get(pk=t1.pk).status == "pending"
    assert receiver.batches == [[second]]
    assert receiver.received_infos() == [second]


def test_receive_a_transmission_already_received_raises(inbox):
    sender, receiver, infos, (t1, t2, t_revoked) = inbox
    receiver.receive(what=t1)

    message = rf"^{receiver!r} cannot receive {t1!r} as it is not in its pending_transmissions$"
    with pytest.raises(ValueError, match=message):
        receiver.receive(what=t1)


def test_receive_a_failed_transmission_raises(inbox):
    sender, receiver, infos, (t1, t2, t_revoked) = inbox

    with pytest.raises(ValueError, match="not in its pending_transmissions"):
        receiver.receive(what=t_revoked)


def test_receive_a_transmission_addressed_to_another_node_raises_and_leaves_it_pending(inbox, make_node):
    sender, receiver, infos, (t1, t2, t_revoked) = inbox
    bystander = make_node()

    with pytest.raises(ValueError, match="not in its pending_transmissions"):
        bystander.receive(what=t1)

    assert Transmission.objects.get(pk=t1.pk).status == "pending"


@pytest.mark.parametrize("not_a_transmission", ["t1", 7])
def test_receive_something_that_is_not_a_transmission_raises(inbox, not_a_transmission):
    sender, receiver, infos, transmissions = inbox

    with pytest.raises(ValueError, match=rf"^Nodes cannot receive {not_a_transmission!r}$"):
        receiver.receive(what=not_a_transmission)


def test_receive_an_info_instead_of_a_transmission_raises(inbox):
    sender, receiver, (first, second), transmissions = inbox

    with pytest.raises(ValueError, match="^Nodes cannot receive"):
        receiver.receive(what=first)


def test_failed_node_cannot_receive(inbox):
    sender, receiver, infos, (t1, t2, t_revoked) = inbox
    receiver.fail()

    with pytest.raises(ValueError, match=rf"^{receiver!r} cannot receive as it has failed.$"):
        receiver.receive()
    with pytest.raises(ValueError, match="cannot receive as it has failed"):
        receiver.receive(what=t1)


def test_receive_is_undone_when_update_raises(make_node):
    sender, fussy = make_node(), make_node(FussyNode)
    sender.connect(fussy)
    [transmission] = sender.transmit(what=make_info(sender), to_whom=fussy)

    with pytest.raises(RuntimeError):
        fussy.receive()

    assert Transmission.objects.get(pk=transmission.pk).status == "pending"


# update() -------------------------------------------------------------------------------


def test_update_is_a_no_op_on_a_live_node(make_node):
    node = make_node()

    assert node.update([make_info(node)]) is None


def test_failed_node_cannot_update(make_node):
    node = make_node()
    node.fail()

    with pytest.raises(ValueError, match=rf"^{node!r} cannot update as it has failed.$"):
        node.update([])


# replicate() and mutate() ---------------------------------------------------------------


@pytest.fixture
def delivered(make_node):
    """A gene sent from one agent to another and received there."""
    sender, receiver = make_node(Agent), make_node(Agent)
    sender.connect(receiver)
    gene = make_info(sender, Gene, contents="ACGT")
    [transmission] = sender.transmit(what=gene, to_whom=receiver)
    receiver.receive(what=transmission)
    return sender, receiver, gene


def test_replicate_makes_a_copy_of_the_same_class_and_records_a_replication(delivered):
    sender, receiver, gene = delivered

    copy = receiver.replicate(gene)

    copy.refresh_from_db()
    assert type(copy) is Gene
    assert (copy.contents, copy.origin_id, copy.network_id) == ("ACGT", receiver.pk, receiver.network_id)
    [replication] = receiver.transformations()
    assert type(replication) is Replication
    assert (replication.info_in_id, replication.info_out_id, replication.node_id) == (gene.pk, copy.pk, receiver.pk)
    assert receiver.infos() == [copy]


def test_replicate_works_on_an_info_made_at_the_same_node(make_node):
    node = make_node()
    original = make_info(node, contents="x")

    copy = node.replicate(original)

    assert copy.contents == "x"
    assert node.transformations(type=Replication)[0].info_in_id == original.pk


def test_replicate_an_info_not_received_here_raises_and_creates_nothing(make_node):
    sender, stranger = make_node(), make_node()
    original = make_info(sender, contents="x")

    with pytest.raises(ValueError, match="as they are not at the same node"):
        stranger.replicate(original)

    assert stranger.infos() == []


def test_mutate_makes_a_mutated_copy_and_records_a_mutation(make_node):
    node = make_node()
    original = make_info(node, ReversibleInfo, contents="abc")

    mutant = node.mutate(original)

    assert type(mutant) is ReversibleInfo
    assert Info.objects.get(pk=mutant.pk).contents == "cba"
    [mutation] = node.transformations()
    assert type(mutation) is Mutation
    assert (mutation.info_in_id, mutation.info_out_id) == (original.pk, mutant.pk)


def test_mutate_a_base_info_raises_not_implemented_and_creates_nothing(make_node):
    node = make_node()
    original = make_info(node, contents="abc")

    with pytest.raises(NotImplementedError, match="_mutated_contents needs to be overwritten in class"):
        node.mutate(original)

    assert node.infos() == [original]
    assert Transformation.objects.count() == 0


def test_failed_node_cannot_replicate_or_mutate(make_node):
    node = make_node()
    original = make_info(node, ReversibleInfo, contents="abc")
    node.fail()

    with pytest.raises(ValueError, match=rf"^{node!r} cannot replicate as it has failed.$"):
        node.replicate(original)
    with pytest.raises(ValueError, match=rf"^{node!r} cannot mutate as it has failed.$"):
        node.mutate(original)


# Sources --------------------------------------------------------------------------------


def test_source_what_creates_a_new_info_holding_its_contents(make_node):
    source = make_node(RandomBinaryStringSource)

    first, second = source._what(), source._what()

    assert first.pk != second.pk
    assert source.infos() == [first, second]
    assert all(len(info.contents) == 2 and set(info.contents) <= {"0", "1"} for info in (first, second))


def test_source_transmit_sends_a_fresh_info_each_time(make_node):
    source, agent = make_node(RandomBinaryStringSource), make_node(Agent)
    source.connect(agent)

    [first] = source.transmit()
    [second] = source.transmit()

    assert first.info_id != second.info_id
    assert first.destination_id == second.destination_id == agent.pk
    assert {info.pk for info in source.infos()} == {first.info_id, second.info_id}


def test_source_cannot_receive(make_node):
    source = make_node(RandomBinaryStringSource)

    with pytest.raises(Exception, match="^Sources cannot receive transmissions.$"):
        source.receive()


def test_source_without_contents_raises_not_implemented(make_node):
    source, agent = make_node(ContentlessSource), make_node(Agent)
    source.connect(agent)

    with pytest.raises(NotImplementedError):
        source.transmit()

    assert Info.objects.count() == 0


# Built-in node types --------------------------------------------------------------------


def test_replicator_agent_replicates_what_it_receives(make_node):
    sender, replicator = make_node(Agent), make_node(ReplicatorAgent)
    sender.connect(replicator)
    gene = make_info(sender, Gene, contents="GATTACA")
    sender.transmit()

    replicator.receive()

    [copy] = replicator.infos()
    assert type(copy) is Gene and copy.contents == "GATTACA"
    [replication] = replicator.transformations(type=Replication)
    assert (replication.info_in_id, replication.info_out_id) == (gene.pk, copy.pk)


def test_agent_fitness_and_generation_round_trip(make_node):
    agent = make_node(Agent)
    assert (agent.fitness, agent.generation) == (None, None)

    agent.fitness = 0.75
    agent.generation = 3
    agent.save()

    stored = Node.objects.get(pk=agent.pk)
    assert type(stored) is Agent
    assert stored.fitness == 0.75 and isinstance(stored.fitness, float)
    assert stored.generation == 3 and isinstance(stored.generation, int)
    stored.fitness = None
    stored.save()
    assert Node.objects.get(pk=agent.pk).fitness is None


def test_environment_state_is_its_latest_state_info(make_node):
    environment = make_node(Environment)
    assert environment.state() is None

    early = make_info(environment, State, contents="cold")
    make_info(environment, Info, contents="not a state")
    late = make_info(environment, State, contents="warm")

    assert environment.state() == late
    assert environment.state(time=late.creation_time) == early
    assert environment.state(time=early.creation_time - datetime.timedelta(seconds=1)) is None


def test_environment_transmits_its_current_state(make_node):
    environment, agent = make_node(Environment), make_node(Agent)
    environment.connect(agent)
    make_info(environment, State, contents="cold")
    latest = make_info(environment, State, contents="warm")

    [transmission] = environment.transmit()

    assert transmission.info_id == latest.pk
