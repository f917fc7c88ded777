"""The second pass of the dataset import (dataset_import): each statement record, its fields
checked by the first pass, checked against the documents and the label rules, then turned
into rows of plain values in column order (the statement, its annotations and gold label,
their labels and history entries) and written a batch at a time (bulk_rows).

No model instance per row: tens of thousands of annotations, each built through Django's
field machinery, cost more than checking them. Primary keys are taken from the tables'
sequences first, so the rows that refer to a statement or an annotation are built before
anything is written.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from functools import cached_property
from json.encoder import encode_basestring
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Model

from ..labelling import labels_problem, project_label_groups, snapshot_label_names
from ..models import (
    Annotation,
    AnnotatorProgress,
    GoldLabel,
    LabelRevision,
    OpenStatement,
    ProjectProgress,
    Statement,
)
from ..progress import statement_is_open
from .bulk_rows import (
    BATCH,
    CopyQueue,
    copy_available,
    copy_lines,
    copy_value,
    ids_reserve,
    json_text,
    moment_text,
    needs_converting,
    rows_insert,
    stamp_now,
    stamped_columns,
    text_cell,
)
from .dataset_import_checks import GOLD_METHODS, is_count, label_choice_key, mention_span_read
from .dataset_import_vocabulary import Vocabulary

STATEMENT_COLUMNS = ("id", "document_id", "position", "paragraph", "text", "start", "end",
                     "suggested_source_id", "suggested_mention", "suggested_cue",
                     "suggested_cue_start", "suggested_cue_end", "suggested_mention_start",
                     "suggested_mention_end")  # fmt: skip
# Both label tables start with these, in this order (LabelledValues.cells).
LABELLING_COLUMNS = ("source_id", "source_mention", "source_mention_start", "source_mention_end",
                     "source_reliability", "info_credibility", "note")  # fmt: skip
ANNOTATION_COLUMNS = ("id", "statement_id", "annotator_id", "status", "submitted_at",
                      "guidelines_version", "seconds_spent", *LABELLING_COLUMNS)  # fmt: skip
GOLD_COLUMNS = ("id", "statement_id", "method", "decided_by_id", "rationale",
                *LABELLING_COLUMNS)  # fmt: skip
REVISION_COLUMNS = ("kind", "object_id", "statement_id", "annotator_id", "changed_by_id", "action",
                    "after")  # fmt: skip
# The tables the second pass writes, referenced ones first.
WRITTEN_MODELS = (Statement, Annotation, Annotation.labels.through, GoldLabel,
                  GoldLabel.labels.through, LabelRevision)  # fmt: skip
SUBMITTED = Annotation.Status.SUBMITTED.value
CREATED = LabelRevision.Action.CREATED.value
ANNOTATION_KIND, GOLD_KIND = LabelRevision.Kind.ANNOTATION.value, LabelRevision.Kind.GOLD.value
# Where a statement stands in its document: what a mention span is checked against.
StatementPlace = namedtuple("StatementPlace", "document start end")


@dataclass(frozen=True)
class LabelChoice:
    """One choice of labels as the file writes it ({group: label or [labels]}), resolved once
    per import: a data set repeats a few such choices on thousands of lines."""

    ids: tuple[int, ...]
    snapshot_names: list[str]  # as the label history lists them
    problem: str | None  # what the group rules say against it

    @cached_property
    def snapshot_json(self) -> str:
        return json_text(self.snapshot_names)


class LabelledValues(NamedTuple):
    """The label fields of one annotation or gold label, checked. (A named tuple: one is built
    per annotation, in about half the time of a frozen dataclass.)"""

    choice: LabelChoice
    source: object  # a Source, or None
    source_mention: str
    mention_start: int | None
    mention_end: int | None
    source_reliability: str
    info_credibility: str
    note: str

    def cells(self) -> tuple:
        """The values of LABELLING_COLUMNS."""
        source_id = self.source.id if self.source else None
        return (source_id, self.source_mention, self.mention_start, self.mention_end,
                self.source_reliability, self.info_credibility, self.note)  # fmt: skip

    def snapshot(self) -> dict:
        """What labelling_snapshot says of the labelling, key for key, in its order."""
        snapshot = {
            "source": self.source.name if self.source else None,
            "source_mention": self.source_mention,
            "source_reliability": self.source_reliability,
            "info_credibility": self.info_credibility,
            "labels": self.choice.snapshot_names,
            "note": self.note,
        }
        if self.mention_start is not None:
            snapshot["source_mention_span"] = [self.mention_start, self.mention_end]
        return snapshot

    def snapshot_text(self, extra: tuple[tuple[str, str], ...]) -> str:
        """{**snapshot(), **dict(extra)} as JSON text, put together from its parts with the
        JSON encoder's own escaping of text: a sixth of encoding the dict, per annotation."""
        source = _string(self.source.name) if self.source else "null"
        span = ""
        if self.mention_start is not None:
            span = f', "source_mention_span": [{self.mention_start}, {self.mention_end}]'
        tail = "".join(f", {_string(key)}: {_string(value)}" for key, value in extra)
        return (f'{{"source": {source}, "source_mention": {_string(self.source_mention)}, '
                f'"source_reliability": {_string(self.source_reliability)}, '
                f'"info_credibility": {_string(self.info_credibility)}, '
                f'"labels": {self.choice.snapshot_json}, "note": {_string(self.note)}'
                f"{span}{tail}}}")  # fmt: skip


class Rows:
    """The rows of one table waiting to be written: the given columns, then every other
    column's default, then the dates Django stamps (`stamp`: the import's moment, as
    stamp_now gives it; added with the defaults rather than by rows_insert, which would
    build every row again; without it rows_insert adds them).

    `as_lines`: on PostgreSQL, with `stamp`, and where every given column's value is already
    as COPY reads it (or `written`), each row is written out at once as a line of COPY's text
    format, the defaults and stamps written out once as the end of every line. The csv module
    reads every character of every text to decide its quoting (the history's JSON, a few
    hundred characters a row, costs three times as much as a line put together here)."""

    def __init__(self, model: type[Model], columns: tuple[str, ...], stamp=None,
                 written: tuple = (), as_lines: bool = False):  # fmt: skip
        all_stamped = stamped_columns(model)
        stamped = () if stamp is None else tuple(n for n in all_stamped if n not in columns)
        # Left out as well: a primary key not given (the table numbers the row itself).
        rest = [field for field in model._meta.concrete_fields
                if field.attname not in columns and field.attname not in all_stamped
                and not field.primary_key]  # fmt: skip
        self.model = model
        self.columns = (*columns, *(field.attname for field in rest), *stamped)
        self.defaults = (*(_plain(field.get_default()) for field in rest), *(stamp,) * len(stamped))
        self.written = (*written, *stamped)
        self.rows: list = []
        self.as_lines = (as_lines and stamp is not None and copy_available()
                         and not any(needs_converting(model, name)
                                     for name in columns if name not in written))  # fmt: skip
        if self.as_lines:
            defaults = [copy_value(model, name, value) for name, value in
                        zip(self.columns[len(columns):], self.defaults, strict=True)]  # fmt: skip
            self.line_end = "".join(f"\t{text_cell(value)}" for value in defaults) + "\n"
            self.add = self.line_add

    def add(self, *values) -> None:
        self.rows.append(values + self.defaults)

    def line_add(self, *values) -> None:
        self.rows.append("\t".join(map(text_cell, values)) + self.line_end)

    def write(self, copies: CopyQueue | None) -> None:
        if not self.as_lines:
            rows_insert(self.model, self.columns, self.rows, copies, written=self.written)
        elif self.rows:
            (copies.add_lines if copies else copy_lines)(self.model, self.columns, self.rows)
        self.rows = []


def _plain(value):
    """A choice's value rather than its enum member (csv writes either, bulk_create too)."""
    return getattr(value, "value", value)


class Keys:
    """New primary keys of a table, taken from its sequence a few batches at a time."""

    def __init__(self, model: type[Model], copies: CopyQueue | None):
        self.model = model
        self.reserve = copies.ids_reserve if copies else ids_reserve
        self.free: list[int] = []

    def take(self) -> int:
        if not self.free:
            self.free = self.reserve(self.model, 3 * BATCH)[::-1]
        return self.free.pop()


class RecordWriter:
    """Checks each statement record (the checks that need the documents, the vocabulary and
    the label rules) and queues its rows; `write` writes the queued rows."""

    def __init__(self, *, project, vocabulary: Vocabulary, documents: dict, changed_by,
                 copies: CopyQueue | None = None):  # fmt: skip
        self.vocabulary = vocabulary
        self.documents = documents
        self.changed_by_id = changed_by.pk if changed_by else None
        self.groups = project_label_groups(project)
        self.copies = copies
        self.counts = {"statements": 0, "annotations": 0, "gold_labels": 0}
        self.annotators: set[int] = set()
        # What the progress counts are made of (progress_write): each statement's (id,
        # document id, position, submitted annotations), each annotator's statements.
        self.statement_counts: list[tuple] = []
        self.submitted_by: dict[int, list[int]] = {}
        self.label_choices: dict[str, LabelChoice] = {}
        # COPY reads the history's JSON as text, and the dates as text (moment_text); a
        # bulk_create takes the dict.
        self.snapshot_as_text = copy_available()
        json_written = ("after",) if copy_available() else ()
        self.keys = {model: Keys(model, copies) for model in (Statement, Annotation, GoldLabel)}
        now = stamp_now()  # every row's stamps: the import's moment
        self.tables = [
            statements := Rows(Statement, STATEMENT_COLUMNS, now, as_lines=True),
            annotations := Rows(Annotation, ANNOTATION_COLUMNS, now, ("submitted_at",),
                                as_lines=True),
            annotation_labels := Rows(Annotation.labels.through, ("annotation_id", "label_id"),
                                      now),
            golds := Rows(GoldLabel, GOLD_COLUMNS, now),
            gold_labels := Rows(GoldLabel.labels.through, ("goldlabel_id", "label_id"), now),
            revisions := Rows(LabelRevision, REVISION_COLUMNS, now, json_written,
                              as_lines=True),
        ]  # fmt: skip
        self.statement_rows, self.annotation_rows = statements, annotations
        self.annotation_label_rows, self.revision_rows = annotation_labels, revisions
        self.gold_rows, self.gold_label_rows = golds, gold_labels

    # --- checks --------------------------------------------------------------------------

    def add(self, record: dict) -> None:
        """Check one statement record and queue its rows (raises ValidationError, or one of
        the errors a value of the wrong type raises, with the reason)."""
        statement_id, place = self.statement(record)
        annotations = self.annotations(record, place)
        gold = self.gold(record, place)
        for annotator_id, status, submitted_at, extras, values in annotations:
            self.annotation_add(statement_id, annotator_id, status, submitted_at, extras, values)
            self.submitted_by.setdefault(annotator_id, []).append(statement_id)
        self.statement_counts.append((statement_id, place.document.id, record["position"],
                                      len(annotations)))  # fmt: skip
        if gold:
            self.gold_add(statement_id, *gold)
        self.counts["statements"] += 1

    def statement(self, record: dict) -> tuple[int, StatementPlace]:
        entry = self.documents.get(record["document_id"])
        if entry is None:
            raise ValidationError(f"document {record['document_id']} is not in the documents file")
        document, positions = entry
        start, end, text = record["start"], record["end"], record["text"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ValidationError(f"offsets {start}–{end} are not a span")
        if document.text[start:end] != text:
            raise ValidationError(
                f"text does not match the document at {start}–{end}: document.text[start:end] "
                "must equal text"
            )
        if record["position"] in positions:
            raise ValidationError(f"position {record['position']} appears twice in the document")
        positions.add(record["position"])
        cue = record.get("suggested_cue_span") or [None, None]
        mention = record.get("suggested_mention_span") or [None, None]
        suggested = record.get("suggested_source")
        statement_id = self.keys[Statement].take()
        self.statement_rows.add(
            statement_id, document.id, record["position"], record.get("paragraph") or 0, text,
            start, end, self.vocabulary.sources[suggested].id if suggested else None,
            record.get("suggested_mention") or "", record.get("suggested_cue") or "",
            cue[0], cue[1], mention[0], mention[1],
        )  # fmt: skip
        return statement_id, StatementPlace(document, start, end)

    def label_choice(self, written: dict) -> LabelChoice:
        """The labels of {group: label or [labels]} (checked to be text by the first pass)."""
        key = label_choice_key(written)
        choice = self.label_choices.get(key)
        if choice is None:
            labels = []
            for group_name, value in written.items():
                names = value if isinstance(value, list) else [value] if value else []
                labels += [self.vocabulary.labels[group_name, str(name)] for name in names]
            choice = self.label_choices[key] = LabelChoice(
                ids=tuple(label.pk for label in labels),
                snapshot_names=snapshot_label_names(labels),
                problem=labels_problem(labels, self.groups),
            )
        return choice

    def labelling(self, data: dict, place: StatementPlace, what: str) -> LabelledValues:
        choice = self.label_choice(data.get("labels") or {})
        if choice.problem:
            raise ValidationError(f"{what}: {choice.problem}")
        source = data.get("source")
        mention = data.get("source_mention") or ""
        start, end = mention_span_read(data, place, mention, what)
        return LabelledValues(
            choice=choice,
            source=self.vocabulary.sources[source] if source else None,
            source_mention=mention,
            mention_start=start,
            mention_end=end,
            source_reliability=data.get("source_reliability"),
            info_credibility=data.get("info_credibility"),
            note=data.get("note") or "",
        )

    def annotations(self, record: dict, place: StatementPlace) -> list[tuple]:
        result, seen = [], set()
        for data in record["annotations"]:
            name = data.get("annotator")
            if not name:
                raise ValidationError("an annotation without annotator")
            if name in seen:
                raise ValidationError(f"two annotations by {name}")
            seen.add(name)
            seconds = data.get("seconds_spent")
            extras = (str(data.get("guidelines_version") or "")[:50],
                      seconds if is_count(seconds) else 0)  # fmt: skip
            result.append((
                self.vocabulary.users[name], SUBMITTED, moment_text(data.get("submitted_at")),
                extras, self.labelling(data, place, f"annotation by {name}"),
            ))  # fmt: skip
        return result

    def gold(self, record: dict, place: StatementPlace) -> tuple | None:
        data = record["gold"]
        if not data:
            return None
        if data.get("method") not in GOLD_METHODS:
            raise ValidationError(f"gold label: method {data.get('method')!r} is not known")
        decided_by = data.get("decided_by")
        decider_id = self.vocabulary.users[decided_by] if decided_by else None
        values = self.labelling(data, place, "gold label")
        return data["method"], decider_id, data.get("rationale") or "", values

    # --- rows ----------------------------------------------------------------------------

    def annotation_add(self, statement_id, annotator_id, status, submitted_at, extras, values):
        annotation_id = self.keys[Annotation].take()
        self.annotation_rows.add(annotation_id, statement_id, annotator_id, status, submitted_at,
                             *extras, *values.cells())  # fmt: skip
        for label_id in values.choice.ids:
            self.annotation_label_rows.add(annotation_id, label_id)
        after = self.snapshot(values, ("status", status))
        self.revision_rows.add(ANNOTATION_KIND, annotation_id, statement_id,
                           annotator_id, self.changed_by_id, CREATED, after)  # fmt: skip
        self.annotators.add(annotator_id)
        self.counts["annotations"] += 1

    def gold_add(self, statement_id, method, decider_id, rationale, values) -> None:
        gold_id = self.keys[GoldLabel].take()
        self.gold_rows.add(gold_id, statement_id, method, decider_id, rationale, *values.cells())
        for label_id in values.choice.ids:
            self.gold_label_rows.add(gold_id, label_id)
        after = self.snapshot(values, ("method", method), ("rationale", rationale))
        self.revision_rows.add(GOLD_KIND, gold_id, statement_id, None,
                           self.changed_by_id, CREATED, after)  # fmt: skip
        self.counts["gold_labels"] += 1

    def snapshot(self, values: LabelledValues, *extra: tuple[str, str]):
        """The history entry's `after` (labelling_snapshot of the row), as the table takes it."""
        if self.snapshot_as_text:
            return values.snapshot_text(extra)
        return {**values.snapshot(), **dict(extra)}

    # --- writes --------------------------------------------------------------------------

    def write(self) -> None:
        """Write the queued rows, the referenced tables first (their foreign keys are checked
        with each COPY)."""
        for table in self.tables:
            table.write(self.copies)
        if self.copies:
            self.copies.flush()

    def progress_write(self, project) -> None:
        """The maintained progress counts of the new project (annotator/progress.py), from
        the rows written rather than a recount of the tables: the project was created in this
        transaction, so no other one sees it or saves into it meanwhile."""
        wanted = project.annotations_per_statement
        open_rows = [(*row[:3], project.pk) for row in self.statement_counts
                     if statement_is_open(row[3], wanted)]  # fmt: skip
        open_ids = {row[0] for row in open_rows}
        ProjectProgress.objects.filter(project=project).update(
            open_statements=len(open_rows), counted_for=wanted
        )
        columns = ("statement_id", "document_id", "position", "project_id")
        rows_insert(OpenStatement, columns, open_rows)  # after the queue: the triggers are on
        AnnotatorProgress.objects.bulk_create(
            AnnotatorProgress(project=project, annotator_id=user, submitted=len(ids),
                              submitted_open=sum(1 for key in ids if key in open_ids))
            for user, ids in sorted(self.submitted_by.items())
        )  # fmt: skip

    def discard(self) -> None:
        """Forget the queued rows (a line failed: nothing will be written)."""
        for table in self.tables:
            table.rows = []


# A text as a JSON string (ensure_ascii=False, as json_text writes it).
_string = encode_basestring
