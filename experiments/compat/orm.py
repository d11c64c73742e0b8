"""SQLAlchemy's names as Dallinger experiments use them, over the Django ORM.

Experiments written for Dallinger import a few things from SQLAlchemy for their models:
`hybrid_property` (a typed view of `property1`..`property5`, queryable through an
`.expression` such as `cast(Node.property2, Integer)`), `declared_attr` (a per-class
`__mapper_args__`), the types `Integer`, `Float`, `Boolean`, `String`, `cast`, `and_`,
`or_`, and the errors `NoResultFound`/`MultipleResultsFound`. `install()` makes
`sqlalchemy` and those submodules importable with these names when SQLAlchemy itself is not
installed; anything else imported from them raises `Unsupported`, naming the Django
equivalent (new columns, relationships and raw SQL have no place in the shared record).
"""

import importlib.util
import sys
import types

from django.db import DatabaseError

from core.query import (
    Boolean,
    DateTime,
    Float,
    Integer,
    MultipleResultsFound,
    NoResultFound,
    String,
    Text,
    Unsupported,
    and_,
    asc,
    cast,
    desc,
    hybrid_property,
    not_,
    or_,
)


class declared_attr:  # noqa: N801 - SQLAlchemy's name
    """A class attribute computed for each class that reads it (`__mapper_args__`)."""

    def __init__(self, fget):
        self.fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, instance, owner):
        return self.fget(owner)


class _UnsupportedFunctions:
    """`func.count(...)` and the like: SQL functions are written with Django's ORM here."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f"func.{name}()", f"Node.objects.aggregate({name.capitalize()}('id'))")


func = _UnsupportedFunctions()

#: Names experiments import that have no equivalent here, with what to write instead.
UNSUPPORTED_NAMES = {
    "Column": "a value in property1..property5 or details (a new column would need a migration)",
    "ForeignKey": "a relation of the record models (node.network, info.origin ...)",
    "relationship": "the record models' relations (node.network, info.origin ...)",
    "Table": "the record models in core.models",
    "create_engine": "django.db.connection",
    "text": "Node.objects.raw('SELECT ...')",
    "select": "Node.objects.filter(...)",
    "column_property": "Node.objects.annotate(...)",
    "validates": "a check in the model's save()",
    "sessionmaker": "dallinger.db.session",
    "scoped_session": "dallinger.db.session",
    "JSONB": "the details column (a JSON field)",
    "distinct": "Node.objects.filter(...).distinct()",
}

#: What each alias module provides.
_MODULES = {
    "sqlalchemy": {
        "Integer": Integer,
        "Float": Float,
        "Boolean": Boolean,
        "String": String,
        "Text": Text,
        "Unicode": String,
        "DateTime": DateTime,
        "cast": cast,
        "and_": and_,
        "or_": or_,
        "not_": not_,
        "desc": desc,
        "asc": asc,
        "func": func,
    },
    "sqlalchemy.ext": {},
    "sqlalchemy.ext.hybrid": {"hybrid_property": hybrid_property},
    "sqlalchemy.ext.declarative": {"declared_attr": declared_attr},
    "sqlalchemy.orm": {"declared_attr": declared_attr},
    "sqlalchemy.orm.exc": {"NoResultFound": NoResultFound, "MultipleResultsFound": MultipleResultsFound},
    "sqlalchemy.exc": {
        "NoResultFound": NoResultFound,
        "MultipleResultsFound": MultipleResultsFound,
        "SQLAlchemyError": DatabaseError,
        "DataError": DatabaseError,
        "OperationalError": DatabaseError,
        "IntegrityError": DatabaseError,
        "InternalError": DatabaseError,
    },
    "sqlalchemy.sql": {},
    "sqlalchemy.sql.expression": {
        "cast": cast,
        "and_": and_,
        "or_": or_,
        "not_": not_,
        "desc": desc,
        "asc": asc,
    },
}


def _module(name: str, names: dict) -> types.ModuleType:
    module = types.ModuleType(name, f"The project's stand-in for {name} (experiments/compat/orm.py).")
    module.__path__ = []  # a package, so that its submodules import
    module.__dict__.update(names)

    def __getattr__(attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        instead = UNSUPPORTED_NAMES.get(attribute, "Node.objects.filter(...)")
        raise Unsupported(f"{name}.{attribute}", instead)

    module.__getattr__ = __getattr__
    return module


def install() -> bool:
    """Make `sqlalchemy` (and the submodules experiments import) resolve to these names,
    unless SQLAlchemy itself is installed; True when the stand-in is in place."""
    if "sqlalchemy" in sys.modules:
        return getattr(sys.modules["sqlalchemy"], "__file__", None) is None
    if importlib.util.find_spec("sqlalchemy") is not None:
        return False
    modules = {name: _module(name, names) for name, names in _MODULES.items()}
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    sys.modules.update(modules)
    return True
