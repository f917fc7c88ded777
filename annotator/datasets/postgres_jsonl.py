"""The jsonl export on PostgreSQL: every record built as JSON text by one SELECT and streamed
with ``COPY``, with exactly the bytes of `writers.jsonl_chunks(export.records())` (tests
compare the two), at PostgreSQL's own speed.

What the SQL reproduces of the Python writer (json with ``ensure_ascii=False``):
* strings through ``to_json(text)``, which escapes as Python's json does (``\\"``, ``\\\\``,
  ``\\n``-style short forms, ``\\u00XX`` in lower case for the other control characters,
  everything else as it is); keys in the records' order, with ", " and ": " between them;
* the labels per group as `DatasetExport.label_values` gives them, put together once per
  distinct combination of labels (a mask, as in the csv's SELECT);
* the per-statement agreement of `statement_agreement.statement_agreement`, worked out once
  per distinct tuple of values of a field (the same few recur), with Python's floating-point
  operations in Python's order and Python's ``round(x, 4)`` (`rounded_json`).

COPY's csv format writes a JSON text as it is when quote and delimiter are control characters
(a JSON text holds none: they are escaped) and each row ends in LF, as the records do.
"""

from __future__ import annotations

import json
from typing import IO

from ..labelling import ORDINAL_SCALES
from ..models import Annotation, Document, GoldLabel, Label, Source, Statement
from .postgres import (
    ANNOTATION_COLUMNS,
    BIT_OF_CTE,
    bits_cte,
    chosen_sql,
    copy_into,
    copy_on_connection,
    label_masks_sql,
    part_owners,
)
from .selection import TIMESTAMP_SQL, DatasetExport
from .statement_agreement import statement_agreement

# extra_float_digits 1 (the default since PostgreSQL 12): a float8 as text is its shortest
# exact form, as Python's repr. The other two as in the csv's SELECT (postgres.SETTINGS).
SETTINGS = {"work_mem": "64MB", "jit": "off", "extra_float_digits": "1"}
MASK_BITS = 64  # labels per export that fit one bigint; beyond, a bit string
COPY_OPTIONS = "(FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
encode = json.JSONEncoder(ensure_ascii=False).encode


def literal(text: str) -> str:
    """A SQL string literal, read the same whatever standard_conforming_strings says."""
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def json_string(expression: str) -> str:
    """A text column as a JSON string (null for NULL)."""
    return f"COALESCE(to_json({expression})::text, 'null')"


def json_number(expression: str) -> str:
    return f"COALESCE(({expression})::text, 'null')"


def json_span(alias: str, prefix: str = "") -> str:
    """selection.span: [start, end], null without either."""
    start, end = f"{alias}.{prefix}start", f"{alias}.{prefix}end"
    return f"""COALESCE('[' || {start} || ', ' || {end} || ']', 'null')"""


def json_object(fields: list[tuple[str, str]]) -> str:
    """The JSON object of (key, SQL giving the value's JSON text, never NULL) pairs, in order."""
    if not fields:
        return literal("{}")
    parts = [
        f"{literal(('{' if index == 0 else ', ') + encode(key) + ': ')} || {value}"
        for index, (key, value) in enumerate(fields)
    ]
    return "(" + " || ".join(parts) + " || '}')"


# --------------------------------------------------------------------------------------------
# Python's round(x, 4) and repr
# --------------------------------------------------------------------------------------------

# Python rounds the float's exact binary value, half to even. The float's shortest decimal
# form (float8 as text) rounds the same way unless it lies exactly half-way (a fifth decimal 5):
# then the binary value, read from the float's bits, says on which side it really lies.
_BITS = "('x' || encode(float8send(u.f), 'hex'))::bit(64)::bigint"
_EXPONENT = f"(({_BITS} >> 52) & 2047)"
_MANTISSA = (
    f"(({_BITS} & 4503599627370495) + CASE WHEN {_EXPONENT} > 0 THEN 4503599627370496 ELSE 0 END)"
)
_SHIFT = f"(CASE WHEN {_EXPONENT} > 0 THEN 1075 - {_EXPONENT} ELSE 1074 END)"
_SIDE = f"sign({_MANTISSA}::numeric - u.s * 2::numeric ^ {_SHIFT})"
_ROUNDED = f"""CASE WHEN mod(u.s * 20000, 2) <> 1 THEN round(u.s, 4)
    WHEN {_SIDE} > 0 THEN u.s + 0.00005
    WHEN {_SIDE} < 0 THEN u.s - 0.00005
    WHEN mod((u.s - 0.00005) * 10000, 2) = 0 THEN u.s - 0.00005
    ELSE u.s + 0.00005 END"""


def rounded_json(x: str) -> str:
    """A scalar subquery: the JSON of Python's round(x, 4) for a float8 x in [0, 1] (repr: "1.0",
    "0.3333"), null for NULL."""
    return f"""(SELECT CASE WHEN t.r IS NULL THEN 'null'
            WHEN t.r = trunc(t.r) THEN trunc(t.r)::text || '.0' ELSE trim_scale(t.r)::text END
        FROM (SELECT {_ROUNDED} AS r
              FROM (SELECT ({x})::text::numeric AS s, ({x}) AS f) u) t)"""


# --------------------------------------------------------------------------------------------
# Labels: a mask per labelled object, the JSON and the values per distinct mask
# --------------------------------------------------------------------------------------------


class BigintMasks:
    """Label sets as bigints: bit rank-1 for the label of that rank."""

    zero = "0::bigint"

    def bit(self, rank: str) -> str:
        return f"1::bigint << ({rank} - 1)::int"

    def count(self, mask: str) -> str:
        return f"bit_count(({mask})::bit(64))"


class BitStringMasks:
    """Label sets as bit strings of the vocabulary's length (more labels than a bigint holds)."""

    def __init__(self, size: int):
        self.zero = f"B'{'0' * size}'"

    def bit(self, rank: str) -> str:
        return f"set_bit({self.zero}, ({rank} - 1)::int, 1)"

    def count(self, mask: str) -> str:
        return f"bit_count({mask})"


def mask_ctes(masks, annotations: str) -> list[str]:
    """amasks and gmasks: each annotation's and gold label's mask. In a bigint, one grouped
    pass over the (owner, label) index, as the csv's (postgres.label_masks_sql), over the
    annotations the condition `annotations` picks (postgres.part_owners, or ""); in a bit
    string, the labels' bits joined and aggregated."""
    owners = {
        "amasks": ("annotation_id", Annotation.labels.through._meta.db_table),
        "gmasks": ("goldlabel_id", GoldLabel.labels.through._meta.db_table),
    }
    if isinstance(masks, BigintMasks):
        where = {"amasks": annotations}
        return [BIT_OF_CTE] + [
            f"{name} AS ({label_masks_sql(owner, through, where.get(name, ''))})"
            for name, (owner, through) in owners.items()
        ]
    return [
        f"{name} AS (SELECT t.{owner} AS owner, bit_or(b.bit) AS mask FROM {through} t "
        f"JOIN bits b ON b.id = t.label_id GROUP BY t.{owner})"
        for name, (owner, through) in owners.items()
    ]


def label_ctes(export: DatasetExport, masks, annotations: str = "") -> list[str]:
    """bits (the schema's labels ranked by group, position, name), amasks and gmasks (each
    annotation's and gold label's mask), mask_values (per distinct mask: the labels' JSON,
    each single-choice group's value and each multiple-choice group's part of the mask)."""
    ctes = [bits_cte(export, masks.bit("rank"), "MATERIALIZED "), *mask_ctes(masks, annotations)]
    ctes.append(
        f"masks AS (SELECT {masks.zero} AS mask UNION SELECT mask FROM amasks "
        "UNION SELECT mask FROM gmasks)"
    )
    values, fields = [], []
    for index, group in enumerate(export.groups):
        keys = f"FILTER (WHERE b.group_id = {int(group.pk)})"
        if group.multiple:
            values += [
                f"'[' || COALESCE(string_agg(to_json(b.key)::text, ', ' ORDER BY b.rank) {keys}, "
                f"'') || ']' AS j{index}",
                f"COALESCE(bit_or(b.bit) {keys}, {masks.zero}) AS v{index}",
            ]
            fields.append((group.key, f"x.j{index}"))
        else:
            # "|".join(keys) or None: no label, or only a label keyed "", is None.
            values.append(f"NULLIF(string_agg(b.key, '|' ORDER BY b.rank) {keys}, '') AS v{index}")
            fields.append((group.key, json_string(f"x.v{index}")))
    per_mask = (
        f"SELECT m.mask{''.join(', ' + value for value in values)} FROM masks m "
        "LEFT JOIN bits b ON b.bit & m.mask = b.bit GROUP BY m.mask"
    )
    group_values = "".join(f", x.v{index}" for index in range(len(export.groups)))
    ctes.append(
        f"mask_values AS MATERIALIZED (SELECT x.mask, {json_object(fields)} AS labels"
        f"{group_values} FROM ({per_mask}) x)"
    )
    return ctes


def labelling_fields(alias: str, source: str, labels: str = "mv.labels") -> list[tuple[str, str]]:
    """The labelling's keys (DatasetExport.labelling) of an annotation or gold label (alias),
    its source's name as JSON in `source`, its labels' JSON in `labels`."""
    return [
        ("source", f"COALESCE({source}, 'null')"),
        ("source_mention", json_string(f"{alias}.source_mention")),
        ("source_reliability", json_string(f"{alias}.source_reliability")),
        ("info_credibility", json_string(f"{alias}.info_credibility")),
        ("admiralty_code", json_string(f"{alias}.source_reliability || {alias}.info_credibility")),
        ("labels", labels),
        ("note", json_string(f"{alias}.note")),
    ]


# The source names as JSON, once per source (OFFSET 0: planned on its own, see postgres.py).
NAMES_SQL = f"(SELECT id, to_json(name)::text AS name FROM {Source._meta.db_table} OFFSET 0)"


def labelled_join(alias: str, masks_cte: str, masks) -> str:
    return (
        f"LEFT JOIN {masks_cte} lm ON lm.owner = {alias}.id "
        f"JOIN mask_values mv ON mv.mask = COALESCE(lm.mask, {masks.zero})"
    )


def annotation_rows_sql(export: DatasetExport, masks, chosen: str) -> str:
    """Each exported annotation's own columns (postgres.ANNOTATION_COLUMNS), its annotator's
    pseudonym, its source's name and its labels as JSON: narrow rows, sorted in the export's
    order (k1, k2: the statement's document and position, then the annotator) before their
    JSON is put together, as the csv's annotations are."""
    columns = "".join(f", a.{column}" for column in ANNOTATION_COLUMNS)
    return f"""(SELECT k.document_id AS k1, k.position AS k2{columns},
            p.name AS annotator, asrc.name AS source, mv.labels
        FROM {Annotation._meta.db_table} a
        JOIN {Statement._meta.db_table} k ON k.id = a.statement_id
        {labelled_join("a", "amasks", masks)}
        LEFT JOIN people p ON p.user_id = a.annotator_id
        LEFT JOIN {NAMES_SQL} asrc ON asrc.id = a.source_id
        WHERE a.status = {literal(Annotation.Status.SUBMITTED)}
        AND a.statement_id IN ({chosen})
        ORDER BY k.document_id, k.position, a.annotator_id OFFSET 0)"""


def annotations_sql(export: DatasetExport, masks, chosen: str) -> str:
    """Each annotated statement's annotations as one JSON array's items (k1, k2, annotations),
    in the statements' order: grouped in the order of the sorted rows (annotation_rows_sql),
    each record's JSON made as the group reads it."""
    submitted_at = f"to_char(x.submitted_at AT TIME ZONE 'UTC', {literal(TIMESTAMP_SQL)})"
    fields = [
        ("annotator", "COALESCE(x.annotator, 'null')"),
        *labelling_fields("x", "x.source", "x.labels"),
        ("submitted_at", f"""COALESCE('"' || {submitted_at} || '"', 'null')"""),
        ("source_mention_span", json_span("x", "source_mention_")),
        ("guidelines_version", json_string("x.guidelines_version")),
        ("seconds_spent", json_number("x.seconds_spent")),
    ]
    return f"""(SELECT x.k1, x.k2, string_agg({json_object(fields)}, ', ') AS annotations
        FROM {annotation_rows_sql(export, masks, chosen)} x GROUP BY x.k1, x.k2)"""


def compared_cte(export: DatasetExport, masks, chosen: str) -> str:
    """compared: the values each exported annotation's statement's agreement compares
    (source, grades, v0, v1, ... per label group), narrow rows for its passes per statement."""
    values = "".join(f", mv.v{index}" for index in range(len(export.groups)))
    return f"""compared AS (SELECT a.statement_id, a.annotator_id,
            COALESCE(a.source_id, 0) AS source, a.source_reliability AS reliability,
            a.info_credibility AS credibility{values}
        FROM {Annotation._meta.db_table} a
        {labelled_join("a", "amasks", masks)}
        WHERE a.status = {literal(Annotation.Status.SUBMITTED)}
        AND a.statement_id IN ({chosen}))"""


# No ORDER BY inside the aggregates below (PostgreSQL 15 sorts each statement's rows apart for
# each of them): they read a subquery sorted by statement and annotator, with no join at their
# level, so they take the rows in its order (the JSON array and MASI's sum need it).


def statement_values_cte(export: DatasetExport) -> str:
    """statement_values: each annotated statement's annotations: their
    number and the values agreement compares, as arrays (the grades only where judged: not F
    or 6)."""
    judged = {
        field: ", ".join(literal(grade) for grade in grades)
        for field, grades in ORDINAL_SCALES.items()
    }
    groups = "".join(f", array_agg(v{index}) AS a{index}" for index in range(len(export.groups)))
    return f"""statement_values AS MATERIALIZED (SELECT statement_id, count(*) AS annotators,
            array_agg(source) AS a_source,
            array_agg(reliability) FILTER (WHERE reliability IN ({judged["source_reliability"]}))
                AS a_source_reliability,
            array_agg(credibility) FILTER (WHERE credibility IN ({judged["info_credibility"]}))
                AS a_info_credibility{groups}
        FROM (SELECT * FROM compared ORDER BY statement_id, annotator_id) sorted
        GROUP BY statement_id)"""


PAIRS = "FROM generate_subscripts(d.v, 1) i, generate_subscripts(d.v, 1) j WHERE i < j"


def exact_agreement(values: str) -> str:
    """statement_agreement.pairwise_agreement without a similarity: the share of pairs whose
    values are equal (the values in any order)."""
    return f"""(SELECT d.v, {rounded_json("c.k::float8 / NULLIF(c.n, 0)")} AS json
        FROM (SELECT DISTINCT {values} AS v FROM statement_values) d
        CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE d.v[i] IS NOT DISTINCT FROM d.v[j])
            AS k, count(*) AS n {PAIRS}) c)"""


def masi_agreement(values: str, masks) -> str:
    """pairwise_agreement with masi_similarity: 1.0 - masi_distance summed over the pairs in
    their order, as Python computes it (float8 is Python's float). Python 3.11's sum() adds
    floats one by one, as sum(float8) does; from 3.12 it compensates the rounding (a last bit
    apart, seen after round(x, 4) only next to a tie)."""
    a, b = "d.v[i]", "d.v[j]"
    common, union = masks.count(f"{a} & {b}"), masks.count(f"{a} | {b}")
    smaller = f"least({masks.count(a)}, {masks.count(b)})"
    monotonicity = (
        f"CASE WHEN {common} = {smaller} THEN 2::float8 / 3::float8 ELSE 1::float8 / 3::float8 END"
    )
    distance = f"""CASE WHEN {a} = {b} THEN 0.0::float8 WHEN {common} = 0 THEN 1.0::float8
        ELSE 1.0::float8 - ({common}::float8 / {union}::float8) * ({monotonicity}) END"""
    return f"""(SELECT d.v, {rounded_json("c.total / NULLIF(c.n, 0)::float8")} AS json
        FROM (SELECT DISTINCT {values} AS v FROM statement_values) d
        CROSS JOIN LATERAL (SELECT sum(1.0::float8 - ({distance}) ORDER BY i, j) AS total,
            count(*) AS n {PAIRS}) c)"""


def agreement_ctes(export: DatasetExport, masks) -> list[str]:
    """agreement: each annotated statement's agreement object (statement_agreement), from
    its figures per distinct tuple of values (CTEs materialised: a handful of rows, which the
    planner then hashes), joined on the statements' narrow rows rather than on the records."""
    figures = {
        f"x_{field}": (field, f"a_{field}", exact_agreement(f"a_{field}"))
        for field in ("source", "source_reliability", "info_credibility")
    }
    for index, group in enumerate(export.groups):
        values = f"a{index}"
        pairs = masi_agreement(values, masks) if group.multiple else exact_agreement(values)
        figures[f"x{index}"] = (group.key, values, pairs)
    joins = "\n".join(
        f"LEFT JOIN {name} ON {name}.v = ps.{values}"
        for name, (_key, values, _pairs) in figures.items()
    )
    json = {
        name: (key, f"COALESCE({name}.json, 'null')") for name, (key, _v, _p) in figures.items()
    }
    fields = [("annotators", "ps.annotators::text")]
    fields += [json[f"x_{field}"] for field in ("source", "source_reliability", "info_credibility")]
    labels = [json[f"x{index}"] for index in range(len(export.groups))]
    fields.append(("labels", json_object(labels)))
    return [
        *(f"{name} AS MATERIALIZED {pairs}" for name, (_key, _values, pairs) in figures.items()),
        f"agreement AS (SELECT ps.statement_id, {json_object(fields)} AS json "
        f"FROM statement_values ps {joins})",
    ]


def gold_cte(masks, chosen: str) -> str:
    fields = [
        *labelling_fields("g", "gsrc.name"),
        ("method", json_string("g.method")),
        ("decided_by", "COALESCE(pd.name, 'null')"),
        ("rationale", json_string("g.rationale")),
        ("source_mention_span", json_span("g", "source_mention_")),
    ]
    return f"""gold AS (SELECT g.statement_id, {json_object(fields)} AS json
        FROM {GoldLabel._meta.db_table} g
        {labelled_join("g", "gmasks", masks)}
        LEFT JOIN people pd ON pd.user_id = g.decided_by_id
        LEFT JOIN {NAMES_SQL} gsrc ON gsrc.id = g.source_id
        WHERE g.statement_id IN ({chosen}))"""


def record_json() -> str:
    """DatasetExport.record's keys, in its order, from the statements' columns (alias st,
    statements_sql) and their annotations (alias ps, annotations_sql)."""
    return json_object([
        ("id", "st.id::text"), ("document_id", "st.document_id::text"),
        ("document_title", json_string("st.title")),
        ("document_external_id", json_string("st.external_id")),
        ("position", json_number("st.position")), ("paragraph", json_number("st.paragraph")),
        ("text", json_string("st.text")), ("start", json_number("st.start")),
        ("end", json_number('st."end"')), ("language", json_string("st.language")),
        ("suggested_source", "COALESCE(st.suggested_source, 'null')"),
        ("suggested_mention", json_string("st.suggested_mention")),
        ("suggested_cue", json_string("st.suggested_cue")),
        ("suggested_cue_span", json_span("st", "suggested_cue_")),
        ("suggested_mention_span", json_span("st", "suggested_mention_")),
        ("annotations", "'[' || COALESCE(ps.annotations, '') || ']'"),
        ("gold", "COALESCE(st.gold, 'null')"),
        ("agreement", "st.agreement"),
    ])  # fmt: skip


STATEMENT_COLUMNS = (
    "id", "document_id", "position", "paragraph", "text", "start", "end", "suggested_mention",
    "suggested_cue", "suggested_cue_start", "suggested_cue_end", "suggested_mention_start",
    "suggested_mention_end",
)  # fmt: skip


def statements_sql(export: DatasetExport, chosen: str) -> str:
    """The exported statements' columns with their document's, suggested source's, gold
    label's JSON and agreement's JSON, once per statement, sorted apart in the export's order
    (document, position) so that a merge join with the annotations keeps it."""
    # A statement without annotations: no figures, as statement_agreement says.
    unannotated = literal(encode(statement_agreement([], export.groups)))
    columns = ", ".join(f's."{column}"' for column in STATEMENT_COLUMNS)
    return f"""(SELECT {columns}, d.title, d.external_id, d.language,
            ss.name AS suggested_source, gj.json AS gold,
            COALESCE(ag.json, {unannotated}) AS agreement
        FROM {Statement._meta.db_table} s
        JOIN {Document._meta.db_table} d ON d.id = s.document_id
        LEFT JOIN {NAMES_SQL} ss ON ss.id = s.suggested_source_id
        LEFT JOIN gold gj ON gj.statement_id = s.id
        LEFT JOIN agreement ag ON ag.statement_id = s.id
        WHERE s.id IN ({chosen})
        ORDER BY s.document_id, s.position OFFSET 0)"""


def export_masks(export: DatasetExport):
    labels = Label.objects.filter(group_id__in=[group.pk for group in export.groups]).count()
    return BigintMasks() if labels <= MASK_BITS else BitStringMasks(labels)


def jsonl_query(export: DatasetExport, chosen: str, in_part: bool = False) -> str:
    """The SELECT behind the jsonl: one row per statement, its record as JSON text. `chosen`:
    the SQL of the exported statements' ids (DatasetExport.statements), parameters inlined;
    `in_part`: they are a part of the export's (forked_copy.document_parts).

    As the csv's (postgres.copy_query), the order comes from the inputs: the annotations'
    narrow rows are sorted and grouped per statement, the statements sorted apart, and a
    merge join of the two keeps the order, so the records' JSON is never sorted."""
    masks = export_masks(export)
    pseudonyms = list(export.people.items()) or [(None, None)]
    people = ", ".join(
        f"({int(user) if user is not None else 'NULL'}::bigint, "
        f"{literal(encode(name)) if name is not None else 'NULL'}::text)"
        for user, name in pseudonyms
    )
    ctes = [
        f"people(user_id, name) AS (VALUES {people})",
        *label_ctes(export, masks, part_owners(chosen) if in_part else ""),
        compared_cte(export, masks, chosen),
        statement_values_cte(export),
        gold_cte(masks, chosen),
        *agreement_ctes(export, masks),
    ]
    return f"""WITH {", ".join(ctes)}
        SELECT {record_json()}
        FROM {statements_sql(export, chosen)} st
        LEFT JOIN {annotations_sql(export, masks, chosen)} ps
            ON ps.k1 = st.document_id AND ps.k2 = st.position
        ORDER BY st.document_id, st.position"""


def mogrified_jsonl_copy(export: DatasetExport, raw, part: dict | None = None) -> str:
    """The COPY statement of the jsonl's records (of a `part` of the statements), its
    parameters bound by psycopg2's cursor `raw`."""
    params: list = []
    chosen = chosen_sql(export, params, part)
    query = jsonl_query(export, raw.mogrify(chosen, params).decode(), bool(part))
    return f"COPY ({query}) TO STDOUT WITH {COPY_OPTIONS}"


def copy_jsonl_rows(raw, copy: str, out: IO[bytes]) -> None:
    """Run `copy` (mogrified_jsonl_copy) on psycopg2's cursor `raw`, inside a transaction,
    into `out`."""
    copy_into(raw, copy, out, settings=SETTINGS)


def copy_jsonl(export: DatasetExport, out: IO[bytes]) -> None:
    """Write the jsonl records with COPY."""
    copy_on_connection(lambda raw: mogrified_jsonl_copy(export, raw), copy_jsonl_rows, out)
