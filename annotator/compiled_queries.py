"""Querysets compiled once: a query that the annotator's pages run on every request, its SQL
built by the ORM once per process and database connection, then run with each request's
values.

Building a query with joins (select_related) and subqueries costs the ORM one to two
milliseconds of CPU every time, more than PostgreSQL takes to answer it. `CompiledQuery` builds
the queryset once with a stand-in value for each parameter, keeps its SQL and its compiler,
and runs the SQL with the real values; the rows become model instances as the ORM makes them
(the related objects of select_related, the annotations, the database's converters).

On PostgreSQL the SQL is also prepared once per database connection (`PREPARE`, then
`EXECUTE` with each request's values; execute_prepared, which the maintained counts use too):
planning these joins and subqueries took PostgreSQL two to three times as long as running them
(0.7 ms against 0.3 ms for the annotation form's statement). A prepared statement lives as long
as its connection, whatever the transactions do; a new connection prepares it again. (A
connection pooler in transaction mode, which hands a session's statements to others, would need
its own handling of prepared statements: none is used here.)
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class Compiled:
    sql: str
    # Per SQL parameter: the name of the value it takes, or None for a constant of the query.
    slots: tuple[tuple[str | None, object], ...]
    compiler: SQLCompiler
    init_list: list[str] | None  # None: rows, not instances
    fields: slice
    related_populators: list
    # The database's converters of the columns (SQLCompiler.results_iter finds them per run).
    converters: dict


class CompiledQuery:
    """`build(**values)` returns the queryset: of model instances, or a values_list() whose
    annotations come after its fields (rows are the select's columns, in its order);
    `stand_ins`: for each value, a stand-in that appears nowhere else among the query's
    parameters (for an id: a negative number within the column's range, which the ORM would
    otherwise answer with an empty result, without SQL)."""

    def __init__(self, build: Callable[..., QuerySet], **stand_ins):
        self.build = build
        self.stand_ins = stand_ins
        # Per connection: a compiler belongs to its connection (its converters, its quoting).
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def all(self, *, using: str = "default", **values) -> list:
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self.compile(using)
        params = [values[name] if name else constant for name, constant in compiled.slots]
        with connection.cursor() as cursor:
            execute_prepared(cursor, compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.init_list is None:  # values_list(): the columns, in their order
            return [tuple(row) for row in rows]
        return [self.instance(compiled, row, using) for row in rows]

    def first(self, *, using: str = "default", **values):
        found = self.all(using=using, **values)
        return found[0] if found else None

    def compile(self, using: str) -> Compiled:
        queryset = self.build(**self.stand_ins)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        names = {value: name for name, value in self.stand_ins.items()}
        slots = tuple(
            (names.get(param) if isinstance(param, int | str) else None, param) for param in params
        )
        columns = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("composite fields are not supported")
        converters = compiler.get_converters(columns)
        missing = set(self.stand_ins) - {name for name, _param in slots}
        if missing:
            raise ValueError(f"stand-ins not among the query's parameters: {sorted(missing)}")
        if queryset._iterable_class is not ModelIterable:  # values_list()
            return Compiled(sql, slots, compiler, None, slice(0), [], converters)
        select_fields = compiler.klass_info["select_fields"]
        fields = slice(select_fields[0], select_fields[-1] + 1)
        return Compiled(
            sql=sql,
            slots=slots,
            compiler=compiler,
            init_list=[column[0].target.attname for column in compiler.select[fields]],
            fields=fields,
            related_populators=get_related_populators(compiler.klass_info, compiler.select, using),
            converters=converters,
        )

    @staticmethod
    def instance(compiled: Compiled, row, using: str):
        """A row as ModelIterable makes it an instance."""
        compiler = compiled.compiler
        instance = compiler.klass_info["model"].from_db(
            using, compiled.init_list, row[compiled.fields]
        )
        for populator in compiled.related_populators:
            populator.populate(row, instance)
        for name, position in (compiler.annotation_col_map or {}).items():
            setattr(instance, name, row[position])
        return instance


_statement_numbers = itertools.count(1)
# Per PostgreSQL connection (the driver's, which a reconnection replaces): {SQL: the name of
# its prepared statement, or None where PostgreSQL could not prepare it}.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%([%s])")


def execute_prepared(cursor, sql: str, params: list) -> None:
    """`cursor.execute(sql, params)` (a Django cursor), on PostgreSQL as the EXECUTE of the SQL
    prepared once per connection: for SQL a request runs every time (the compiled queries, the
    maintained counts), whose planning costs PostgreSQL as much as running it."""
    name = prepared_name(cursor.db, sql)
    if name is None:
        cursor.execute(sql, params)
    elif params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")


def prepared_name(connection, sql: str) -> str | None:
    """The name `sql` is prepared under on this PostgreSQL connection (prepared now if it is
    not yet): None on another database, or for SQL that PostgreSQL cannot prepare as it
    stands (a parameter of no type it can infer), which then runs as it is."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    names = _prepared.setdefault(connection.connection, {})
    if sql not in names:
        # A counter, not id() or a hash: never the name of another SQL on this connection.
        name = f"prepared_{next(_statement_numbers)}"
        in_transaction = connection.in_atomic_block or not connection.get_autocommit()
        prepared = prepare(connection.Database, connection.connection, name, sql, in_transaction)
        names[sql] = name if prepared else None
    return names[sql]


def prepare(driver, raw, name: str, sql: str, in_transaction: bool) -> bool:
    """PREPARE the ORM's SQL (its %s placeholders numbered as PostgreSQL's $1, $2...) on the
    driver's connection, below Django's cursor: a statement made once per connection is not
    one of the request's queries. Inside a transaction, in a savepoint of its own, so that a
    refusal leaves the transaction usable."""
    numbers = itertools.count(1)
    statement = _PLACEHOLDER.sub(
        lambda match: "%" if match.group(1) == "%" else f"${next(numbers)}", sql
    )
    with raw.cursor() as cursor:
        if in_transaction:
            cursor.execute("SAVEPOINT compiled_query_prepare")
        try:
            cursor.execute(f"PREPARE {name} AS {statement}")
        except driver.Error:
            if in_transaction:
                cursor.execute("ROLLBACK TO SAVEPOINT compiled_query_prepare")
            return False
        if in_transaction:
            cursor.execute("RELEASE SAVEPOINT compiled_query_prepare")
    return True
