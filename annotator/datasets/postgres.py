"""The csv export on PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` with exactly the columns, order
and bytes of `writers.csv_chunks` (tests compare the two), at PostgreSQL's own speed.

What the SQL reproduces of the Python writer:
* the spreadsheet neutralisation (`safety.neutralise`) of every text cell;
* empty text as an empty, unquoted field (COPY quotes empty strings, so they become NULL);
* labels per group joined with "|" in (position, name) order, names compared by code point;
* timestamps as UTC ISO 8601 with microseconds and "Z";
* CRLF line ends: COPY ends each row (one CopyData message per row) with LF, `_CrlfRows`
  turns that into CRLF as the csv module writes it.
"""

from __future__ import annotations

from typing import IO

from django.db import connection, transaction

from ..models import Annotation, Document, GoldLabel, Label, Source, Statement
from .selection import TIMESTAMP_SQL, DatasetExport

TRIGGERS_SQL = "('=', '+', '-', '@', chr(9), chr(13))"


FIRST_CHARACTERS_SQL = "('=', '+', '-', '@', chr(9), chr(13), '''')"
WORK_MEM = "64MB"  # the export's sort stays in memory longer


def neutralised(expression: str) -> str:
    """SQL for `safety.neutralise(expression)`, with '' turned into NULL. Only a text whose
    first character is a trigger or a quote is looked at further (ltrim copies the text)."""
    return (
        f"NULLIF(CASE WHEN left({expression}, 1) IN {FIRST_CHARACTERS_SQL} "
        f"AND left(ltrim({expression}, ''''), 1) IN {TRIGGERS_SQL} "
        f"THEN '''' || {expression} ELSE {expression} END, '')"
    )


def plain(expression: str) -> str:
    """A column of fixed values (grades, language, method) that never starts with a trigger:
    nothing to neutralise, only '' to turn into NULL."""
    return f"NULLIF({expression}, '')"


def label_columns_sql(export: DatasetExport, owner_column: str, through: str) -> str:
    """One aggregated column per label group: g0, g1, ... for each labelled object."""
    columns = ", ".join(
        f"string_agg(l.name, '|' ORDER BY l.position, l.name COLLATE \"C\") "
        f"FILTER (WHERE l.group_id = {int(group.pk)}) AS g{index}"
        for index, group in enumerate(export.groups)
    )
    return (
        f"SELECT t.{owner_column}{', ' if columns else ''}{columns} FROM {through} t "
        f"JOIN {Label._meta.db_table} l ON l.id = t.label_id GROUP BY t.{owner_column}"
    )


def span_sql(alias: str) -> str:
    """The mention span as "[start, end]" (selection.span_text), NULL without one."""
    return f"'[' || {alias}.source_mention_start || ', ' || {alias}.source_mention_end || ']'"


def labelling_sql(export: DatasetExport, alias: str, labels: str, source: str) -> list[str]:
    return [
        neutralised(f"{source}.name"),
        neutralised(f"{alias}.source_mention"),
        plain(f"{alias}.source_reliability"),
        plain(f"{alias}.info_credibility"),
        plain(f"{alias}.source_reliability || {alias}.info_credibility"),
        *[neutralised(f"{labels}.g{index}") for index in range(len(export.groups))],
        neutralised(f"{alias}.note"),
    ]


def copy_query(export: DatasetExport) -> tuple[str, list]:
    """The SELECT behind the csv, with its parameters."""
    statements_sql, statement_params = (
        export.statements().values("pk").order_by().query.sql_with_params()
    )
    people = list(export.people.items()) or [(None, None)]
    people_sql = ", ".join(["(%s::bigint, %s::text)"] * len(people))
    annotation_through = Annotation.labels.through._meta.db_table
    gold_through = GoldLabel.labels.through._meta.db_table
    columns = [
        "s.id", "d.id", neutralised("d.title"), "s.position", neutralised("s.text"),
        "s.start", 's."end"', plain("d.language"), neutralised("ss.name"),
        neutralised("p.name"), *labelling_sql(export, "a", "al", "asrc"),
        f"to_char(a.submitted_at AT TIME ZONE 'UTC', '{TIMESTAMP_SQL}')",
        *labelling_sql(export, "g", "gl", "gsrc"),
        plain("g.method"), neutralised("pd.name"), neutralised("g.rationale"),
        span_sql("a"), neutralised("a.guidelines_version"), "a.seconds_spent", span_sql("g"),
    ]  # fmt: skip
    sql = f"""
        WITH people(user_id, name) AS (VALUES {people_sql}),
        chosen AS ({statements_sql}),
        alabels AS ({label_columns_sql(export, "annotation_id", annotation_through)}),
        glabels AS ({label_columns_sql(export, "goldlabel_id", gold_through)})
        SELECT {", ".join(columns)}
        FROM {Statement._meta.db_table} s
        JOIN {Document._meta.db_table} d ON d.id = s.document_id
        LEFT JOIN {Source._meta.db_table} ss ON ss.id = s.suggested_source_id
        LEFT JOIN {Annotation._meta.db_table} a ON a.statement_id = s.id AND a.status = %s
        LEFT JOIN people p ON p.user_id = a.annotator_id
        LEFT JOIN {Source._meta.db_table} asrc ON asrc.id = a.source_id
        LEFT JOIN alabels al ON al.annotation_id = a.id
        LEFT JOIN {GoldLabel._meta.db_table} g ON g.statement_id = s.id
        LEFT JOIN {Source._meta.db_table} gsrc ON gsrc.id = g.source_id
        LEFT JOIN glabels gl ON gl.goldlabel_id = g.id
        LEFT JOIN people pd ON pd.user_id = g.decided_by_id
        WHERE s.id IN (SELECT * FROM chosen)
        ORDER BY s.document_id, s.position, a.annotator_id
    """
    params = [value for pair in people for value in pair]
    return sql, [*params, *statement_params, Annotation.Status.SUBMITTED]


class _CrlfRows:
    """COPY's row sink: each write is one row ending in LF; write it out ending in CRLF,
    in blocks of about a megabyte."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, row: bytes) -> None:
        if row[-1:] == b"\n":
            row = row[:-1] + b"\r\n"
        self.parts.append(row)
        self.size += len(row)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.out.write(b"".join(self.parts))
        self.parts, self.size = [], 0


def copy_csv(export: DatasetExport, out: IO[bytes]) -> None:
    """Write the csv rows (no header) with COPY."""
    sql, params = copy_query(export)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        raw = cursor.cursor  # psycopg2's own cursor: mogrify and copy_expert
        query = raw.mogrify(sql, params).decode()
        sink = _CrlfRows(out)
        raw.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", sink)
        sink.flush()
