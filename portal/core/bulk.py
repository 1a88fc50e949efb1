"""Writing many rows at once, fast.

A change notice to 10,000 recipients writes about 30,000 rows (recipients, their organisations, the outbox). Django's
`bulk_create` prepares every value of every row in Python and builds one huge parameterised INSERT per batch: most of
a fan-out's time went there. On PostgreSQL `bulk_insert` streams the rows with COPY instead (psycopg's C dumpers,
no SQL to parse), which is several times faster for the same rows; elsewhere (SQLite for `make run`) it is
`bulk_create`.

It takes model instances, so defaults and `auto_now` values are filled exactly as `save()` would, and gives them
their primary keys. With `ignore_conflicts` the rows go through a temporary table and `INSERT … ON CONFLICT DO
NOTHING`, and no primary keys are set (as with bulk_create).
"""

from collections.abc import Sequence
from enum import Enum

from django.db import connection, models
from django.db.models import JSONField


def _columns(model: type[models.Model], with_pk: bool) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]


def _value(field: models.Field, obj: models.Model):
    value = field.pre_save(obj, True)  # defaults were set by __init__; auto_now(_add) are set here, as save() does
    if isinstance(field, JSONField):
        return field.get_db_prep_save(value, connection)
    if isinstance(value, Enum):
        return value.value
    return value


def _column_list(fields: list[models.Field]) -> str:
    return ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)


def _copy(table: str, fields: list[models.Field], objs: Sequence[models.Model]) -> None:
    columns = _column_list(fields)
    statement = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row([_value(f, obj) for f in fields])


def bulk_insert(objs: Sequence[models.Model], *, ignore_conflicts: bool = False, batch_size: int = 2000) -> None:
    """Insert `objs` (all of one model). Without `ignore_conflicts` each object gets its primary key; a duplicate
    raises IntegrityError like `bulk_create`. Call it inside a transaction when the rows must appear together."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts)
        return
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None
    if ignore_conflicts:
        _insert_ignoring_conflicts(model, objs)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = connection.alias
    _copy(table, _columns(model, with_pk=True), objs)


def _insert_ignoring_conflicts(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """COPY into a temporary table dropped at commit (so a failure leaves nothing behind), then move the rows
    that do not collide."""
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_insert(ignore_conflicts=True) must run inside a transaction")
    quote = connection.ops.quote_name
    table = model._meta.db_table
    staging = f"bulk_{table}"[:60]
    fields = _columns(model, with_pk=False)
    columns = _column_list(fields)
    with connection.wrap_database_errors, connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(staging)} ON COMMIT DROP AS "  # noqa: S608 - names from the model  # nosec
            f"SELECT {columns} FROM {quote(table)} WITH NO DATA"
        )
        _copy(staging, fields, objs)
        cursor.execute(
            f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {quote(staging)} ON CONFLICT DO NOTHING"  # noqa: S608 - names from the model  # nosec
        )
        cursor.execute(f"DROP TABLE {quote(staging)}")
