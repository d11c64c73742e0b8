"""An experiment's own network and source classes work without a migration."""

import logging
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command

from core.models import Info, Network, Node, Vector
from core.networks import Burst, Empty
from core.nodes import Agent, RandomBinaryStringSource, Source
from tests.custom_classes import STORY, Ring, RingRuleError, StorySource, TunedRing

pytestmark = pytest.mark.django_db


def add(network, node_class=Agent):
    """Create and save a node in `network`, then let the network wire it, as the experiment does."""
    node = node_class(network=network)
    node.save()
    network.add_node(node)
    return node


def links(network) -> set:
    return set(Vector.objects.filter(network=network, failed=False).values_list("origin_id", "destination_id"))


def test_ring_chains_its_nodes_and_closes_the_circle_at_max_size():
    ring = Ring(max_size=4)
    ring.save()
    first, second, third = add(ring), add(ring), add(ring)

    assert links(ring) == {(first.pk, second.pk), (second.pk, third.pk)}
    assert ring.full is False

    fourth = add(ring)

    assert links(ring) == {(first.pk, second.pk), (second.pk, third.pk), (third.pk, fourth.pk), (fourth.pk, first.pk)}
    assert Network.objects.get(pk=ring.pk).full is True
    assert [node.pk for node in first.neighbors(direction="from")] == [fourth.pk]


def test_ring_rejects_sources():
    ring = Ring(max_size=4)
    ring.save()
    agent = add(ring)
    source = StorySource(network=ring)
    source.save()

    with pytest.raises(RingRuleError, match="cannot contain sources"):
        ring.add_node(source)

    assert links(ring) == set()
    assert agent.neighbors(direction="either") == []


def test_story_source_transmits_its_contents():
    network = Burst()
    network.save()
    source = add(network, StorySource)
    listener = add(network)

    [transmission] = source.transmit()
    [received] = listener.receive()

    assert received.pk == transmission.pk
    assert received.info.contents == STORY
    assert received.info.origin_id == source.pk
    assert [info.contents for info in source.infos()] == [STORY]


def test_custom_classes_load_back_as_themselves():
    ring = Ring(max_size=3)
    ring.save()
    network = Empty()
    network.save()
    story = add(network, StorySource)
    other = add(network, RandomBinaryStringSource)

    loaded_ring = Network.objects.get(pk=ring.pk)
    loaded_story = Node.objects.get(pk=story.pk)

    assert type(loaded_ring) is Ring
    assert loaded_ring.type == "ring"
    assert type(loaded_story) is StorySource
    assert loaded_story.type == "story_source"
    assert set(Source.objects.filter(network=network)) == {story, other}
    assert list(StorySource.objects.all()) == [story]
    assert list(Ring.objects.all()) == [ring]
    assert type(Info.objects.get(pk=story.create_information().pk)) is Info


def test_custom_init_sets_properties_the_documented_way():
    network = TunedRing(3, "north")
    network.max_size = 5
    network.save()

    loaded = Network.objects.get(pk=network.pk)

    assert type(loaded) is TunedRing
    assert (loaded.property1, loaded.property2, loaded.max_size) == ("3", "'north'", 5)
    assert list(Ring.objects.filter(pk=network.pk)) == [loaded]


def test_custom_classes_need_no_migration():
    installed = {config.label for config in apps.get_app_configs()}

    for cls in (Ring, TunedRing, StorySource):
        assert cls._meta.proxy
        assert cls._meta.app_label not in installed
    assert Ring._meta.db_table == "network"
    assert StorySource._meta.db_table == "node"
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("model", [Node, Network])
def test_a_row_of_unknown_type_loads_as_the_base_class_with_a_warning(model, caplog):
    network = Burst()
    network.save()
    row = network if model is Network else add(network)
    identity = f"vanished_{uuid.uuid4().hex[:12]}"
    model.objects.filter(pk=row.pk).update(type=identity)

    with caplog.at_level(logging.WARNING, logger="core.polymorphism"):
        loaded = model.objects.get(pk=row.pk)

    assert type(loaded) is model
    assert loaded.type == identity
    assert any(identity in record.getMessage() and record.levelno == logging.WARNING for record in caplog.records)
