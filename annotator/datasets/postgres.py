"""The csv export on PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` with exactly the columns, order
and bytes of `writers.csv_chunks` (tests compare the two), at PostgreSQL's own speed.

What the SQL reproduces of the Python writer:
* the spreadsheet neutralisation (`safety.neutralise`) of every text cell;
* empty text as an empty, unquoted field (COPY quotes empty strings, so they become NULL);
* labels per group, by key, joined with "|" in (position, name) order, names compared by code
  point;
* timestamps as UTC ISO 8601 with microseconds and "Z";
* CRLF line ends: COPY ends each row (one CopyData message per row) with LF, `_CrlfRows`
  turns that into CRLF as the csv module writes it.
"""

from __future__ import annotations

import json
from typing import IO

from django.db import connection, transaction
from django.db.models import QuerySet

from ..models import Annotation, Document, GoldLabel, Label, Source, Statement
from .safety import spreadsheet_row
from .selection import TIMESTAMP_SQL, DatasetExport

TRIGGERS_SQL = "('=', '+', '-', '@', chr(9), chr(13))"
# The code points of the triggers and of the quote: ascii() reads only the first character,
# an integer comparison instead of a new one-character text per cell.
FIRST_CODES_SQL = "(61, 43, 45, 64, 9, 13, 39)"
# Per transaction: the sort stays in memory longer, and the plan is too short-lived for the
# JIT compiler to pay off.
SETTINGS = {"work_mem": "64MB", "jit": "off"}
MASK_BITS = 64  # labels per export that fit one bigint; beyond, a sorted string_agg per row


def neutralised(expression: str) -> str:
    """SQL for `safety.neutralise(expression)`, with '' turned into NULL. Only a text whose
    first character is a trigger or a quote is looked at further (ltrim copies the text)."""
    return (
        f"NULLIF(CASE WHEN ascii({expression}) IN {FIRST_CODES_SQL} "
        f"AND left(ltrim({expression}, ''''), 1) IN {TRIGGERS_SQL} "
        f"THEN '''' || {expression} ELSE {expression} END, '')"
    )


def plain(expression: str) -> str:
    """A column of fixed values (grades, language, method) that never starts with a trigger:
    nothing to neutralise, only '' to turn into NULL."""
    return f"NULLIF({expression}, '')"


def _group_columns(export: DatasetExport, alias: str, order: str) -> str:
    return "".join(
        f", string_agg({alias}.key, '|' ORDER BY {order}) "
        f"FILTER (WHERE {alias}.group_id = {int(group.pk)}) AS g{index}"
        for index, group in enumerate(export.groups)
    )


def _neutralised_groups(export: DatasetExport, key: str, grouped: str) -> str:
    """`grouped` (a key column and g0, g1, ...) with its label columns neutralised."""
    columns = "".join(
        f", {neutralised(f'x.g{index}')} AS g{index}" for index in range(len(export.groups))
    )
    return f"SELECT x.{key}{columns} FROM ({grouped}) x"


def label_columns_sql(export: DatasetExport, owner_column: str, through: str) -> str:
    """One aggregated column per label group: g0, g1, ... for each labelled object, sorted
    per object (the general case, for exports with more than MASK_BITS labels)."""
    columns = _group_columns(export, "l", 'l.position, l.name COLLATE "C"')
    grouped = (
        f"SELECT t.{owner_column} AS owner{columns} FROM {through} t "
        f"JOIN {Label._meta.db_table} l ON l.id = t.label_id GROUP BY t.{owner_column}"
    )
    return _neutralised_groups(export, "owner", grouped)


def label_masks_sql(owner_column: str, through: str, where: str = "") -> str:
    """Each labelled object's labels as one bigint (bit_or of the labels' bits, read from an
    array by the label's id: bit_of), in the objects' order: a GroupAggregate over the
    (owner, label) index, with no hash table of a million objects. `where`: a condition on
    the owners (part_owners)."""
    return (
        f"SELECT t.{owner_column} AS owner, "
        "bit_or((SELECT bits FROM bit_of)[t.label_id - (SELECT base FROM bit_of)]) AS mask "
        f"FROM {through} t {where} GROUP BY t.{owner_column} ORDER BY t.{owner_column}"
    )


def part_owners(chosen: str) -> str:
    """For label_masks_sql in a part of the export (forked_copy.document_parts): only the
    labels of the annotations of its statements (`chosen`) are grouped, not all of them."""
    return (
        f"WHERE t.annotation_id IN (SELECT a.id FROM {Annotation._meta.db_table} a "
        f"WHERE a.statement_id IN ({chosen}))"
    )


def label_names_sql(export: DatasetExport, masks: str) -> str:
    """g0, g1, ... for each distinct mask (few: combinations actually chosen), in the
    labels' order (position, then name by code point), as `label_columns_sql` writes them,
    neutralised once per mask rather than once per row."""
    columns = _group_columns(export, "b", "b.rank")
    grouped = (
        f"SELECT m.mask{columns} FROM (SELECT DISTINCT mask FROM {masks}) m "
        f"JOIN bits b ON m.mask & b.bit <> 0 GROUP BY m.mask"
    )
    return _neutralised_groups(export, "mask", grouped)


BIGINT_BIT = "1::bigint << (rank - 1)::int"  # a label's bit in a bigint mask, by its rank
# Each label's bit at its id (0 between): bits[label_id - base], for label_masks_sql.
BIT_OF_CTE = (
    "bit_of AS MATERIALIZED (SELECT array_agg(coalesce(b.bit, 0) ORDER BY i) AS bits, "
    "min(i) - 1 AS base FROM generate_series((SELECT min(id) FROM bits), "
    "(SELECT max(id) FROM bits)) i LEFT JOIN bits b ON b.id = i)"
)


def bits_cte(export: DatasetExport, bit: str = BIGINT_BIT, materialized: str = "") -> str:
    """bits: the export's labels (id, group_id, key), ranked by group, position and name by
    code point, each with its `bit` (SQL of the rank)."""
    groups = ", ".join(str(int(group.pk)) for group in export.groups) or "NULL"
    ranked = (
        "SELECT l.id, l.group_id, l.key, row_number() OVER "
        '(ORDER BY l.group_id, l.position, l.name COLLATE "C") AS rank '
        f"FROM {Label._meta.db_table} l WHERE l.group_id IN ({groups})"
    )
    return f"bits AS {materialized}(SELECT id, group_id, key, rank, {bit} AS bit FROM ({ranked}) r)"


def label_ctes(
    export: DatasetExport, params: list, part: dict | None
) -> tuple[list[str], dict[str, str]]:
    """The CTEs behind the label columns (for a `part` of the statements: part_owners), and
    the joins that bring them to the annotations (alias al, joined to alias a) and the gold
    labels (alias gl, joined to alias g). Their parameters appended to `params`."""
    annotation_through = Annotation.labels.through._meta.db_table
    gold_through = GoldLabel.labels.through._meta.db_table
    group_ids = [int(group.pk) for group in export.groups]
    if Label.objects.filter(group_id__in=group_ids).count() > MASK_BITS:
        ctes = [
            f"alabels AS ({label_columns_sql(export, 'annotation_id', annotation_through)})",
            f"glabels AS ({label_columns_sql(export, 'goldlabel_id', gold_through)})",
        ]
        joins = {
            "a": "LEFT JOIN alabels al ON al.owner = a.id",
            "g": "LEFT JOIN glabels gl ON gl.owner = g.id",
        }
        return ctes, joins
    owners = part_owners(chosen_sql(export, params, part)) if part else ""
    ctes = [
        bits_cte(export),
        BIT_OF_CTE,
        f"amasks AS MATERIALIZED ({label_masks_sql('annotation_id', annotation_through, owners)})",
        f"anames AS MATERIALIZED ({label_names_sql(export, 'amasks')})",
        f"gmasks AS ({label_masks_sql('goldlabel_id', gold_through)})",
        f"gnames AS MATERIALIZED ({label_names_sql(export, 'gmasks')})",
    ]
    joins = {
        "a": "LEFT JOIN amasks am ON am.owner = a.id LEFT JOIN anames al ON al.mask = am.mask",
        "g": "LEFT JOIN gmasks gm ON gm.owner = g.id LEFT JOIN gnames gl ON gl.mask = gm.mask",
    }
    return ctes, joins


def span_sql(alias: str) -> str:
    """The mention span as "[start, end]" (selection.span_text), NULL without one."""
    return f"'[' || {alias}.source_mention_start || ', ' || {alias}.source_mention_end || ']'"


LOOKUP_SPAN = 1 << 16  # ids a lookup array may span; beyond, a jsonb object


def _array_item(value: str | None) -> str:
    if value is None:
        return "NULL"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Lookups:
    """Names by id (sources, people), neutralised in Python once each, that the query reads
    as constants: an array subscripted by the id itself ('[low:high]={...}'), where a join
    would copy each of a million rows once more. Each use adds its parameter to `params`, so
    the SQL must be built in the order of its text."""

    def __init__(self, names: dict[str, dict[int, str]]):
        self.literals = {kind: self._literal(values) for kind, values in names.items()}
        self.params: list = []

    @staticmethod
    def _literal(values: dict[int, str]) -> tuple[str, str]:
        cells = dict(zip(values, spreadsheet_row(list(values.values())), strict=True))
        low, high = min(cells, default=1), max(cells, default=0)
        if high - low < LOOKUP_SPAN:
            items = ",".join(_array_item(cells.get(pk)) for pk in range(low, high + 1))
            bounds = f"[{low}:{high}]=" if cells else ""
            return "(%s::text[])[{key}]", f"{bounds}{{{items}}}"
        return "(%s::jsonb ->> {key}::text)", json.dumps({str(k): v for k, v in cells.items()})

    def name(self, kind: str, key: str) -> str:
        template, literal = self.literals[kind]
        self.params.append(literal)
        return template.format(key=key)


def labelling_sql(export: DatasetExport, alias: str, labels: str, lookups: Lookups) -> list[str]:
    """The labelling columns; the labels come neutralised from their CTEs."""
    return [
        lookups.name("sources", f"{alias}.source_id"),
        neutralised(f"{alias}.source_mention"),
        plain(f"{alias}.source_reliability"),
        plain(f"{alias}.info_credibility"),
        plain(f"{alias}.source_reliability || {alias}.info_credibility"),
        *[f"{labels}.g{index}" for index in range(len(export.groups))],
        neutralised(f"{alias}.note"),
    ]


def _columns(expressions: list[str]) -> str:
    """The expressions as c0, c1, ..."""
    return ", ".join(f"{expression} AS c{index}" for index, expression in enumerate(expressions))


STATEMENT_WIDTH = 9  # the statement's own columns, before its gold label's
# What the csv reads of an annotation; sorted with the annotation's place in the export.
ANNOTATION_COLUMNS = (
    "annotator_id", "source_id", "source_mention", "source_reliability", "info_credibility",
    "note", "submitted_at", "source_mention_start", "source_mention_end", "guidelines_version",
    "seconds_spent",
)  # fmt: skip


def gold_sql(export: DatasetExport, lookups: Lookups) -> list[str]:
    """The gold label's columns (alias g)."""
    return [
        *labelling_sql(export, "g", "gl", lookups), plain("g.method"),
        lookups.name("people", "g.decided_by_id"), neutralised("g.rationale"), span_sql("g"),
    ]  # fmt: skip


def part_statements(export: DatasetExport, part: dict | None) -> QuerySet[Statement]:
    """The exported statements, or those of one part of the export (a filter on their
    documents: forked_copy.document_parts)."""
    statements = export.statements()
    return statements.filter(**part) if part else statements


def chosen_sql(export: DatasetExport, params: list, part: dict | None = None) -> str:
    """The SQL of the exported statements' ids (of a `part` of them); its parameters appended
    to `params`."""
    chosen = part_statements(export, part).values("pk").order_by()
    sql, chosen_params = chosen.query.sql_with_params()
    params.extend(chosen_params)
    return sql


def statements_sql(
    export: DatasetExport, lookups: Lookups, gold_labels_join: str, part: dict | None
) -> str:
    """The statement columns (c0, c1, ...) with the document's, the suggested source's and
    the gold label's (after the first STATEMENT_WIDTH), once per statement (not per
    annotation), in the export's order (k1, k2: document, position). The chosen statements'
    parameters follow the lookups'."""
    expressions = [
        "s.id", "d.id", neutralised("d.title"), "s.position", neutralised("s.text"),
        "s.start", 's."end"', plain("d.language"),
        lookups.name("sources", "s.suggested_source_id"), *gold_sql(export, lookups),
    ]  # fmt: skip
    chosen = chosen_sql(export, lookups.params, part)
    return f"""(SELECT s.document_id AS k1, s.position AS k2, {_columns(expressions)}
        FROM {Statement._meta.db_table} s
        JOIN {Document._meta.db_table} d ON d.id = s.document_id
        LEFT JOIN {GoldLabel._meta.db_table} g ON g.statement_id = s.id
        {gold_labels_join}
        WHERE s.id IN ({chosen})
        ORDER BY s.document_id, s.position OFFSET 0)"""


def annotation_rows_sql(
    export: DatasetExport, params: list, labels_join: str, part: dict | None
) -> str:
    """The exported annotations' own columns and label columns (g0, g1, ...), in the export's
    order (k1, k2: the statement's document and position, then the annotator), with one row
    without an annotation for a statement that has none. Narrow rows, sorted before the
    statements' wide columns are joined to them; its parameters appended to `params`."""
    params.append(Annotation.Status.SUBMITTED)
    columns = "".join(f", a.{column}" for column in ANNOTATION_COLUMNS)
    labels = "".join(f", al.g{index}" for index in range(len(export.groups)))
    # A part's annotations are picked before their labels are joined: not all of them.
    in_part = f"AND a.statement_id IN ({chosen_sql(export, params, part)})" if part else ""
    chosen = chosen_sql(export, params, part)
    return f"""(SELECT k.document_id AS k1, k.position AS k2{columns}{labels}
        FROM {Statement._meta.db_table} k
        LEFT JOIN ({Annotation._meta.db_table} a {labels_join})
            ON a.statement_id = k.id AND a.status = %s {in_part}
        WHERE k.id IN ({chosen})
        ORDER BY k.document_id, k.position, a.annotator_id OFFSET 0)"""


def copy_query(export: DatasetExport, part: dict | None = None) -> tuple[str, list]:
    """The SELECT behind the csv (of a `part` of its statements), with its parameters.

    At a million annotations the time goes per output row, so what belongs to a smaller
    table is worked out before the join: the source names and pseudonyms in Python (once
    each), the statements with their documents and gold labels in a subquery of their own,
    the label columns per distinct combination of labels. The order comes from the inputs:
    the annotations' narrow rows are sorted (not the wide output rows), the statements
    apart, and a merge join of the two keeps the order, so no sort follows it."""
    sources = dict(Source.objects.values_list("pk", "name"))
    lookups = Lookups({"sources": sources, "people": export.people})
    ctes, label_joins = label_ctes(export, lookups.params, part)
    annotation_columns = [
        lookups.name("people", "a.annotator_id"), *labelling_sql(export, "a", "a", lookups),
        f"to_char(a.submitted_at AT TIME ZONE 'UTC', '{TIMESTAMP_SQL}')",
    ]  # fmt: skip
    annotations = annotation_rows_sql(export, lookups.params, label_joins["a"], part)
    statements = statements_sql(export, lookups, label_joins["g"], part)
    gold_width = len(gold_sql(export, Lookups({"sources": {}, "people": {}})))
    gold_columns = [f"st.c{STATEMENT_WIDTH + index}" for index in range(gold_width)]
    columns = [
        *[f"st.c{index}" for index in range(STATEMENT_WIDTH)], *annotation_columns,
        *gold_columns[:-1], span_sql("a"), neutralised("a.guidelines_version"),
        "a.seconds_spent", gold_columns[-1],
    ]  # fmt: skip
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT {", ".join(columns)}
        FROM {annotations} a
        JOIN {statements} st ON st.k1 = a.k1 AND st.k2 = a.k2
        ORDER BY a.k1, a.k2, a.annotator_id
    """
    return sql, lookups.params


class RowBlocks:
    """COPY's row sink: each write is one row; written out in blocks of about a megabyte."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, row: bytes) -> None:
        self.parts.append(row)
        self.size += len(row)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.out.write(b"".join(self.parts))
        self.parts, self.size = [], 0


class _CrlfRows(RowBlocks):
    """Each row ending in LF written out ending in CRLF. The whole write is here, not a call
    of the base's: it runs once per row, a million times per export."""

    def write(self, row: bytes) -> None:
        if row[-1:] == b"\n":
            row = row[:-1] + b"\r\n"
        self.parts.append(row)
        self.size += len(row)
        if self.size >= 1 << 20:
            self.flush()


def mogrified_copy(export: DatasetExport, raw, part: dict | None = None) -> str:
    """The COPY statement of the csv's rows (of a `part` of the statements), its parameters
    bound by psycopg2's cursor `raw`."""
    sql, params = copy_query(export, part)
    return f"COPY ({raw.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)"


def copy_into(raw, copy: str, out: IO[bytes], *, settings: dict, sink=RowBlocks) -> None:
    """Run `copy` (a mogrified COPY ... TO STDOUT) on psycopg2's cursor `raw`, inside a
    transaction, with `settings` for it, into `out` through a `sink` (RowBlocks or a kind)."""
    for name, value in settings.items():
        raw.execute(f"SET LOCAL {name} = '{value}'")
    rows = sink(out)
    raw.copy_expert(copy, rows)
    rows.flush()


def copy_rows(raw, copy: str, out: IO[bytes]) -> None:
    """Run `copy` (mogrified_copy) on psycopg2's cursor `raw`, inside a transaction, into
    `out` with CRLF line ends."""
    copy_into(raw, copy, out, settings=SETTINGS, sink=_CrlfRows)


def copy_on_connection(mogrified, copy, out: IO[bytes]) -> None:
    """Run a COPY on Django's connection, in a transaction: `mogrified(raw)` makes the
    statement with psycopg2's own cursor, `copy(raw, statement, out)` runs it."""
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor: mogrify and copy_expert
        # The driver's own cursor raises the driver's errors: as Django's, as any query would
        # (export_dataset reports a lost connection as a DatabaseError).
        with connection.wrap_database_errors:
            copy(raw, mogrified(raw), out)


def copy_csv(export: DatasetExport, out: IO[bytes]) -> None:
    """Write the csv rows (no header) with COPY."""
    copy_on_connection(lambda raw: mogrified_copy(export, raw), copy_rows, out)
