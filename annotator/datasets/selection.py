"""Dataset exports: one record per statement with every annotator's labels, the gold label and
per-statement agreement, written as jsonl, csv (long: one row per annotation), xlsx or parquet.

Every export is three files side by side:

* ``PATH``: the data;
* ``PATH.documents.jsonl``: one line per document (id, title, full text, language, ...): the
  statement offsets point into these texts, and ``import_dataset`` rebuilds documents from it;
* ``PATH.card.md``: the dataset card (see ``dataset_card.py``).

Exports stream: statements are read in batches of ``BATCH`` with the batch's annotations, labels
and gold labels fetched in four more queries, and rows are written as they are built, so memory
stays flat at any size. On PostgreSQL the csv is produced by ``COPY (SELECT ...) TO STDOUT``
with the same columns and bytes as the Python writer (tested), which keeps a million-row export
at PostgreSQL's own speed.

Spreadsheet safety (OWASP CSV injection): in csv and xlsx every text cell that begins with
``=``, ``+``, ``-``, ``@``, tab or carriage return (after any leading single quotes) gets a
leading single quote, so no spreadsheet evaluates it. jsonl and parquet keep text verbatim.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Annotation, Document, GoldLabel, Label, LabelGroup, Project, Source, Statement

FORMATS = ("jsonl", "csv", "xlsx", "parquet")
BATCH = 1000
STREAM_CHUNK = 5000  # rows per fetch from a server-side cursor
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included
SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TIMESTAMP_SQL = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'

SUBMITTED = Annotation.Status.SUBMITTED
STATEMENT_COLUMNS = (
    "id",
    "document_id",
    "document__title",
    "document__external_id",
    "document__language",
    "position",
    "paragraph",
    "text",
    "start",
    "end",
    "suggested_source_id",
    "suggested_mention",
    "suggested_cue",
    "suggested_cue_start",
    "suggested_cue_end",
    "suggested_mention_start",
    "suggested_mention_end",
)
LABELLING_COLUMNS = (
    "source_id",
    "source_mention",
    "source_reliability",
    "info_credibility",
    "note",
)


# --------------------------------------------------------------------------------------------
# Spreadsheet safety
# --------------------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Prefix a text a spreadsheet would evaluate with a single quote (reversible)."""
    if isinstance(value, str) and value.lstrip("'")[:1] in SPREADSHEET_TRIGGERS:
        return "'" + value
    return value


def unneutralise(value: Any) -> Any:
    """Undo `neutralise`: drop the one quote it added."""
    if (
        isinstance(value, str)
        and value[:1] == "'"
        and value.lstrip("'")[:1] in SPREADSHEET_TRIGGERS
    ):
        return value[1:]
    return value


def timestamp(value: datetime | None) -> str | None:
    """UTC, ISO 8601 with microseconds and "Z" (TIMESTAMP_FORMAT; isoformat is faster)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def batched(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


# --------------------------------------------------------------------------------------------
# Per-statement agreement
# --------------------------------------------------------------------------------------------

CANNOT_JUDGE = {"source_reliability": "F", "info_credibility": "6"}


def masi_similarity(a: frozenset, b: frozenset) -> float:
    """1 - MASI distance (Passonneau 2006), as agreement.py and NLTK compute it."""
    if a == b:
        return 1.0
    common = len(a & b)
    if not common:
        return 0.0
    monotonicity = 2 / 3 if common == min(len(a), len(b)) else 1 / 3
    return common / len(a | b) * monotonicity


def pairwise_agreement(values: list, similarity=None) -> float | None:
    """Mean agreement over pairs of annotators (exact match unless `similarity` is given)."""
    if len(values) < 2:
        return None
    pairs = [
        (a, b) for i, a in enumerate(values) for b in values[i + 1 :]
    ]  # a handful of annotators per statement
    if similarity is None:
        total = sum(a == b for a, b in pairs)
    else:
        total = sum(similarity(a, b) for a, b in pairs)
    return round(total / len(pairs), 4)


def statement_agreement(annotations: list[dict], groups: list[LabelGroup]) -> dict:
    """Share of annotator pairs that agree, per field; F and 6 ("cannot be judged") are left
    out of the grades, as in the ordinal alpha. Multi-choice groups: mean MASI similarity."""
    figures: dict[str, Any] = {"annotators": len(annotations)}
    figures["source"] = pairwise_agreement([a["source"] for a in annotations])
    for field, missing in CANNOT_JUDGE.items():
        figures[field] = pairwise_agreement([a[field] for a in annotations if a[field] != missing])
    figures["labels"] = {
        group.name: pairwise_agreement(
            [frozenset(a["labels"][group.name]) for a in annotations], masi_similarity
        )
        if group.multiple
        else pairwise_agreement([a["labels"][group.name] for a in annotations])
        for group in groups
    }
    return figures


# --------------------------------------------------------------------------------------------
# What one export contains
# --------------------------------------------------------------------------------------------


class DatasetExport:
    """The statements of a project an export covers, its vocabulary and its pseudonyms.

    * Only submitted annotations are exported (drafts are work in progress).
    * ``gold_only``: only statements with a gold label (their annotations included).
    * ``since``: only statements whose annotations or gold label were saved at or after it,
      each exported whole (all its annotations), so a consumer replaces records by ``id``.
    * Annotators are ``annotator_1``, ``annotator_2``, ... numbered by account creation over
      the whole project (so filtered exports use the same names); gold deciders who did not
      annotate are ``lead_1``, ... ``real_names`` uses the usernames instead.
    """

    def __init__(
        self,
        *,
        project: Project,
        gold_only: bool = False,
        since: datetime | None = None,
        real_names: bool = False,
    ):
        self.project = project
        self.gold_only = gold_only
        self.since = since
        self.real_names = real_names
        self.groups = list(LabelGroup.objects.order_by("position", "name"))
        group_by_id = {group.pk: group for group in self.groups}
        self.labels = {
            label.pk: (group_by_id[label.group_id], label.name, label.position)
            for label in Label.objects.only("pk", "group_id", "name", "position")
        }
        self.source_names = dict(Source.objects.values_list("pk", "name"))
        self.people = self.pseudonyms()
        self._label_cache: dict[tuple, dict] = {}
        self._flat_cache: dict[int, list] = {}

    # --- selection -----------------------------------------------------------------------

    def statements(self) -> QuerySet[Statement]:
        statements = Statement.objects.filter(document__project=self.project)
        if self.gold_only:
            statements = statements.filter(
                Exists(GoldLabel.objects.filter(statement=OuterRef("pk")))
            )
        if self.since is not None:
            changed_annotation = Annotation.objects.filter(
                statement=OuterRef("pk"), status=SUBMITTED, updated_at__gte=self.since
            )
            changed_gold = GoldLabel.objects.filter(
                statement=OuterRef("pk"), updated_at__gte=self.since
            )
            statements = statements.filter(Q(Exists(changed_annotation)) | Q(Exists(changed_gold)))
        return statements

    def annotations(self) -> QuerySet[Annotation]:
        return Annotation.objects.filter(status=SUBMITTED, statement__in=self.statements())

    def gold_labels(self) -> QuerySet[GoldLabel]:
        return GoldLabel.objects.filter(statement__in=self.statements())

    def documents(self) -> QuerySet[Document]:
        return Document.objects.filter(pk__in=self.statements().values("document_id"))

    def pseudonyms(self) -> dict[int, str]:
        in_project = {"statement__document__project": self.project}
        annotator_ids = sorted(
            set(
                Annotation.objects.filter(status=SUBMITTED, **in_project)
                .order_by()  # without it, Meta.ordering's columns join the DISTINCT
                .values_list("annotator_id", flat=True)
                .distinct()
            )
        )
        decider_ids = sorted(
            set(
                GoldLabel.objects.filter(decided_by__isnull=False, **in_project)
                .order_by()
                .values_list("decided_by_id", flat=True)
                .distinct()
            )
            - set(annotator_ids)
        )
        if self.real_names:
            users = get_user_model().objects.filter(pk__in=[*annotator_ids, *decider_ids])
            return dict(users.values_list("pk", "username"))
        names = {pk: f"annotator_{i}" for i, pk in enumerate(annotator_ids, 1)}
        names.update({pk: f"lead_{i}" for i, pk in enumerate(decider_ids, 1)})
        return names

    # --- records ---------------------------------------------------------------------------

    def label_values(self, label_ids: Iterable[int]) -> dict:
        """{group name: label (single choice) or [labels] (multiple choice)} for every group."""
        key = tuple(sorted(label_ids)) if label_ids else ()
        cached = self._label_cache.get(key)
        if cached is not None:
            return cached
        chosen: dict[str, list[str]] = defaultdict(list)
        for pk in sorted(key, key=lambda pk: (self.labels[pk][2], self.labels[pk][1])):
            group, name, _position = self.labels[pk]
            chosen[group.name].append(name)
        values = {
            group.name: chosen[group.name]
            if group.multiple
            else ("|".join(chosen[group.name]) or None)
            for group in self.groups
        }
        self._label_cache[key] = values
        return values

    def labelling(self, row: tuple, label_ids) -> dict:
        """The label fields of an annotation or gold row (LABELLING_COLUMNS at its end)."""
        source_id, mention, reliability, credibility, note = row[-5:]
        return {
            "source": self.source_names.get(source_id),
            "source_mention": mention,
            "source_reliability": reliability,
            "info_credibility": credibility,
            "admiralty_code": reliability + credibility,
            "labels": self.label_values(label_ids),
            "note": note,
        }

    def streams(self) -> dict[str, Iterator[tuple]]:
        """Five ordered streams, all in statement order (document, position): statements,
        their annotations (by annotator), those annotations' labels, gold labels and theirs.
        One query each, read by server-side cursors and merged in `records`: no query per
        batch, no lists of ids, and the database sorts each table once."""
        annotations = self.annotations()
        gold = self.gold_labels()
        order = ("statement__document_id", "statement__position")
        through_order = [f"annotation__{field}" for field in (*order, "annotator_id")]
        gold_through_order = [f"goldlabel__{field}" for field in order]
        queries = {
            "statements": self.statements()
            .order_by("document_id", "position")
            .values_list(*STATEMENT_COLUMNS),
            "annotations": annotations.order_by(*order, "annotator_id").values_list(
                "id", "statement_id", "annotator_id", "submitted_at", *LABELLING_COLUMNS
            ),
            "annotation_labels": Annotation.labels.through.objects.filter(
                annotation__in=annotations
            )
            .order_by(*through_order, "annotation_id")
            .values_list("annotation_id", "label_id"),
            "gold": gold.order_by(*order).values_list(
                "id", "statement_id", "method", "decided_by_id", "rationale", *LABELLING_COLUMNS
            ),
            "gold_labels": GoldLabel.labels.through.objects.filter(goldlabel__in=gold)
            .order_by(*gold_through_order, "goldlabel_id")
            .values_list("goldlabel_id", "label_id"),
        }
        return {name: query.iterator(chunk_size=STREAM_CHUNK) for name, query in queries.items()}

    def records(self, *, with_agreement: bool = True) -> Iterator[dict]:
        """One record per statement, in document and position order (the jsonl layout)."""
        with export_snapshot():  # the five streams must see the same data
            streams = self.streams()
            annotations = Groups(streams["annotations"], key=itemgetter(1))
            annotation_labels = Groups(streams["annotation_labels"], key=itemgetter(0))
            gold = Groups(streams["gold"], key=itemgetter(1))
            gold_labels = Groups(streams["gold_labels"], key=itemgetter(0))
            people = self.people.get
            for row in streams["statements"]:
                statement_id = row[0]
                own = [
                    {
                        "annotator": people(annotation[2]),
                        **self.labelling(
                            annotation,
                            [label for _a, label in annotation_labels.take(annotation[0])],
                        ),
                        "submitted_at": annotation[3],
                    }
                    for annotation in annotations.take(statement_id)
                ]
                decided = None
                for gold_row in gold.take(statement_id):
                    labels = [label for _g, label in gold_labels.take(gold_row[0])]
                    decided = {
                        **self.labelling(gold_row, labels),
                        "method": gold_row[2],
                        "decided_by": people(gold_row[3]),
                        "rationale": gold_row[4],
                    }
                record = self.record(dict(zip(STATEMENT_COLUMNS, row, strict=True)), own, decided)
                if with_agreement:
                    record["agreement"] = statement_agreement(own, self.groups)
                yield record

    def record(self, row: dict, annotations: list[dict], gold: dict | None) -> dict:
        return {
            "id": row["id"],
            "document_id": row["document_id"],
            "document_title": row["document__title"],
            "document_external_id": row["document__external_id"],
            "position": row["position"],
            "paragraph": row["paragraph"],
            "text": row["text"],
            "start": row["start"],
            "end": row["end"],
            "language": row["document__language"],
            "suggested_source": self.source_names.get(row["suggested_source_id"]),
            "suggested_mention": row["suggested_mention"],
            "suggested_cue": row["suggested_cue"],
            "suggested_cue_span": span(row["suggested_cue_start"], row["suggested_cue_end"]),
            "suggested_mention_span": span(
                row["suggested_mention_start"], row["suggested_mention_end"]
            ),
            "annotations": annotations,
            "gold": gold,
        }

    def document_records(self) -> Iterator[dict]:
        documents = self.documents().order_by("pk").values(
            "id", "external_id", "title", "text", "language", "url", "place",
            "published_at", "outlet", "listed_sources",
        )  # fmt: skip
        for document in documents.iterator(chunk_size=100):
            published = document["published_at"]
            yield {**document, "published_at": published.isoformat() if published else None}

    # --- the long (one row per annotation) layout of csv and xlsx ------------------------

    def label_columns(self, prefix: str) -> list[str]:
        return [f"{prefix}labels.{group.name}" for group in self.groups]

    def csv_header(self) -> list[str]:
        return [
            "statement_id", "document_id", "document_title", "position", "text", "start", "end",
            "language", "suggested_source",
            "annotator", "source", "source_mention", "source_reliability", "info_credibility",
            "admiralty_code", *self.label_columns(""), "note", "submitted_at",
            "gold.source", "gold.source_mention", "gold.source_reliability",
            "gold.info_credibility", "gold.admiralty_code", *self.label_columns("gold."),
            "gold.note", "gold.method", "gold.decided_by", "gold.rationale",
        ]  # fmt: skip

    def flat_labels(self, labels: dict | None) -> list:
        if labels is None:
            return [None] * len(self.groups)
        # label_values hands out one dict per label set, kept for the whole export.
        flat = self._flat_cache.get(id(labels))
        if flat is None:
            flat = self._flat_cache[id(labels)] = [
                "|".join(labels[group.name]) if group.multiple else labels[group.name]
                for group in self.groups
            ]
        return flat

    def flat_labelling(self, labelling: dict | None) -> list:
        labelling = labelling or {}
        return [
            labelling.get("source"),
            labelling.get("source_mention"),
            labelling.get("source_reliability"),
            labelling.get("info_credibility"),
            labelling.get("admiralty_code"),
            *self.flat_labels(labelling.get("labels")),
            labelling.get("note"),
        ]

    def statement_columns(self, record: dict) -> list:
        return [
            record["id"], record["document_id"], record["document_title"], record["position"],
            record["text"], record["start"], record["end"], record["language"],
            record["suggested_source"],
        ]  # fmt: skip

    def gold_columns(self, gold: dict | None) -> list:
        gold = gold or {}
        return [
            *self.flat_labelling(gold),
            gold.get("method"),
            gold.get("decided_by"),
            gold.get("rationale"),
        ]

    def long_rows(self) -> Iterator[list]:
        """csv rows: one per annotation (a statement without annotations: one row, its
        annotation columns empty), the statement's gold label repeated in its own columns."""
        for record in self.records(with_agreement=False):
            statement = self.statement_columns(record)
            gold = self.gold_columns(record["gold"])
            for annotation in record["annotations"] or [None]:
                own = (annotation or {}).get
                yield [
                    *statement,
                    own("annotator"),
                    *self.flat_labelling(annotation),
                    timestamp(own("submitted_at")),
                    *gold,
                ]


class Groups:
    """The rows of an ordered stream, taken group by group in the same order: `take(key)`
    returns the next group if it has that key (else nothing, e.g. a statement without
    annotations)."""

    def __init__(self, rows: Iterator[tuple], key):
        self.groups = groupby(rows, key=key)
        self.advance()

    def advance(self) -> None:
        key, rows = next(self.groups, (None, ()))
        self.key, self.rows = key, list(rows)

    def take(self, key) -> list[tuple]:
        if key is None or self.key != key:
            return []
        rows = self.rows
        self.advance()
        return rows


def span(start: int | None, end: int | None) -> list[int] | None:
    return None if start is None or end is None else [start, end]


SPREADSHEET_FIRST = frozenset("=+-@\t\r'")  # first characters that need a closer look


def spreadsheet_row(row: list) -> list:
    """Neutralised cells, "" as empty (as COPY writes NULL); a hot loop at a million rows."""
    return [
        (neutralise(value) if value[0] in SPREADSHEET_FIRST else value)
        if value.__class__ is str and value
        else (None if value == "" else value)
        for value in row
    ]


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def jsonl_chunks(records: Iterable[dict]) -> Iterator[str]:
    for batch in batched(records, BATCH):
        yield "".join(
            json.dumps(record, ensure_ascii=False, default=json_default) + "\n" for record in batch
        )


def csv_writer(buffer: IO[str]):
    # CRLF as RFC 4180 wants; it also makes the csv module quote a lone CR inside a value, as
    # PostgreSQL's COPY does, so both writers produce the same bytes.
    return csv.writer(buffer, lineterminator="\r\n")


def csv_chunks(export: DatasetExport) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(spreadsheet_row(export.csv_header()))
    for rows in batched(export.long_rows(), BATCH):
        writer.writerows(spreadsheet_row(row) for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def write_csv(export: DatasetExport, out: IO[bytes]) -> None:
    """The csv export: PostgreSQL's COPY where available, the streaming writer elsewhere."""
    if connection.vendor == "postgresql":
        from .exporting_postgres import copy_csv

        buffer = io.StringIO()
        csv_writer(buffer).writerow(spreadsheet_row(export.csv_header()))
        out.write(buffer.getvalue().encode())
        copy_csv(export, out)
        return
    for chunk in csv_chunks(export):
        out.write(chunk.encode())


def write_jsonl(records: Iterable[dict], out: IO[bytes]) -> None:
    for chunk in jsonl_chunks(records):
        out.write(chunk.encode())


LABELLING_HEADER = ["source", "source_mention", "source_reliability", "info_credibility",
                    "admiralty_code"]  # fmt: skip


def xlsx_sheets(export: DatasetExport) -> dict[str, tuple[list[str], Iterator[list]]]:
    """The three sheets: statements with their gold label and agreement, annotations (long),
    and the sources the export refers to."""
    groups = export.groups
    statement_header = [
        *export.csv_header()[:9], "annotations",
        *[f"gold.{column}" for column in LABELLING_HEADER],
        *export.label_columns("gold."), "gold.note", "gold.method", "gold.decided_by",
        "gold.rationale", "agreement.source", "agreement.source_reliability",
        "agreement.info_credibility", *[f"agreement.labels.{group.name}" for group in groups],
    ]  # fmt: skip
    header = export.csv_header()
    gold_start = header.index("gold.source")
    annotation_header = [header[0], header[3], header[4], *header[9:gold_start]]

    def statement_rows(records):
        for record in records:
            agreement = record["agreement"]
            yield [
                *export.statement_columns(record),
                len(record["annotations"]),
                *export.gold_columns(record["gold"]),
                agreement["source"],
                agreement["source_reliability"],
                agreement["info_credibility"],
                *[agreement["labels"][group.name] for group in groups],
            ]

    def annotation_rows():
        for row in export.long_rows():
            if row[9] is not None:  # statements without annotations have no row here
                yield [row[0], row[3], row[4], *row[9:gold_start]]

    sources = Source.objects.filter(
        Q(pk__in=export.annotations().values("source_id"))
        | Q(pk__in=export.gold_labels().values("source_id"))
        | Q(pk__in=export.statements().values("suggested_source_id"))
    ).order_by("name")
    source_rows = (
        [source.name, source.get_kind_display(), source.country, "; ".join(source.alias_list),
         source.description]
        for source in sources
    )  # fmt: skip
    return {
        "statements": (statement_header, statement_rows(export.records())),
        "annotations": (annotation_header, annotation_rows()),
        "sources": (["name", "kind", "country", "aliases", "description"], source_rows),
    }


def write_xlsx(export: DatasetExport, out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if max(export.annotations().count(), export.statements().count()) >= XLSX_MAX_ROWS:
        raise ValueError("Too many rows for a spreadsheet (Excel's limit): export csv or parquet.")

    def cell(value):
        value = neutralise(value)
        return (
            ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
            if isinstance(value, str)
            else value
        )

    workbook = Workbook(write_only=True)
    for title, (header, rows) in xlsx_sheets(export).items():
        sheet = workbook.create_sheet(title)
        sheet.append([cell(name) for name in header])
        for row in rows:
            sheet.append([cell(value) for value in row])
    workbook.save(out)


def parquet_schema(export: DatasetExport):
    import pyarrow as pa

    labels = pa.struct(
        [
            pa.field(group.name, pa.list_(pa.string()) if group.multiple else pa.string())
            for group in export.groups
        ]
    )
    labelling = [
        pa.field("source", pa.string()),
        pa.field("source_mention", pa.string()),
        pa.field("source_reliability", pa.string()),
        pa.field("info_credibility", pa.string()),
        pa.field("admiralty_code", pa.string()),
        pa.field("labels", labels),
        pa.field("note", pa.string()),
    ]
    annotation = pa.struct(
        [
            pa.field("annotator", pa.string()),
            *labelling,
            pa.field("submitted_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    gold = pa.struct(
        [
            *labelling,
            pa.field("method", pa.string()),
            pa.field("decided_by", pa.string()),
            pa.field("rationale", pa.string()),
        ]
    )
    agreement = pa.struct(
        [
            pa.field("annotators", pa.int64()),
            pa.field("source", pa.float64()),
            pa.field("source_reliability", pa.float64()),
            pa.field("info_credibility", pa.float64()),
            pa.field(
                "labels", pa.struct([pa.field(group.name, pa.float64()) for group in export.groups])
            ),
        ]
    )
    text, integer, span_type = pa.string(), pa.int64(), pa.list_(pa.int64())
    return pa.schema(
        [
            ("id", integer), ("document_id", integer), ("document_title", text),
            ("document_external_id", text), ("position", integer), ("paragraph", integer),
            ("text", text), ("start", integer), ("end", integer), ("language", text),
            ("suggested_source", text), ("suggested_mention", text), ("suggested_cue", text),
            ("suggested_cue_span", span_type), ("suggested_mention_span", span_type),
            ("annotations", pa.list_(annotation)), ("gold", gold), ("agreement", agreement),
        ]
    )  # fmt: skip


def write_parquet(export: DatasetExport, out: IO[bytes]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(export)
    with pq.ParquetWriter(out, schema) as writer:
        for batch in batched(export.records(), 10 * BATCH):
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))


DATA_WRITERS = {
    "jsonl": lambda export, out: write_jsonl(export.records(), out),
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}


# --------------------------------------------------------------------------------------------
# The bundle: data + documents + card
# --------------------------------------------------------------------------------------------


def companion_names(data_name: str) -> tuple[str, str]:
    return f"{data_name}.documents.jsonl", f"{data_name}.card.md"


def export_command(export: DatasetExport, fmt: str, output: str) -> str:
    import shlex

    parts = [
        "python", "manage.py", "export_dataset", "--project", export.project.name,
        "--format", fmt, "--output", output,
    ]  # fmt: skip
    if export.gold_only:
        parts.append("--gold-only")
    if export.since is not None:
        parts += ["--since", export.since.isoformat()]
    if export.real_names:
        parts.append("--real-names")
    return shlex.join(parts)


@contextmanager
def export_snapshot() -> Iterator[None]:
    """Read a whole export in one transaction: the data, documents and card agree even while
    annotators keep saving (PostgreSQL: REPEATABLE READ, READ ONLY), and server-side cursors
    stream (outside a transaction Django declares them WITH HOLD, which makes PostgreSQL
    compute and store the whole result before the first row)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Cursors are planned for their first rows; an export reads all of them.
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def dataset_write(*, export: DatasetExport, fmt: str, path: Path) -> list[Path]:
    """Write PATH, PATH.documents.jsonl and PATH.card.md; return the three paths.

    Each file is written under a temporary name and renamed only when all three are complete,
    so an export that fails half-way (the database going away, a full disk) leaves no file
    that could be mistaken for a dataset, and a rerun simply writes them again.
    """
    from .dataset_card import dataset_card

    documents_name, card_name = companion_names(path.name)
    targets = [path, path.parent / documents_name, path.parent / card_name]
    partials = [target.with_name(f".{target.name}.partial") for target in targets]
    try:
        with export_snapshot():
            with partials[0].open("wb") as out:
                DATA_WRITERS[fmt](export, out)
            with partials[1].open("wb") as out:
                write_jsonl(export.document_records(), out)
            command = export_command(export, fmt, str(path))
            card = dataset_card(export=export, fmt=fmt, data_name=path.name, command=command)
        partials[2].write_text(card, encoding="utf-8")
        for partial, target in zip(partials, targets, strict=True):
            partial.replace(target)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return targets


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes a generator collects (zipfile writes into it)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def zip_stream(*, export: DatasetExport, fmt: str, data_name: str) -> Iterator[bytes]:
    """The three files as one zip, produced while it is sent: jsonl and csv stream row by row
    (the first bytes leave at once); xlsx and parquet are built in a temporary file first."""
    import tempfile

    from .dataset_card import dataset_card

    documents_name, card_name = companion_names(data_name)
    pipe = _Pipe()
    with export_snapshot(), zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(data_name, "w", force_zip64=True) as member:
            if fmt in ("jsonl", "csv"):
                chunks = jsonl_chunks(export.records()) if fmt == "jsonl" else csv_chunks(export)
                for chunk in chunks:
                    member.write(chunk.encode())
                    yield pipe.take()
            else:
                with tempfile.TemporaryFile() as spool:
                    DATA_WRITERS[fmt](export, spool)
                    spool.seek(0)
                    while block := spool.read(1 << 20):
                        member.write(block)
                        yield pipe.take()
        with archive.open(documents_name, "w", force_zip64=True) as member:
            for chunk in jsonl_chunks(export.document_records()):
                member.write(chunk.encode())
                yield pipe.take()
        card = dataset_card(
            export=export, fmt=fmt, data_name=data_name,
            command=export_command(export, fmt, data_name),
        )  # fmt: skip
        archive.writestr(card_name, card)
    yield pipe.take()
