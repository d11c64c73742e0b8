"""Kept SQL (core.fetch): rows load and save as through the ORM, with their class, values and locks."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.fetch import by_pk, by_pk_with, update_returning
from core.models import Info, Network, Node, Participant, Transmission, Vector
from core.networks import Chain
from core.nodes import Agent

pytestmark = pytest.mark.django_db


def test_a_row_loads_with_its_class_and_every_value_converted(make_network):
    chain = make_network(Chain, max_size=4)
    agent = Agent(network=chain, details={"colour": "blue", "n": [1, 2]})
    agent.save()

    loaded = by_pk(Node, agent.pk)
    through_the_orm = Node.objects.get(pk=agent.pk)

    assert type(loaded) is Agent
    assert loaded.details == {"colour": "blue", "n": [1, 2]}
    assert loaded.creation_time == through_the_orm.creation_time
    assert loaded.failed is False
    assert {field.attname: getattr(loaded, field.attname) for field in Node._meta.concrete_fields} == {
        field.attname: getattr(through_the_orm, field.attname) for field in Node._meta.concrete_fields
    }
    assert not loaded._state.adding
    assert type(by_pk(Network, chain.pk)) is Chain


def _values(instance, model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in model._meta.concrete_fields}


def test_a_row_with_its_related_row_loads_as_select_related_loads_them_in_one_query(make_network, make_participant):
    chain = make_network(Chain, max_size=4)
    participant = make_participant(entry_information={"colour": "blue"})
    agent = Agent(network=chain, participant=participant, details={"n": [1, 2]})
    agent.save()

    with CaptureQueriesContext(connection) as captured:
        loaded = by_pk_with(Node, agent.pk, "participant")
        owner = loaded.participant
    through_the_orm = Node.objects.select_related("participant").get(pk=agent.pk)

    assert len(captured) == 1
    assert type(loaded) is Agent and type(owner) is type(through_the_orm.participant)
    assert _values(loaded, Node) == _values(through_the_orm, Node)
    assert _values(owner, Participant) == _values(through_the_orm.participant, Participant)
    assert not loaded._state.adding and not owner._state.adding


def test_a_row_whose_foreign_key_is_null_has_none_cached_and_an_unknown_id_is_none(make_network):
    source = Node(network=make_network(Chain, max_size=4))
    source.save()

    with CaptureQueriesContext(connection) as captured:
        loaded = by_pk_with(Node, source.pk, "participant")
        assert loaded.participant is None
        assert by_pk_with(Node, 123456, "participant") is None

    assert len(captured) == 2
    assert Node.objects.select_related("participant").get(pk=source.pk).participant is None


def test_an_unknown_id_is_none():
    assert by_pk(Participant, 123456) is None
    assert by_pk(Info, -1) is None


def test_an_unknown_lock_is_refused():
    with pytest.raises(ValueError, match="Unknown lock"):
        by_pk(Node, 1, lock="share")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locked_row_waits_for_the_holder_to_commit(make_network):
    network = make_network(Chain, max_size=2)
    holder_has_it = threading.Event()
    order = []

    def holder():
        with transaction.atomic():
            by_pk(Network, network.pk, lock="no_key_update")
            holder_has_it.set()
            order.append("holder reads")
            threading.Event().wait(0.5)
            order.append("holder commits")
        connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    holder_has_it.wait(10)
    with transaction.atomic():
        by_pk(Network, network.pk, lock="no_key_update")
        order.append("second reads")
    thread.join()

    assert order == ["holder reads", "holder commits", "second reads"]


def test_saving_writes_every_field_as_the_orm_reads_it(make_network):
    network = make_network(Chain, max_size=4)
    agent = Agent(network=network, details={"answer": [1, "two", None]}, property1="p1")
    agent.save()

    stored = Node.objects.get(pk=agent.pk)
    assert agent.pk is not None
    assert (type(stored), stored.details, stored.property1, stored.network_id) == (
        Agent, {"answer": [1, "two", None]}, "p1", network.pk,
    )  # fmt: skip
    assert stored.creation_time == agent.creation_time

    agent.property2 = "changed"
    agent.details = {"answer": 42}
    agent.save(update_fields=["property2", "details"])

    again = Node.objects.get(pk=agent.pk)
    assert (again.property2, again.details, again.property1) == ("changed", {"answer": 42}, "p1")


def test_an_expression_in_a_save_goes_through_the_orm(make_network):
    network = make_network(Chain, max_size=4)
    network.max_size = F("max_size") + 3
    network.save(update_fields=["max_size"])

    assert Network.objects.get(pk=network.pk).max_size == 7


def test_saving_a_row_that_is_gone_is_refused_as_by_the_orm(make_network):
    network = make_network(Chain)
    Network.objects.filter(pk=network.pk).delete()

    with pytest.raises(Exception, match="did not affect any rows"):
        network.save(update_fields=["role"])


@pytest.mark.django_db(transaction=True)
def test_a_subclass_with_its_own_table_updates_its_parent_s_columns_in_the_parent_s_table(make_network):
    from django.apps import apps
    from django.db import models

    class WeightedVector(Vector):
        weight = models.IntegerField(default=0)

        class Meta:
            app_label = "core"
            db_table = "test_weighted_vector"

    try:
        with connection.schema_editor() as editor:
            editor.create_model(WeightedVector)
        network = make_network(max_size=5)
        a, b = Node(network=network), Node(network=network)
        a.save()
        b.save()
        vector = WeightedVector(origin=a, destination=b, network=network, weight=1)
        vector.save()

        vector.property1, vector.weight = "heavier", 2
        vector.save()

        vector.refresh_from_db()
        assert (vector.property1, vector.weight) == ("heavier", 2)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(WeightedVector)
        del apps.all_models["core"]["weightedvector"]
        apps.clear_cache()


def test_rows_changed_by_update_returning_store_values_as_the_orm_does(make_network):
    network = make_network(Chain, max_size=4)
    a, b = Agent(network=network), Agent(network=network)
    a.save()
    b.save()
    a.connect(b)
    info = Info(origin=a, contents="story")
    info.save()
    a.transmit(what=info, to_whom=b)

    [received] = update_returning(
        Transmission, {"status": "received", "receive_time": timezone.now()},
        "destination_id = %s AND status = %s", [b.pk, "pending"],
    )  # fmt: skip

    # The ORM finds the row by the value it would have written: the stored form is its own
    # (on SQLite, datetimes are text and a differently written one would not match).
    assert list(Transmission.objects.filter(receive_time=received.receive_time).values_list("pk", flat=True)) == [
        received.pk
    ]
    assert received.status == "received" and received.info_id == info.pk
