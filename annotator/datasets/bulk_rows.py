"""Bulk inserts for the dataset import, at the database's loading speed: on PostgreSQL one
``COPY ... FROM STDIN`` per table and batch (no INSERT statement to build, no value passed
through the field machinery one by one), elsewhere ``bulk_create``.

The rows are already checked by the import (types, ranges, lengths, the model's choices and
the database's constraints hold; the database still enforces them), so they are written as
they are. Primary keys the import needs (statements, annotations, gold labels) are taken from
the table's sequence first, so the rows that refer to them can be built before anything is
written. The import queues its COPYs (CopyQueue): a second thread runs them while the next
batch is checked and built (its keys taken ahead), the foreign keys checked with each COPY rather
than all at the commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from operator import itemgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    JSONField,
    Model,
    TextField,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# Rows per bulk_create on databases without COPY (SQLite limits the variables per statement;
# Django splits further where it must).
BATCH = 2000


def copy_available() -> bool:
    return connection.vendor == "postgresql"


def _datetime_value(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):  # None, or a stamp already written out
        return value
    if settings.USE_TZ and timezone.is_naive(value):  # as the ORM stores it
        value = timezone.make_aware(value)
    return value.isoformat()


# One encoder for every row: json.dumps with options builds a new one per call.
_json_encode = json.JSONEncoder(ensure_ascii=False).encode


def json_text(value) -> str:
    """A JSON column's value as COPY reads it (for rows_insert's `written` columns)."""
    return _json_encode(value)


# A date and time with its zone, as exports write them ("2026-03-01T08:01:12.000000Z"):
# PostgreSQL and Django read it as the same moment, so it is written as it is.
_ZONED_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")


def moment_text(value: str | None) -> str | None:
    """A date and time as the file writes it (checked: parse_datetime reads it) as the ORM
    stores it: without a zone, in the current one; None for none. One with its zone is
    written as it is (parsing 60,000 of them and writing them out again was a tenth of the
    import's Python time)."""
    if not value:
        return None
    if settings.USE_TZ and _ZONED_MOMENT.fullmatch(value):
        return value
    return _datetime_value(parse_datetime(value))


def _json_value(value) -> str | None:
    return None if value is None else _json_encode(value)


def _bool_value(value: bool | None) -> str | None:
    return None if value is None else "t" if value else "f"


def _converter(field: Field):
    """How a value of the field is written in COPY's csv (None: as csv writes it)."""
    if isinstance(field, DateTimeField):
        return _datetime_value
    if isinstance(field, JSONField):
        return _json_value
    if isinstance(field, BooleanField):
        return _bool_value
    return None


class CopyData:
    """A COPY's data as one text, handed to psycopg2's copy_expert whole: it reads its file in
    pieces of `size` with the GIL held and sends each without, so in its default 8 KiB
    pieces the COPY thread waited for the GIL again after each piece while the caller's
    thread built the next batch. One text also takes a quarter of the memory of the
    StringIO it was written into (which holds four bytes per character)."""

    def __init__(self, text: str):
        self.text = text
        self.size = max(len(text), 8192)

    def read(self, size: int = -1) -> str:
        text, self.text = self.text, ""
        return text


def copy_statement(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence],
    written: Sequence[str] = (),
):
    """The COPY of the rows (values in the order of `columns`, field attnames) into the
    model's table, and its data; the columns left out take their database default (an
    identity primary key). `written`: columns whose values are already as COPY reads them
    (the stamps of the moment, written out once), not converted row by row.

    The csv format, written by the csv module in C: None is an unquoted empty field (NULL);
    an empty text is one too, so the text columns that cannot be NULL read it as '' instead
    (FORCE_NOT_NULL)."""
    fields = [model._meta.get_field(name) for name in columns]
    converters = [(index, convert) for index, field in enumerate(fields)
                  if field.attname not in written and (convert := _converter(field))]  # fmt: skip
    if converters:
        rows = (_converted(row, converters) for row in rows)
    buffer = io.StringIO()
    # Rows end with \r\n: the csv module quotes a value holding a character of the line end
    # only, and PostgreSQL ends a row at a lone \r as well (a text with one, ended at "\n",
    # was cut there and the COPY failed).
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    texts = [quote(field.column) for field in fields
             if isinstance(field, CharField | TextField) and not field.null]  # fmt: skip
    options = f", FORCE_NOT_NULL ({', '.join(texts)})" if texts else ""
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN WITH (FORMAT csv{options})"
    return sql, CopyData(buffer.getvalue())


# COPY's text format: a backslash, a tab and the line ends written as escapes (the only
# characters it reads otherwise); None is \N.
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text_cell(value) -> str:
    """A value (None, a number, or text as COPY reads it) as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if not isinstance(value, str):
        return str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_TEXT_ESCAPES)
    return value


def copy_value(model: type[Model], name: str, value):
    """A value of the model's field as COPY reads it (a date, JSON, a boolean written out)."""
    convert = _converter(model._meta.get_field(name))
    return convert(value) if convert else value


def needs_converting(model: type[Model], name: str) -> bool:
    return _converter(model._meta.get_field(name)) is not None


def copy_lines_statement(model: type[Model], columns: Sequence[str], lines: list[str]):
    """The COPY of lines already written in COPY's text format (text_cell) into the model's
    table, the values in the order of `columns`, and its data."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    return sql, CopyData("".join(lines))


def copy_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence],
    written: Sequence[str] = (),
) -> None:
    """COPY the rows into the model's table now (see copy_statement)."""
    _copy_now(*copy_statement(model, columns, rows, written))


def copy_lines(model: type[Model], columns: Sequence[str], lines: list[str]) -> None:
    """COPY lines in COPY's text format into the model's table now (copy_lines_statement)."""
    _copy_now(*copy_lines_statement(model, columns, lines))


def _copy_now(sql: str, data: CopyData) -> None:
    # The raw cursor's errors become Django's (IntegrityError, ...), as from any query.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(sql, data, size=data.size)


def _converted(row: Sequence, converters: list) -> list:
    values = list(row)
    for index, convert in converters:
        values[index] = convert(values[index])
    return values


def ids_reserve(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys from the table's sequence (PostgreSQL, SQLite)."""
    if not count:
        return []
    if connection.vendor == "sqlite":
        return _sqlite_ids_reserve(model, count)
    with connection.cursor() as cursor:
        # The sequence is named once: pg_get_serial_sequence in the select list would look it
        # up again for every row.
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)",
            [model._meta.db_table, model._meta.pk.column],
        )
        (sequence,) = cursor.fetchone()
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return [row[0] for row in cursor.fetchall()]


def _sqlite_ids_reserve(model: type[Model], count: int) -> list[int]:
    """SQLite numbers an AUTOINCREMENT table's rows after the highest it ever gave
    (sqlite_sequence): the keys after it, and the sequence moved past them. Only inside a
    transaction that has written already (it holds the database's write lock until it ends,
    so no other connection takes the same keys)."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        given = cursor.fetchone()
        cursor.execute(f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(table)}")
        (highest,) = cursor.fetchone()
        last = max(given[0] if given else 0, highest or 0)
        if given:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last + count, table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last + count]
            )
    return list(range(last + 1, last + count + 1))


def stamped_columns(model: type[Model]) -> list[str]:
    """The date fields Django fills on save (auto_now, auto_now_add)."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]


def instances_insert(
    model: type[Model], instances: list[Model], copies: CopyQueue | None = None
) -> None:
    """Insert new model instances and set their primary keys. Fields are written as the
    instances hold them; `auto_now`/`auto_now_add` dates are the moment of the call. With
    `copies` the COPY is queued there (the keys are set at once)."""
    if not instances:
        return
    if not copy_available():
        model.objects.bulk_create(instances, batch_size=BATCH)
        return
    reserve = copies.ids_reserve if copies else ids_reserve
    for instance, pk in zip(instances, reserve(model, len(instances)), strict=True):
        instance.pk = pk
    now = timezone.now()
    stamped = stamped_columns(model)
    for instance in instances:
        for name in stamped:
            setattr(instance, name, now)
    columns = [f.attname for f in model._meta.concrete_fields if f.attname not in stamped]
    # Read from each instance's __dict__: through the attributes, every foreign key id would
    # pass Django's descriptor (a new instance holds every field's value there).
    values, stamps = itemgetter(*columns), (_datetime_value(now),) * len(stamped)
    copy = copies.add if copies else copy_rows
    copy(model, [*columns, *stamped], (values(vars(i)) + stamps for i in instances), stamped)


def stamp_now() -> datetime | str:
    """The moment of the call as rows_insert writes a stamped column (auto_now, auto_now_add):
    for COPY written out once, not once per row."""
    now = timezone.now()
    return _datetime_value(now) if copy_available() else now


def rows_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: list[Sequence],
    copies: CopyQueue | None = None,
    written: Sequence[str] = (),
) -> None:
    """Insert rows given as value tuples (no primary key wanted back): COPY on PostgreSQL
    (queued in `copies` if given), model instances through bulk_create elsewhere.
    `auto_now(_add)` dates not among the columns are the moment of the call. `written`:
    columns whose values are already as COPY reads them (json_text), on PostgreSQL."""
    if not rows:
        return
    stamped = [name for name in stamped_columns(model) if name not in columns]
    if stamped:
        stamps = (stamp_now(),) * len(stamped)
        columns = [*columns, *stamped]
        rows = [(*row, *stamps) for row in rows]
    if copy_available():
        (copies.add if copies else copy_rows)(model, columns, rows, [*stamped, *written])
        return
    model.objects.bulk_create(
        (model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=BATCH
    )


class CopyQueue:
    """COPYs run on a second thread, in order, while the caller builds the next batch: on two
    cores PostgreSQL stores and checks one batch while Python prepares the next, instead of
    each waiting for the other. Inside it the foreign keys are checked at once (SET
    CONSTRAINTS ALL IMMEDIATE: they are Django's INITIALLY DEFERRED), so that their checks
    run with each COPY rather than all together at the commit; every check still runs.

    The connection and its transaction are the caller's. The thread only runs the COPYs, on
    a cursor of the connection; any query of the caller's thread meanwhile first waits until
    the running COPY is done (a connection runs one command at a time). Use as a context
    manager, on PostgreSQL: leaving it waits for the last COPY and raises its error, if any."""

    # Primary keys taken from a sequence at a time: a query waits for the running COPY, so
    # keys asked for batch by batch would stop the caller once per batch.
    IDS_AHEAD = 20_000

    def __init__(self):
        self.reserved: dict[type[Model], list[int]] = {}
        self.built: list[tuple[str, CopyData]] = []
        self.running: Future | None = None
        self.executor: ThreadPoolExecutor | None = None
        self.wrapper = None

    def __enter__(self) -> CopyQueue:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.wrapper = connection.execute_wrapper(self._after_copy)
        self.wrapper.__enter__()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy")
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        try:
            if error is None:
                self.flush()
            self.wait(raising=error is None)
        finally:
            self.executor.shutdown()
            self.wrapper.__exit__(None, None, None)
        if error is None:  # An aborted transaction takes no further statement.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def _after_copy(self, execute, sql, params, many, context):
        """Every query of the caller's thread (Django's execute wrapper): after the COPY."""
        self.wait()
        return execute(sql, params, many, context)

    def ids_reserve(self, model: type[Model], count: int) -> list[int]:
        """`count` new primary keys, from keys taken IDS_AHEAD at a time (the ones left
        unused at the end are a gap in the sequence, as a rolled back insert leaves)."""
        reserved = self.reserved.setdefault(model, [])
        if len(reserved) < count:
            reserved += ids_reserve(model, max(count - len(reserved), self.IDS_AHEAD))
        taken, self.reserved[model] = reserved[:count], reserved[count:]
        return taken

    def add(
        self,
        model: type[Model],
        columns: Sequence[str],
        rows: Iterable[Sequence],
        written: Sequence[str] = (),
    ) -> None:
        """Build the COPY's data now (in the caller's thread); it runs at the next flush."""
        self.built.append(copy_statement(model, columns, rows, written))

    def add_lines(self, model: type[Model], columns: Sequence[str], lines: list[str]) -> None:
        """Lines in COPY's text format (copy_lines_statement), run at the next flush."""
        self.built.append(copy_lines_statement(model, columns, lines))

    def flush(self) -> None:
        """Hand the COPYs built so far to the thread, once the ones before have finished."""
        self.wait()
        built, self.built = self.built, []
        if built:
            cursor = connection.connection.cursor()  # psycopg2's own: Django's is per thread
            self.running = self.executor.submit(_copies_run, cursor, built)

    def wait(self, raising: bool = True) -> None:
        running, self.running = self.running, None
        if running is None:
            return
        try:
            with connection.wrap_database_errors:  # IntegrityError etc., as from any query
                running.result()
        except Exception:
            if raising:
                raise


def _copies_run(cursor, built: list[tuple[str, CopyData]]) -> None:
    with cursor:
        for sql, data in built:
            cursor.copy_expert(sql, data, size=data.size)


# A table is analysed again once the rows written into it are more than this fraction of the
# rows it held (autovacuum's own threshold, autovacuum_analyze_scale_factor).
ANALYSE_GROWTH = 0.1
# The statistics target of that ANALYZE (PostgreSQL's default: 100): it samples 300 rows per
# unit, so 3,000 rows rather than 30,000. What the plans after an import lacked was the
# tables' sizes and their keys' spread, which a small sample gives as well. It cut the
# ANALYZE after an import of 60,000 annotations to a fifth to a seventh of its time (measured
# A/B on the same tables).
ANALYSE_STATISTICS_TARGET = 10


def tables_rows_estimated(models: Iterable) -> dict:
    """Each table's row count as the planner knows it (pg_class.reltuples; -1: never
    analysed), on PostgreSQL; {} elsewhere."""
    if connection.vendor != "postgresql":
        return {}
    tables = {model._meta.db_table: model for model in models}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)",
            [list(tables)],
        )
        return {tables[name]: rows for name, rows in cursor.fetchall()}


def planner_columns(model: type[Model]) -> list[str]:
    """The columns the planner estimates conditions and joins on: keys, foreign keys, choices,
    numbers and dates. Free text and JSON are left out: no query filters on them by value,
    and their statistics are the costly part of an ANALYZE (each value read and sorted)."""
    return [
        field.column
        for field in model._meta.concrete_fields
        if not isinstance(field, TextField | JSONField)
        and not (isinstance(field, CharField) and not field.choices)
    ]


def tables_analyse(written: dict, rows_before: dict) -> None:
    """Fresh planner statistics for tables just filled in bulk, on PostgreSQL. Until autovacuum
    gets to them the planner sees them at the size they were before, often empty: the csv
    export's SELECT right after an import of 60,000 annotations took 97 s instead of 1.6 s.
    `written`: rows written per model; `rows_before`: tables_rows_estimated before the writes.
    Only tables that grew by more than ANALYSE_GROWTH, and only their planner_columns."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL default_statistics_target = {ANALYSE_STATISTICS_TARGET}")
        for model, rows in written.items():
            before = rows_before.get(model, -1)
            if rows and (before < 0 or rows > ANALYSE_GROWTH * before):
                columns = ", ".join(quote(column) for column in planner_columns(model))
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)} ({columns})")
        # Called inside a transaction, the setting would otherwise last until that one ends.
        cursor.execute("SET LOCAL default_statistics_target TO DEFAULT")
