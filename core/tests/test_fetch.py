"""`by_pk` loads the same instance as the ORM, with its class, values and lock."""

import threading

import pytest
from django.db import connection, transaction

from core.fetch import by_pk
from core.models import Info, Network, Node, Participant
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
