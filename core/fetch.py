"""Loading rows on the hot path without building a query each time.

Every request of the participant flow looks up the row its URL names (a participant, a
node...), and front ends poll a node's infos. Through the ORM, each such query is built,
compiled and converted anew, which costs several times the database's own work. `by_pk`
and `rows_where` keep each model's column list and value converters and only execute:
the results are the instances the ORM would load (polymorphic rows get their class).
"""

from django.db import DEFAULT_DB_ALIAS, connections

#: Row locks `by_pk` can take, as `select_for_update` would write them on PostgreSQL.
LOCKS = {"update": " FOR UPDATE", "no_key_update": " FOR NO KEY UPDATE"}

_selects: dict = {}
_statements: dict = {}
_joined: dict = {}


def by_pk(model, pk, *, lock: str | None = None, using: str = DEFAULT_DB_ALIAS):
    """The `model` row with primary key `pk` (an int), or None.

    `lock` ("update" or "no_key_update") locks the row until the transaction ends, like
    `select_for_update()`, on databases that have row locks (not SQLite, which locks the
    whole database for a writing transaction). `model` should be a base model: the row's
    `type` decides its class, and a proxy subclass does not narrow the lookup.
    """
    connection = connections[using]
    select = _select(model, using)
    key = (model, lock, using)
    sql = _statements.get(key)
    if sql is None:
        if lock is not None and lock not in LOCKS:
            raise ValueError(f"Unknown lock {lock!r}: use one of {', '.join(LOCKS)}.")
        sql = f"{select.sql} WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s"
        if lock is not None and connection.features.has_select_for_update:
            sql += LOCKS[lock]
        _statements[key] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    return None if row is None else select.instance(row, connection)


def by_pk_with(model, pk, related: str, *, using: str = DEFAULT_DB_ALIAS):
    """The `model` row with primary key `pk` (an int) and the row its foreign key `related`
    points to, in one query, or None: `model.objects.select_related(related).filter(pk=pk)
    .first()`. The related instance (None for a null key) is cached on the row, so reading
    `row.<related>` runs no query. No lock; `model` and the related model as for `by_pk`."""
    connection = connections[using]
    field = model._meta.get_field(related)
    select, joined = _select(model, using), _select(field.related_model, using)
    key = (model, related, using)
    sql = _joined.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        table, other = quote(model._meta.db_table), quote(field.related_model._meta.db_table)
        sql = (
            f"SELECT {select.columns}, {joined.columns} FROM {table} LEFT JOIN {other}"
            f" ON {other}.{quote(field.target_field.column)} = {table}.{quote(field.column)}"
            f" WHERE {table}.{quote(model._meta.pk.column)} = %s"
        )
        _joined[key] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(select.field_names)
    instance = select.instance(row[:width], connection)
    other_row = row[width:]
    pk_index = joined.field_names.index(field.related_model._meta.pk.attname)
    field.set_cached_value(instance, None if other_row[pk_index] is None else joined.instance(other_row, connection))
    return instance


def rows_where(
    model, where: str, params, *, order_by=("creation_time", "id"), newest_first=False, limit=None, using=None
) -> list:
    """The `model` rows matching `where`, oldest first (by creation time, then id, as the
    model API lists rows; or by the columns `order_by`), or newest first; at most `limit`.

    `where` is SQL over the model's own columns with %s placeholders for `params` (empty:
    every row); it must not embed values.
    """
    using = using or DEFAULT_DB_ALIAS
    connection = connections[using]
    select = _select(model, using)
    quote = connection.ops.quote_name
    direction = " DESC" if newest_first else ""
    order = ", ".join(f"{quote(column)}{direction}" for column in order_by)
    sql = f"{select.sql}{f' WHERE {where}' if where else ''} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [select.instance(row, connection) for row in found]


class _Select:
    """A model's `SELECT <every column> FROM <table>`, and how to turn a row into an instance."""

    def __init__(self, model, using):
        connection = connections[using]
        meta = model._meta
        quote = connection.ops.quote_name
        fields = meta.concrete_fields
        #: The table's columns, each named with its table (to select them in a join).
        self.columns = ", ".join(f"{quote(meta.db_table)}.{quote(field.column)}" for field in fields)
        self.model, self.using = model, using
        self.sql = f"SELECT {self.columns} FROM {quote(meta.db_table)}"
        #: The same columns for a `RETURNING` clause.
        self.returning = ", ".join(quote(field.column) for field in fields)
        self.field_names = [field.attname for field in fields]
        self.converters = []
        for index, field in enumerate(fields):
            column = field.get_col(meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((index, column, found))

    def instance(self, row, connection):
        values = list(row)
        for index, column, converters in self.converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(self.using, self.field_names, values)


def _select(model, using) -> _Select:
    key = (model, using)
    select = _selects.get(key)
    if select is None:
        select = _selects[key] = _Select(model, using)
    return select


# Writing rows ----------------------------------------------------------------------------


def update_returning(model, values: dict, where: str, params, *, using=None) -> list:
    """Set `values` (field name → value) on the `model` rows matching `where` and return
    them, changed, as instances, in one `UPDATE ... RETURNING` (in no particular order).

    Values are written as the ORM writes them. A database without `RETURNING` (SQLite
    before 3.35) is refused: check `connection.features.can_return_columns_from_insert`.
    """
    using = using or DEFAULT_DB_ALIAS
    connection = connections[using]
    select = _select(model, using)
    quote = connection.ops.quote_name
    meta = model._meta
    assignments, prepared = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        prepared.append(field.get_db_prep_save(value, connection=connection))
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {where} RETURNING {select.returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*prepared, *params])
        found = cursor.fetchall()
    return [select.instance(row, connection) for row in found]


def update_row(model, using: str, pk, values) -> int | None:
    """UPDATE `model`'s row `pk` with `values` (Django's `(field, model, value)` triples); the
    number of rows changed, or None when a value is an expression (the ORM handles those).

    `model` is the one whose table holds the fields: with multi-table inheritance Django
    saves a parent's columns through the parent's manager."""
    connection = connections[using]
    assignments, params = [], []
    quote = connection.ops.quote_name
    for field, _model, value in values:
        if hasattr(value, "resolve_expression") or hasattr(field, "get_placeholder"):
            return None
        if hasattr(value, "prepare_database_save"):
            value = value.prepare_database_save(field)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection=connection))
    meta = model._meta
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {quote(meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk])
        return cursor.rowcount
