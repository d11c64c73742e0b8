"""Dallinger's query API (`Model.query.filter(Model.column > 3).order_by(...).all()`) over the ORM.

Dallinger's models are SQLAlchemy models, and experiments query them as such. This module
gives the record models the part of that API experiments use, translated to Django
querysets: a record model's columns, read on the class (`Node.property1`, `Node.network_id`),
build conditions with `==`, `!=`, `<`, `<=`, `>`, `>=`, `in_`, `is_`, `isnot`, combined by
`and_`/`or_`/`not_`; `cast(column, Integer)` compares a text property as a number; and
`Model.query` (or a session's `query(Model)`) filters, orders, counts and fetches. Anything
else raises `Unsupported`, naming the call and its Django equivalent.

Before a query runs, objects waiting in an open scope of core/pending.py are saved, as a
SQLAlchemy session flushes before it queries.
"""

from django.core.exceptions import FieldError, MultipleObjectsReturned, ObjectDoesNotExist
from django.db import models
from django.db.models import F, Q, lookups
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import class_prepared

from core import pending


class Unsupported(NotImplementedError):
    """A SQLAlchemy call outside the subset this project supports."""

    def __init__(self, call: str, instead: str):
        super().__init__(f"{call} is not supported here: use Django's ORM, e.g. {instead}")


class NoResultFound(ObjectDoesNotExist):
    """`one()` found no row."""


class MultipleResultsFound(MultipleObjectsReturned):
    """`one()` or `one_or_none()` found more than one row."""


# SQL types for cast() --------------------------------------------------------------------


class SqlType:
    """A column type named as SQLAlchemy names it, for `cast()`; usable as a class or an instance."""

    django_field = models.TextField

    def __init__(self, *args, **kwargs):
        # Accepts SQLAlchemy's arguments (String(50)); the length does not matter to a cast.
        pass


class Integer(SqlType):
    django_field = models.IntegerField


class Float(SqlType):
    django_field = models.FloatField


class Boolean(SqlType):
    django_field = models.BooleanField


class String(SqlType):
    django_field = models.TextField


class Text(SqlType):
    django_field = models.TextField


class DateTime(SqlType):
    django_field = models.DateTimeField


# Expressions --------------------------------------------------------------------------


_LOOKUPS = {
    "eq": ("exact", lookups.Exact),
    "lt": ("lt", lookups.LessThan),
    "le": ("lte", lookups.LessThanOrEqual),
    "gt": ("gt", lookups.GreaterThan),
    "ge": ("gte", lookups.GreaterThanOrEqual),
    "in": ("in", lookups.In),
}


class ColumnOperators:
    """Comparison operators that build query conditions instead of booleans."""

    # Defining __eq__ would otherwise make descriptors unhashable.
    __hash__ = object.__hash__

    def _django(self):
        """This expression as a Django expression."""
        raise NotImplementedError

    def _field_name(self) -> str | None:
        """The model field this expression is, or None for a computed expression."""
        return None

    def __eq__(self, other):
        return Comparison(self, "eq", other)

    def __ne__(self, other):
        return Comparison(self, "ne", other)

    def __lt__(self, other):
        return Comparison(self, "lt", other)

    def __le__(self, other):
        return Comparison(self, "le", other)

    def __gt__(self, other):
        return Comparison(self, "gt", other)

    def __ge__(self, other):
        return Comparison(self, "ge", other)

    def in_(self, values):
        """The column is one of `values`."""
        return Comparison(self, "in", list(values))

    def not_in(self, values):
        """The column is none of `values`."""
        return not_(self.in_(values))

    notin_ = not_in

    def is_(self, value):
        """`IS` (with None: the column is NULL)."""
        return Comparison(self, "eq", value)

    def is_not(self, value):
        """`IS NOT` (with None: the column is not NULL)."""
        return Comparison(self, "ne", value)

    isnot = is_not

    def desc(self):
        """Descending order by this column."""
        return OrderTerm(self, descending=True)

    def asc(self):
        """Ascending order by this column."""
        return OrderTerm(self, descending=False)


class CastExpression(ColumnOperators):
    """`cast(column, Type)`: a column read as another SQL type."""

    def __init__(self, expression, type_):
        if not isinstance(expression, ColumnOperators):
            raise TypeError(f"cast() needs a column of a record model, not {expression!r}")
        type_class = type_ if isinstance(type_, type) else type(type_)
        if not issubclass(type_class, SqlType):
            raise TypeError(f"cast() needs one of Integer, Float, Boolean, String, Text, DateTime, not {type_!r}")
        self.expression, self.type_class = expression, type_class

    def _django(self):
        return Cast(self.expression._django(), output_field=self.type_class.django_field())

    def __repr__(self):
        return f"cast({self.expression!r}, {self.type_class.__name__})"


def cast(expression, type_) -> CastExpression:
    """`expression` read as the SQL type `type_` (Integer, Float, Boolean, String, Text, DateTime)."""
    return CastExpression(expression, type_)


class Criterion:
    """A condition for `filter()`."""

    def to_q(self) -> Q:
        """The condition as a Django Q object."""
        raise NotImplementedError

    def __and__(self, other):
        return and_(self, other)

    def __or__(self, other):
        return or_(self, other)

    def __invert__(self):
        return not_(self)


class Comparison(Criterion):
    """`column <op> value`."""

    def __init__(self, left, operator: str, right):
        self.left, self.operator, self.right = left, operator, right

    def __bool__(self):
        # Comparing two columns outside a query (`x in [Node.id]`) means identity, as in
        # Python; a condition on a value has no truth value of its own.
        if self.operator in ("eq", "ne"):
            same = self.left is self.right
            return same if self.operator == "eq" else not same
        raise TypeError(f"{self!r} is a query condition, not a truth value: pass it to filter()")

    def __repr__(self):
        return f"<{self.left!r} {self.operator} {self.right!r}>"

    def to_q(self) -> Q:
        right = self.right
        if isinstance(right, ColumnOperators):
            right = right._django()
        if isinstance(right, (Criterion, OrderTerm)):
            raise TypeError(f"Cannot compare a column with {right!r}")
        if self.operator in ("eq", "ne") and right is None:
            condition = self._lookup("isnull", lookups.IsNull, True)
            return condition if self.operator == "eq" else ~condition
        if self.operator == "ne":
            # SQL's `!=` never matches NULL; Django's exclude() would.
            return ~self._lookup("exact", lookups.Exact, right) & self._lookup("isnull", lookups.IsNull, False)
        name, lookup = _LOOKUPS[self.operator]
        return self._lookup(name, lookup, right)

    def _lookup(self, name: str, lookup, value) -> Q:
        field = self.left._field_name()
        if field is not None:
            return Q(**{f"{field}__{name}": value})
        return Q(lookup(self.left._django(), value))


class BooleanClause(Criterion):
    """Conditions joined by AND or OR, or one negated."""

    def __init__(self, operator: str, criteria):
        self.operator, self.criteria = operator, [_criterion(item) for item in criteria]

    def to_q(self) -> Q:
        if self.operator == "not":
            return ~self.criteria[0].to_q()
        combined = Q()
        for criterion in self.criteria:
            combined = combined & criterion.to_q() if self.operator == "and" else combined | criterion.to_q()
        return combined


def and_(*criteria) -> BooleanClause:
    """Every condition holds."""
    return BooleanClause("and", criteria)


def or_(*criteria) -> BooleanClause:
    """At least one condition holds."""
    return BooleanClause("or", criteria)


def not_(criterion) -> BooleanClause:
    """The condition does not hold."""
    return BooleanClause("not", [criterion])


class _QCriterion(Criterion):
    def __init__(self, q):
        self.q = q

    def to_q(self) -> Q:
        return self.q


def _criterion(item) -> Criterion:
    if isinstance(item, Criterion):
        return item
    if isinstance(item, Q):
        return _QCriterion(item)
    if isinstance(item, bool):
        raise TypeError(
            "filter() was given True or False, not a condition: compare a column of the model "
            "(Node.property1 == 'x'), or a hybrid property with an expression"
        )
    raise TypeError(f"filter() needs conditions such as Node.id == 1, not {item!r}")


class OrderTerm:
    """A column (or expression) with a direction, for `order_by`."""

    def __init__(self, expression, descending: bool):
        self.expression, self.descending = expression, descending

    def to_django(self):
        field = self.expression._field_name()
        base = F(field) if field is not None else self.expression._django()
        return base.desc() if self.descending else base.asc()


def desc(column) -> OrderTerm:
    """Descending order by `column`."""
    return OrderTerm(column, descending=True)


def asc(column) -> OrderTerm:
    """Ascending order by `column`."""
    return OrderTerm(column, descending=False)


# Typed properties ---------------------------------------------------------------------


class hybrid_property(property):  # noqa: N801 - SQLAlchemy's name, as Dallinger's models use it
    """A property on instances; on the class, its `.expression` (a query column)."""

    def __init__(self, fget, fset=None, fdel=None, expr=None):
        super().__init__(fget, fset, fdel, getattr(fget, "__doc__", None))
        self.expr = expr

    def __get__(self, instance, owner=None):
        if instance is not None:
            return super().__get__(instance, owner)
        if self.expr is not None:
            return self.expr(owner)
        try:
            return self.fget(owner)
        except Exception:
            # No expression, and the getter needs an instance: code that lists a class's
            # attributes (the admin, serializers) gets the property itself.
            return self

    def getter(self, fget):
        """A copy with another getter."""
        return type(self)(fget, self.fset, self.fdel, self.expr)

    def setter(self, fset):
        """A copy with a setter."""
        return type(self)(self.fget, fset, self.fdel, self.expr)

    def deleter(self, fdel):
        """A copy with a deleter."""
        return type(self)(self.fget, self.fset, fdel, self.expr)

    def expression(self, expr):
        """A copy whose class-level value (for queries) is `expr(cls)`."""
        return type(self)(self.fget, self.fset, self.fdel, expr)


# Columns of the record models ---------------------------------------------------------


class QueryableAttribute(ColumnOperators):
    """Mixed into a record model's field descriptors: on the class, `Node.property1 == "x"`
    is a condition (on an instance, the descriptor works as Django's)."""

    def _field_name(self) -> str:
        if isinstance(self, DeferredAttribute):
            return self.field.attname
        return self.field.name

    def _django(self):
        return F(self._field_name())

    def __repr__(self):
        return f"{self.field.model.__name__}.{self._field_name()}"


_queryable_classes: dict = {}


def _queryable(descriptor_class):
    found = _queryable_classes.get(descriptor_class)
    if found is None:
        name = "Queryable" + descriptor_class.__name__
        found = _queryable_classes[descriptor_class] = type(name, (QueryableAttribute, descriptor_class), {})
    return found


def make_columns_queryable(model) -> None:
    """Give `model`'s own field descriptors the comparison operators of a query column."""
    for field in model._meta.local_concrete_fields:
        for name in {field.attname, field.name}:
            descriptor = model.__dict__.get(name)
            if isinstance(descriptor, (DeferredAttribute, ForwardManyToOneDescriptor)) and not isinstance(
                descriptor, QueryableAttribute
            ):
                descriptor.__class__ = _queryable(type(descriptor))


# Queries ------------------------------------------------------------------------------


#: SQLAlchemy query methods outside the subset, with what to write instead.
UNSUPPORTED_QUERY_METHODS = {
    "join": "Node.objects.filter(network__role='experiment')",
    "outerjoin": "Node.objects.filter(network__role='experiment')",
    "group_by": "Node.objects.values('network_id').annotate(n=Count('id'))",
    "having": "Node.objects.values('network_id').annotate(n=Count('id')).filter(n__gt=1)",
    "options": "Node.objects.select_related('network')",
    "with_entities": "Node.objects.values_list('id', flat=True)",
    "add_columns": "Node.objects.values('id', 'network_id')",
    "add_entity": "Node.objects.select_related('network')",
    "distinct": "Node.objects.filter(...).distinct()",
    "subquery": "Node.objects.filter(id__in=Subquery(...))",
    "union": "Node.objects.filter(...).union(...)",
    "scalar": "Node.objects.values_list('id', flat=True).first()",
    "select_from": "Node.objects.filter(...)",
    "from_self": "Node.objects.filter(...)",
    "yield_per": "Node.objects.filter(...).iterator()",
    "populate_existing": "node.refresh_from_db()",
    "execution_options": "Node.objects.filter(...)",
    "params": "Node.objects.filter(...)",
    "with_for_update": "Node.objects.select_for_update().filter(...)",
    "statement": "str(Node.objects.filter(...).query)",
}


class Query:
    """A SQLAlchemy-style query over one model, run through its default Django manager."""

    def __init__(self, model, *, conditions=(), ordering=(), offset=None, limit=None):
        self.model = model
        self._conditions, self._ordering = tuple(conditions), tuple(ordering)
        self._offset, self._limit = offset, limit

    def _copy(self, **changes) -> "Query":
        state = {
            "conditions": self._conditions,
            "ordering": self._ordering,
            "offset": self._offset,
            "limit": self._limit,
        }
        state.update(changes)
        return Query(self.model, **state)

    def __repr__(self):
        return f"<Query of {self.model.__name__}>"

    # Building --------------------------------------------------------------------------

    def filter(self, *criteria) -> "Query":
        """Rows meeting every condition (`Model.column == value`, `and_(...)`, ...)."""
        return self._copy(conditions=self._conditions + tuple(_criterion(item).to_q() for item in criteria))

    def filter_by(self, **values) -> "Query":
        """Rows whose columns (or hybrid properties) equal the given values."""
        conditions = []
        for name, value in values.items():
            column = getattr(self.model, name, None)
            if isinstance(column, ColumnOperators):
                conditions.append((column == value).to_q())
            else:
                conditions.append(Q(**{name: value}))
        return self._copy(conditions=self._conditions + tuple(conditions))

    def order_by(self, *columns) -> "Query":
        """Order by columns (`Model.column`, `Model.column.desc()`, `desc(...)`, a field name);
        `order_by(None)` removes the ordering."""
        if columns == (None,):
            return self._copy(ordering=())
        terms = []
        for column in columns:
            if isinstance(column, str):
                terms.append(column)
            elif isinstance(column, OrderTerm):
                terms.append(column.to_django())
            elif isinstance(column, ColumnOperators):
                terms.append(OrderTerm(column, descending=False).to_django())
            else:
                raise TypeError(f"order_by() needs columns such as Node.id or Node.id.desc(), not {column!r}")
        return self._copy(ordering=self._ordering + tuple(terms))

    def limit(self, count) -> "Query":
        """At most `count` rows."""
        return self._copy(limit=None if count is None else int(count))

    def offset(self, count) -> "Query":
        """Skip the first `count` rows."""
        return self._copy(offset=None if count is None else int(count))

    def __getattr__(self, name):
        if name in UNSUPPORTED_QUERY_METHODS:
            raise Unsupported(f"Query.{name}()", UNSUPPORTED_QUERY_METHODS[name])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # Running ---------------------------------------------------------------------------

    def queryset(self) -> models.QuerySet:
        """The Django queryset this query runs (after saving what is pending)."""
        pending.flush()
        queryset = self.model._default_manager.all()
        for condition in self._conditions:
            queryset = queryset.filter(condition)
        if self._ordering:
            queryset = queryset.order_by(*self._ordering)
        start = self._offset or 0
        if self._limit is not None:
            queryset = queryset[start : start + self._limit]
        elif start:
            queryset = queryset[start:]
        return queryset

    def _run(self, method, queryset_of=None):
        try:
            return method(queryset_of or self.queryset())
        except FieldError as error:
            raise FieldError(
                f"{self.model.__name__}: {error} (filter on its columns, or on a hybrid property with an expression)"
            ) from error

    def all(self) -> list:
        """Every matching row."""
        return self._run(list)

    def __iter__(self):
        return iter(self.all())

    def __getitem__(self, item):
        return self._run(lambda queryset: queryset[item])

    def first(self):
        """The first matching row, or None."""
        rows = self._run(lambda queryset: list(queryset[:1]))
        return rows[0] if rows else None

    def one(self):
        """The only matching row; NoResultFound or MultipleResultsFound otherwise."""
        row = self.one_or_none()
        if row is None:
            raise NoResultFound(f"No {self.model.__name__} matched the query, where one() needs exactly one.")
        return row

    def one_or_none(self):
        """The only matching row, or None; MultipleResultsFound for more than one."""
        rows = self._run(lambda queryset: list(queryset[:2]))
        if len(rows) > 1:
            raise MultipleResultsFound(
                f"More than one {self.model.__name__} matched the query, where exactly one was needed."
            )
        return rows[0] if rows else None

    def get(self, pk):
        """The row with primary key `pk` (of this model or a subclass), or None."""
        pending.flush()
        return self.model._default_manager.filter(pk=pk).first()

    def count(self) -> int:
        """How many rows match."""
        return self._run(lambda queryset: queryset.count())

    def exists(self) -> bool:
        """Whether any row matches."""
        return self._run(lambda queryset: queryset.exists())

    def delete(self, synchronize_session=None) -> int:
        """Delete the matching rows; the number deleted."""
        return self._run(lambda queryset: queryset.delete()[0], self._unsliced())

    def update(self, values: dict, synchronize_session=None) -> int:
        """Set columns (given by name or as `Model.column`) on the matching rows; the number changed."""
        changes = {}
        for column, value in values.items():
            name = column if isinstance(column, str) else getattr(column, "_field_name", lambda: None)()
            if name is None:
                raise TypeError(f"update() needs column names or columns such as Node.property1, not {column!r}")
            changes[name] = value
        return self._run(lambda queryset: queryset.update(**changes), self._unsliced())

    def _unsliced(self):
        if self._limit is not None or self._offset:
            raise Unsupported("delete() or update() after limit()/offset()", "Node.objects.filter(pk__in=[...])")
        return self.queryset()


class QueryProperty:
    """`Model.query`: a new Query over the model it is read from."""

    def __get__(self, instance, owner):
        return Query(owner)


def _on_class_prepared(sender, **kwargs) -> None:
    if getattr(sender, "_queryable_columns", False) and not sender._meta.abstract:
        make_columns_queryable(sender)


class_prepared.connect(_on_class_prepared)
