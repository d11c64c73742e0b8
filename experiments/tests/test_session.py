"""`db.session` over the ORM (experiments/session.py, core/pending.py) and the sqlalchemy
stand-in (experiments/compat/orm.py)."""

import importlib
import sys

import pytest
from django.db import transaction

from core import pending
from core.models import Info, Network, Node, Transformation
from core.query import NoResultFound, Unsupported
from experiments.compat import orm
from experiments.session import session

pytestmark = pytest.mark.django_db


@pytest.fixture
def node():
    network = Network.objects.create()
    made = Node(network=network)
    made.save()
    return made


def test_add_outside_a_scope_saves_at_once(node):
    info = Info(origin=node, contents="now")
    session.add(info)
    assert info.pk is not None


def test_in_a_scope_add_waits_for_the_flush(node):
    with transaction.atomic(), pending.scope():
        info = Info(origin=node, contents="later")
        session.add(info)
        assert info.pk is None
        session.flush()
        assert Info.objects.get(pk=info.pk).contents == "later"


def test_a_linked_object_only_constructed_is_saved_by_commit_and_by_a_query(node):
    with transaction.atomic(), pending.scope():
        first = Info(origin=node, contents="one")
        session.commit()
        assert first.pk is not None
        second = Info(origin=node, contents="two")
        assert session.query(Info).filter_by(contents="two").count() == 1  # autoflush
        assert second.pk is not None


def test_objects_are_saved_in_the_order_they_were_made(node):
    with transaction.atomic(), pending.saving():
        info_in = Info(origin=node, contents="in")
        info_out = Info(origin=node, contents="out")
        Transformation(info_in=info_in, info_out=info_out)
    transformation = Transformation.objects.get()
    assert (transformation.info_in_id, transformation.info_out_id) == (info_in.pk, info_out.pk)


def test_a_changed_loaded_row_is_written_only_with_its_changed_columns(node):
    with transaction.atomic(), pending.saving():
        loaded = Node.query.get(node.pk)
        loaded.property2 = "changed"
        Node.objects.filter(pk=node.pk).update(property3="written elsewhere")
    node.refresh_from_db()
    assert (node.property2, node.property3) == ("changed", "written elsewhere")


def test_saving_discards_everything_when_the_block_raises(node):
    with pytest.raises(RuntimeError), transaction.atomic(), pending.saving():
        Info(origin=node, contents="lost")
        raise RuntimeError
    assert not Info.objects.exists()


def test_an_object_refused_by_save_is_not_saved_again_at_the_flush(node):
    node.fail()
    with transaction.atomic(), pending.saving():
        with pytest.raises(ValueError):
            Info(origin=node, contents="refused").save()
    assert not Info.objects.exists()


def test_rollback_undoes_writes_since_the_last_commit(node):
    with transaction.atomic(), pending.scope():
        kept = Info(origin=node, contents="kept")
        session.add(kept)
        session.commit()
        session.add(Info(origin=node, contents="undone"))
        session.flush()
        Info(origin=node, contents="never saved")
        session.rollback()
        session.commit()
        assert list(Info.objects.values_list("contents", flat=True)) == ["kept"]


def test_delete_removes_the_row(node):
    info = Info(origin=node, contents="gone")
    info.save()
    session.delete(info)
    assert not Info.objects.exists()


def test_query_one_raises_no_result_found(node):
    with pytest.raises(NoResultFound):
        session.query(Info).one()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: session.execute("SELECT 1"), r"session.execute\(\) is not supported here: use Django's ORM, e.g."),
        (lambda: session.merge(None), r"session.merge\(\) is not supported here"),
        (lambda: session.query(Node.id), r"session.query\(Node.id\) \(columns or several models\) is not supported"),
        (lambda: session.query(Node, Info), r"several models"),
    ],
)
def test_calls_outside_the_subset_name_the_django_equivalent(call, message):
    with pytest.raises(Unsupported, match=message):
        call()


def test_session_is_true_for_dallingers_if_session_checks():
    assert session


# The sqlalchemy stand-in ----------------------------------------------------------------


@pytest.fixture
def stand_in():
    installed = orm.install()
    yield installed
    for name in [name for name in sys.modules if name == "sqlalchemy" or name.startswith("sqlalchemy.")]:
        del sys.modules[name]


def test_install_provides_the_names_dallinger_experiments_import(stand_in):
    assert stand_in
    hybrid = importlib.import_module("sqlalchemy.ext.hybrid")
    expression = importlib.import_module("sqlalchemy.sql.expression")
    errors = importlib.import_module("sqlalchemy.orm.exc")
    assert hybrid.hybrid_property is orm.hybrid_property
    assert expression.cast is orm.cast
    assert errors.NoResultFound is NoResultFound
    from sqlalchemy import Boolean, Float, Integer, String, and_, or_  # noqa: F401


def test_importing_an_unsupported_name_says_what_to_use(stand_in):
    with pytest.raises(Unsupported, match=r"sqlalchemy.Column is not supported here: .*property1..property5"):
        from sqlalchemy import Column  # noqa: F401


def test_hybrid_property_reads_writes_and_takes_constructor_keywords(node):
    class Rated(Node):
        class Meta:
            # Not the experiments app's (this module's): a test's class must not ask for a migration.
            app_label = "ext_session_tests"

        @orm.hybrid_property
        def rating(self):
            return int(self.property4)

        @rating.setter
        def rating(self, value):
            self.property4 = repr(value)

        @rating.expression
        def rating(cls):
            return orm.cast(cls.property4, orm.Integer)

    rated = Rated(network=node.network, rating=7)
    rated.save()

    assert Node.objects.get(pk=rated.pk).property4 == "7"
    assert Rated.query.filter(Rated.rating > 6).one().pk == rated.pk
    assert Rated.query.filter_by(rating=7).count() == 1
