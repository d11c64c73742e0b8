"""Dallinger's query API over the ORM (core/query.py): each method and condition, and its errors."""

import pytest

from core.models import Info, Network, Node
from core.nodes import Agent
from core.query import (
    Float,
    Integer,
    MultipleResultsFound,
    NoResultFound,
    Unsupported,
    and_,
    cast,
    desc,
    not_,
    or_,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def nodes():
    """Five nodes with numeric text in property1 ("1", "2", "10", "20", None)."""
    network = Network.objects.create()
    made = []
    for value in ("1", "2", "10", "20", None):
        node = Node(network=network, property1=value)
        node.save()
        made.append(node)
    return made


def ids(rows) -> list:
    return [row.pk for row in rows]


def test_filter_by_and_all(nodes):
    assert ids(Node.query.filter_by(property1="2").all()) == [nodes[1].pk]
    assert ids(Node.query.filter_by(network=nodes[0].network, property1="1").all()) == [nodes[0].pk]


@pytest.mark.parametrize(
    "condition, expected",
    [
        (lambda: Node.property1 == "10", [2]),
        (lambda: Node.property1 != "10", [0, 1, 3]),  # SQL: NULL matches neither == nor !=
        (lambda: Node.property1 == None, [4]),  # noqa: E711 - SQLAlchemy's IS NULL spelling
        (lambda: Node.property1.is_(None), [4]),
        (lambda: Node.property1.isnot(None), [0, 1, 2, 3]),
        (lambda: Node.property1.in_(["1", "20"]), [0, 3]),
        (lambda: cast(Node.property1, Integer) > 2, [2, 3]),
        (lambda: cast(Node.property1, Integer) >= 2, [1, 2, 3]),
        (lambda: cast(Node.property1, Integer) < 10, [0, 1]),
        (lambda: cast(Node.property1, Float) <= 10.0, [0, 1, 2]),
        (lambda: or_(Node.property1 == "1", Node.property1 == "20"), [0, 3]),
        (lambda: and_(cast(Node.property1, Integer) > 1, cast(Node.property1, Integer) < 20), [1, 2]),
        (lambda: not_(Node.property1.in_(["1", "2"])), [2, 3, 4]),
    ],
)
def test_filter_conditions(nodes, condition, expected):
    found = Node.query.filter(condition()).order_by(Node.id).all()

    assert ids(found) == [nodes[index].pk for index in expected]


def test_a_cast_compares_numbers_where_text_would_not(nodes):
    # As text, "10" and "20" sort before "3".
    assert Node.query.filter(Node.property1 > "3").count() == 0
    assert Node.query.filter(cast(Node.property1, Integer) > 3).count() == 2


def test_order_by_ascending_descending_and_cast(nodes):
    assert ids(Node.query.order_by(Node.id.desc()).all()) == ids(reversed(nodes))
    ordered = Node.query.filter(Node.property1.isnot(None)).order_by(desc(cast(Node.property1, Integer))).all()
    assert [node.property1 for node in ordered] == ["20", "10", "2", "1"]


def test_first_limit_offset_count(nodes):
    query = Node.query.order_by(Node.id)
    assert query.first().pk == nodes[0].pk
    assert ids(query.offset(1).limit(2).all()) == [nodes[1].pk, nodes[2].pk]
    assert query.count() == 5
    assert Node.query.filter_by(property1="none here").first() is None


def test_get_returns_the_row_or_none_and_respects_the_subclass(nodes):
    assert Node.query.get(nodes[0].pk) == nodes[0]
    assert Node.query.get(10**9) is None
    # A query over a subclass sees only rows of it, as Dallinger's polymorphic queries.
    assert Agent.query.get(nodes[0].pk) is None


def test_one_raises_dallinger_errors_for_none_and_many(nodes):
    assert Node.query.filter_by(property1="10").one().pk == nodes[2].pk
    with pytest.raises(NoResultFound):
        Node.query.filter_by(property1="missing").one()
    with pytest.raises(MultipleResultsFound):
        Node.query.one()
    assert Node.query.filter_by(property1="missing").one_or_none() is None


def test_a_query_over_a_subclass_returns_its_class(nodes):
    agent = Agent(network=nodes[0].network)
    agent.save()

    found = Agent.query.all()

    assert ids(found) == [agent.pk] and type(found[0]) is Agent
    assert Node.query.count() == 6


def test_columns_outside_queries_keep_working_as_django_descriptors(nodes):
    node = Node.objects.get(pk=nodes[1].pk)
    assert node.property1 == "2"
    assert Node.property1 in [Node.property1] and Node.property1 not in [Node.property2]
    assert {Node.property1: 1}[Node.property1] == 1


def test_unsupported_calls_name_the_django_equivalent(nodes):
    with pytest.raises(Unsupported, match=r"Query.join\(\) is not supported here: use Django's ORM, e.g. Node"):
        Node.query.join(Info)
    with pytest.raises(TypeError, match="filter\\(\\) was given True or False"):
        Node.query.filter(True)
    with pytest.raises(TypeError, match="query condition, not a truth value"):
        bool(Node.property1 > "1")


def test_filter_by_an_unknown_column_says_so(nodes):
    with pytest.raises(Exception, match="Node: Cannot resolve keyword 'score'"):
        Node.query.filter_by(score=3).all()


def test_agents_fitness_and_generation_are_queryable_as_numbers(nodes):
    network = nodes[0].network
    for fitness, generation in ((0.25, 1), (1.5, 2), (10.0, 10)):
        Agent(network=network, fitness=fitness, generation=generation).save()

    assert [agent.fitness for agent in Agent.query.filter(Agent.fitness > 1).order_by(Agent.fitness).all()] == [
        1.5,
        10.0,
    ]
    assert Agent.query.filter_by(generation=10).one().fitness == 10.0
    assert Agent.query.filter(Agent.generation >= 2).count() == 2
