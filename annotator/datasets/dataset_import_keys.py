"""The foreign keys of the dataset import's rows, checked once per key over all of them instead
of once per row (PostgreSQL).

PostgreSQL checks a foreign key with a trigger per inserted row: a lookup of the referenced
row and a lock on it. An import of 60,000 annotations writes some 600,000 such keys (the
annotations', their labels', their history entries'), and those lookups were more than half
of the database's work. Inside `keys_checked_together` the import's COPYs run without the
per-row triggers (`session_replication_role = replica`, for this transaction only; it takes
no lock, so nobody else waits), and at its end one query per foreign key finds any imported
row whose referenced row is missing, and raises IntegrityError as the trigger would. The
referenced rows the import did not write itself (users, labels, sources, documents, the
project) are locked FOR KEY SHARE, as each trigger locks them, so that no other transaction
deletes one before the import commits. Every other write, in this transaction and all
others, keeps its triggers.

Only where the database allows it (a superuser, or since PostgreSQL 15 a role granted SET on
session_replication_role) and where the tables have no triggers of their own (replica mode
would skip those as well); elsewhere the triggers check each row as before.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import IntegrityError, connection
from django.db.models import ForeignKey, Model


def _allowed(cursor, models: list[type[Model]]) -> bool:
    """The role may switch the triggers off for its transaction (superusers; since
    PostgreSQL 15 a role granted SET ON PARAMETER session_replication_role), and the tables
    have no triggers of their own that replica mode would skip as well."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    allowed = cursor.fetchone()[0]
    if not allowed and connection.pg_version >= 150000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        allowed = cursor.fetchone()[0]
    if not allowed:
        return False
    cursor.execute(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY("
        "SELECT oid FROM pg_class WHERE relname = ANY(%s))",
        [[model._meta.db_table for model in models]],
    )
    return cursor.fetchone()[0] == 0


def _last_values(cursor, models: list[type[Model]]) -> dict:
    """The last key each table's sequence gave, to anyone (0: none yet; None: a table not
    numbered by a sequence, whose rows could not be told apart): the import's rows come after
    it. (Sequences are not transactional: another transaction's keys taken
    meanwhile fall among the import's, and their rows, once committed, pass the check too.)"""
    quote = connection.ops.quote_name
    cursor.execute(
        "SELECT CASE WHEN pg_get_serial_sequence(name, pk) IS NOT NULL THEN COALESCE("
        "pg_sequence_last_value(pg_get_serial_sequence(name, pk)::regclass), 0) END "
        "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS tables(name, pk, number) "
        "ORDER BY number",
        [
            [quote(model._meta.db_table) for model in models],
            [model._meta.pk.column for model in models],
        ],
    )
    return dict(zip(models, (row[0] for row in cursor.fetchall()), strict=True))


@contextmanager
def keys_checked_together(models: list[type[Model]]):
    """The rows written inside into `models` (tables numbered by their sequence; nothing else
    may be written inside) have their foreign keys checked at the end, all rows of a key at
    once (see the module). Outside
    PostgreSQL, or where not allowed, the per-row triggers stay on and this does nothing.
    Inside transaction.atomic: if anything inside fails, the rollback that follows also ends
    the switch (SET LOCAL is undone with the transaction or savepoint)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        allowed = _allowed(cursor, models)
        if allowed:
            before = _last_values(cursor, models)
            allowed = None not in before.values()
        if allowed:
            cursor.execute("SET LOCAL session_replication_role = replica")
    yield
    if not allowed:
        return
    with connection.cursor() as cursor:
        after = _last_values(cursor, models)
        cursor.execute("SET LOCAL session_replication_role = origin")
        for model in models:
            if after[model] > before[model]:
                _keys_check(cursor, model, (before[model], after[model]), models)


def _keys_check(cursor, model: type[Model], keys: tuple[int, int], written: list) -> None:
    """Every foreign key of the model's rows numbered within `keys` (after the first, up to
    the last), as the triggers would check it."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    for field in model._meta.concrete_fields:
        if not (isinstance(field, ForeignKey) and field.db_constraint):
            continue
        target = field.target_field
        parent = quote(target.model._meta.db_table)
        column, parent_column = quote(field.column), quote(target.column)
        imported = f"SELECT {column} FROM {table} WHERE {pk} > %s AND {pk} <= %s"
        if target.model not in written:  # someone else could delete it: lock it
            cursor.execute(
                f"SELECT 1 FROM {parent} WHERE {parent_column} IN ({imported}) FOR KEY SHARE",
                list(keys),
            )
        cursor.execute(
            f"SELECT child.{column} FROM ({imported} AND {column} IS NOT NULL) child "
            f"WHERE NOT EXISTS (SELECT 1 FROM {parent} WHERE {parent}.{parent_column} = "
            f"child.{column}) LIMIT 1",
            list(keys),
        )
        missing = cursor.fetchone()
        if missing:
            raise IntegrityError(
                f"insert on table {table} violates its foreign key on {column}: key "
                f"({field.column})=({missing[0]}) is not present in table {parent}"
            )
