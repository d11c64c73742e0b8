"""Loading one row by its primary key, without building a query each time.

Every request of the participant flow starts by looking up the row its URL names (a
participant, a node...). Through the ORM, `Model.objects.filter(pk=...).first()` builds,
compiles and converts a new query each time, which costs several times the database's
own work. `by_pk` keeps each model's SQL and its value converters and only executes:
the result is the same instance the ORM would load (polymorphic rows get their class).
"""

from django.db import DEFAULT_DB_ALIAS, connections

#: Row locks `by_pk` can take, as `select_for_update` would write them on PostgreSQL.
LOCKS = {"update": " FOR UPDATE", "no_key_update": " FOR NO KEY UPDATE"}

_statements: dict = {}


def by_pk(model, pk, *, lock: str | None = None, using: str = DEFAULT_DB_ALIAS):
    """The `model` row with primary key `pk` (an int), or None.

    `lock` ("update" or "no_key_update") locks the row until the transaction ends, like
    `select_for_update()`, on databases that have row locks (not SQLite, which locks the
    whole database for a writing transaction). `model` should be a base model: the row's
    `type` decides its class, and a proxy subclass does not narrow the lookup.
    """
    connection = connections[using]
    key = (model, lock, using)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _prepare(model, lock, connection)
    sql, field_names, converters = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column, field_converters in converters:
        for converter in field_converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(using, field_names, values)


def _prepare(model, lock, connection) -> tuple:
    if lock is not None and lock not in LOCKS:
        raise ValueError(f"Unknown lock {lock!r}: use one of {', '.join(LOCKS)}.")
    meta = model._meta
    quote = connection.ops.quote_name
    fields = meta.concrete_fields
    columns = ", ".join(f"{quote(meta.db_table)}.{quote(field.column)}" for field in fields)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"
    if lock is not None and connection.features.has_select_for_update:
        sql += LOCKS[lock]
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return sql, [field.attname for field in fields], converters
