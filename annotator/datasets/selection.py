"""What one dataset export contains: the statements of a project it covers (all, gold only, or
changed since a moment), its vocabulary and pseudonyms, and its records — one per statement with
every annotator's labels, the gold label and per-statement agreement — streamed in statement
order, plus the long (one row per annotation) layout of csv and xlsx.

Exports stream: five ordered queries (statements, annotations, their labels, gold labels and
theirs) are read by server-side cursors and merged, so memory stays flat at any size, inside one
snapshot (`export_snapshot`) so that data, documents and card agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import groupby, islice
from operator import itemgetter

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from ..labelling import LABELLING_COLUMNS, project_label_groups
from ..models import Annotation, Document, GoldLabel, Label, Project, Source, Statement
from .read_ahead import read_ahead
from .statement_agreement import statement_agreement

BATCH = 1000
# The annotation's and gold label's columns besides the labelling (read before it).
SPAN_COLUMNS = ("source_mention_start", "source_mention_end")
ANNOTATION_EXTRA = (*SPAN_COLUMNS, "guidelines_version", "seconds_spent")
LONG_EXTRA_HEADER = (
    "source_mention_span", "guidelines_version", "seconds_spent", "gold.source_mention_span"
)  # fmt: skip
STREAM_CHUNK = 5000  # rows per fetch from a server-side cursor
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TIMESTAMP_SQL = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'

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
        self.groups = project_label_groups(project)
        group_by_id = {group.pk: group for group in self.groups}
        # A label outside the schema (never given in this project) keeps its own group. Labels
        # are named by key, in (position, name) order.
        self.labels = {
            label.pk: (group_by_id.get(label.group_id, label.group), label.key, label.position,
                       label.name)
            for label in Label.objects.select_related("group")
        }  # fmt: skip
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
            changed_annotation = Annotation.objects.submitted().filter(
                statement=OuterRef("pk"), updated_at__gte=self.since
            )
            changed_gold = GoldLabel.objects.filter(
                statement=OuterRef("pk"), updated_at__gte=self.since
            )
            statements = statements.filter(Q(Exists(changed_annotation)) | Q(Exists(changed_gold)))
        return statements

    def annotations(self) -> QuerySet[Annotation]:
        return Annotation.objects.submitted().filter(statement__in=self.statements())

    def gold_labels(self) -> QuerySet[GoldLabel]:
        return GoldLabel.objects.filter(statement__in=self.statements())

    def documents(self) -> QuerySet[Document]:
        return Document.objects.filter(pk__in=self.statements().values("document_id"))

    def pseudonyms(self) -> dict[int, str]:
        in_project = {"statement__document__project": self.project}
        annotator_ids = sorted(
            set(
                Annotation.objects.submitted()
                .filter(**in_project)
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
        """{group key: label key (single choice) or [label keys] (multiple choice)} for every
        group of the schema."""
        key = tuple(sorted(label_ids)) if label_ids else ()
        cached = self._label_cache.get(key)
        if cached is not None:
            return cached
        chosen: dict[str, list[str]] = defaultdict(list)
        for pk in sorted(key, key=lambda pk: (self.labels[pk][2], self.labels[pk][3])):
            group, label_key, _position, _name = self.labels[pk]
            chosen[group.key].append(label_key)
        values = {
            group.key: chosen[group.key]
            if group.multiple
            else ("|".join(chosen[group.key]) or None)
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
        """Ordered streams, all in statement order (document, position): statements, their
        annotations (by annotator), gold labels, and the labels of both. One query each, read
        by server-side cursors and merged in `records`: no query per batch, no lists of ids,
        and the database sorts each table once.

        On PostgreSQL each annotation and gold row ends with its label ids (an array
        subquery: an index lookup per row instead of a stream of every label joined to its
        statement and sorted, about a third less time for the two); elsewhere the labels are
        two streams of their own ("annotation_labels", "gold_labels")."""
        annotations = self.annotations()
        gold = self.gold_labels()
        order = ("statement__document_id", "statement__position")
        if labels_inline():
            # Here: PostgreSQL's csv and jsonl are COPYs that never come here, and the module
            # imports django.contrib.postgres's fields, forms and ranges (10 ms of a command).
            from django.contrib.postgres.expressions import ArraySubquery

            annotations = annotations.annotate(
                label_ids=ArraySubquery(
                    Annotation.labels.through.objects.filter(annotation_id=OuterRef("pk")).values(
                        "label_id"
                    )
                )
            )
            gold = gold.annotate(
                label_ids=ArraySubquery(
                    GoldLabel.labels.through.objects.filter(goldlabel_id=OuterRef("pk")).values(
                        "label_id"
                    )
                )
            )
        inline = ("label_ids",) if labels_inline() else ()
        queries = {
            "statements": self.statements()
            .order_by("document_id", "position")
            .values_list(*STATEMENT_COLUMNS),
            "annotations": annotations.order_by(*order, "annotator_id").values_list(
                "id",
                "statement_id",
                "annotator_id",
                "submitted_at",
                *ANNOTATION_EXTRA,
                *LABELLING_COLUMNS,
                *inline,
            ),  # fmt: skip
            "gold": gold.order_by(*order).values_list(
                "id",
                "statement_id",
                "method",
                "decided_by_id",
                "rationale",
                *SPAN_COLUMNS,
                *LABELLING_COLUMNS,
                *inline,
            ),  # fmt: skip
        }
        if not inline:
            through_order = [f"annotation__{field}" for field in (*order, "annotator_id")]
            gold_through_order = [f"goldlabel__{field}" for field in order]
            queries["annotation_labels"] = (
                Annotation.labels.through.objects.filter(annotation__in=annotations)
                .order_by(*through_order, "annotation_id")
                .values_list("annotation_id", "label_id")
            )
            queries["gold_labels"] = (
                GoldLabel.labels.through.objects.filter(goldlabel__in=gold)
                .order_by(*gold_through_order, "goldlabel_id")
                .values_list("goldlabel_id", "label_id")
            )
        streams = {name: query.iterator(chunk_size=STREAM_CHUNK) for name, query in queries.items()}
        if connection.vendor == "postgresql":  # the server's work overlaps ours (read_ahead.py)
            return {name: read_ahead(rows, STREAM_CHUNK) for name, rows in streams.items()}
        return streams

    def labelled_rows(self, streams: dict, name: str) -> Iterator[tuple[tuple, list]]:
        """The annotation ("annotations") or gold ("gold") rows of `streams`, each with its
        label ids, grouped by statement: (statement id, [(row, label ids), ...]) in order."""
        rows = streams[name]
        if labels_inline():
            pairs = ((row[:-1], row[-1]) for row in rows)
        else:
            labels = Groups(streams[LABEL_STREAMS[name]], key=itemgetter(0))
            pairs = ((row, [label for _o, label in labels.take(row[0])]) for row in rows)
        return Groups(pairs, key=lambda pair: pair[0][1])

    def records(self, *, with_agreement: bool = True) -> Iterator[dict]:
        """One record per statement, in document and position order (the jsonl layout)."""
        with export_snapshot():  # the five streams must see the same data
            streams = self.streams()
            annotations = self.labelled_rows(streams, "annotations")
            gold = self.labelled_rows(streams, "gold")
            people = self.people.get
            for row in streams["statements"]:
                statement_id = row[0]
                own = [
                    {
                        "annotator": people(annotation[2]),
                        **self.labelling(annotation, labels),
                        "submitted_at": annotation[3],
                        "source_mention_span": span(annotation[4], annotation[5]),
                        "guidelines_version": annotation[6],
                        "seconds_spent": annotation[7],
                    }
                    for annotation, labels in annotations.take(statement_id)
                ]
                decided = None
                for gold_row, labels in gold.take(statement_id):
                    decided = {
                        **self.labelling(gold_row, labels),
                        "method": gold_row[2],
                        "decided_by": people(gold_row[3]),
                        "rationale": gold_row[4],
                        "source_mention_span": span(gold_row[5], gold_row[6]),
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
        return [f"{prefix}labels.{group.key}" for group in self.groups]

    def csv_header(self) -> list[str]:
        return [
            "statement_id", "document_id", "document_title", "position", "text", "start", "end",
            "language", "suggested_source",
            "annotator", "source", "source_mention", "source_reliability", "info_credibility",
            "admiralty_code", *self.label_columns(""), "note", "submitted_at",
            "gold.source", "gold.source_mention", "gold.source_reliability",
            "gold.info_credibility", "gold.admiralty_code", *self.label_columns("gold."),
            "gold.note", "gold.method", "gold.decided_by", "gold.rationale",
            # Added last, so that the columns before keep their places.
            *LONG_EXTRA_HEADER,
        ]  # fmt: skip

    def flat_labels(self, labels: dict | None) -> list:
        if labels is None:
            return [None] * len(self.groups)
        # label_values hands out one dict per label set, kept for the whole export.
        flat = self._flat_cache.get(id(labels))
        if flat is None:
            flat = self._flat_cache[id(labels)] = [
                "|".join(labels[group.key]) if group.multiple else labels[group.key]
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
            yield from self.record_long_rows(record)

    def record_long_rows(self, record: dict) -> Iterator[list]:
        """One record's csv rows (see long_rows)."""
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
                span_text(own("source_mention_span")),
                own("guidelines_version"),
                own("seconds_spent"),
                span_text((record["gold"] or {}).get("source_mention_span")),
            ]


LABEL_STREAMS = {"annotations": "annotation_labels", "gold": "gold_labels"}


def labels_inline() -> bool:
    """Whether the annotation and gold streams carry their label ids (streams)."""
    return connection.vendor == "postgresql"


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


def span_text(value: list[int] | None) -> str | None:
    """A span in a csv or spreadsheet cell: "[start, end]" as in jsonl (never read as a date
    or a time by a spreadsheet)."""
    return None if value is None else f"[{value[0]}, {value[1]}]"


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
