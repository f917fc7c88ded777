"""Import a dataset export back (`python manage.py import_dataset PATH`): the jsonl data, its
``PATH.documents.jsonl`` and, if present, its card ``PATH.card.md``.

Into an empty database (or one without the project) this reproduces the documents, statements
with their offsets and attribution suggestions, submitted annotations, gold labels and the
project's label schema (the card's groups, keys and names in both languages).

The file is not trusted. Every field of every line is checked first (dataset_import_checks) and
every problem reported as ``line N: reason`` (up to MAX_ERRORS). Annotators and deciders are
created as inactive placeholders without a password; an existing account is written under only
with ``attach_existing_users``. Label groups and labels are found by key (a file from before
keys existed names them: then by name, in either language, and the summary says so). Label
groups, labels and sources must exist already unless ``create_vocabulary`` (then the card's
keys, names in both languages, kinds, descriptions and single/multiple choice are used; without
the card a group is multiple choice when its values are lists). All or nothing: one
transaction, nothing written when any line fails; a dry run rolls back, reporting what it would
have created. Rows are written in bulk, each annotation and gold label with its history entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.base import ModelState
from django.utils.dateparse import parse_datetime

from ..ingestion.services import content_hash
from ..labelling import (
    labelling_snapshot,
    labels_problem,
    project_label_groups,
    snapshot_label_names,
)
from ..models import (
    Annotation,
    Document,
    GoldLabel,
    LabelRevision,
    Project,
    Statement,
)
from ..progress import progress_recount
from ..vocabulary.services import schema_from_card
from .bulk_rows import CopyQueue, copy_available, instances_insert, rows_insert
from .bundle import card_meta, companion_names
from .dataset_import_checks import (
    GOLD_METHODS,
    Names,
    date_value,
    labelling_extras_read,
    statement_problems,
)
from .dataset_import_vocabulary import ImportOptions, Vocabulary
from .selection import BATCH, batched

MAX_ERRORS = 50
REVISION_COLUMNS = ("kind", "object_id", "statement_id", "annotator_id", "changed_by_id", "action",
                    "after")  # fmt: skip
REQUIRED_KEYS = ("document_id", "position", "text", "start", "end", "annotations", "gold")


class DatasetImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportSummary:
    project: Project
    documents: int = 0
    statements: int = 0
    annotations: int = 0
    gold_labels: int = 0
    users_created: list[str] = field(default_factory=list)
    users_attached: list[str] = field(default_factory=list)
    vocabulary_created: list[str] = field(default_factory=list)
    # Groups and labels the file names by a name, not a key (files from before keys existed).
    matched_by_name: list[str] = field(default_factory=list)
    dry_run: bool = False


def jsonl_lines(path: Path, errors: list[str]) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                errors.append(f"{path.name} line {number}: not JSON ({error.msg})")
                continue
            except (RecursionError, ValueError):
                # Nested thousands of levels deep, or a number of thousands of digits.
                errors.append(f"{path.name} line {number}: not a dataset record (too deep or long)")
                continue
            if not isinstance(record, dict):
                errors.append(f"{path.name} line {number}: not a JSON object")
                continue
            yield number, record


def records_check(path: Path, errors: list[str]) -> Names:
    """First pass: every field of every line, and every name the lines use. (The second pass
    parses the lines again: keeping the records would hold the whole file in memory, and
    spooling them as marshal bytes measured no faster than json.loads.)"""
    names = Names()
    for number, record in jsonl_lines(path, errors):
        missing = [key for key in REQUIRED_KEYS if key not in record]
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += statement_problems(record, names, number)
        errors += [f"{path.name} line {number}: {problem}" for problem in problems]
    return names


DOCUMENT_TEXT_KEYS = ("title", "text", "language", "url", "place", "outlet", "listed_sources",
                      "external_id")  # fmt: skip


def document_build(project: Project, record: dict) -> Document:
    """One document record, checked (raises ValueError or ValidationError with the reason)."""
    values = {key: record.get(key) or "" for key in DOCUMENT_TEXT_KEYS}
    for key, value in values.items():
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(f"{key} must be text without NUL characters")
    document = Document(
        project=project,
        published_at=date_value(record.get("published_at")),
        content_hash=content_hash(values["title"], values["text"]),
        **values,
    )
    document.full_clean(exclude=["project"], validate_constraints=False)
    return document


class DocumentLines:
    """The line of each external id and content (title and text) seen so far, and those the
    project already holds: a document may not repeat either."""

    def __init__(self, project: Project):
        # Read once: both sets below are built from it.
        existing = (
            list(project.documents.values_list("external_id", "content_hash")) if project.pk else []
        )
        self.external_ids = {external_id: None for external_id, _hash in existing if external_id}
        self.contents = {content: None for _external_id, content in existing}

    def check(self, document: Document, number: int) -> None:
        for seen, value, what in (
            (self.external_ids, document.external_id, f"external id {document.external_id!r}"),
            (self.contents, document.content_hash, "title and text"),
        ):
            if not value:
                continue
            if value in seen:
                where = f"line {seen[value]}" if seen[value] else "a document of the project"
                raise ValueError(f"the same {what} as {where}")
            seen[value] = number


def documents_load(
    project: Project, path: Path, errors: list[str]
) -> dict[int, tuple[Document, set]]:
    documents = {}
    # The document table's unique constraints, checked here so that a duplicate is named
    # with its line instead of failing the bulk insert at the end.
    first_line = DocumentLines(project)
    for number, record in jsonl_lines(path, errors):
        document_id = record.get("id")
        try:
            if document_id in documents:
                raise ValueError(f"document id {document_id!r} appears twice")
            document = document_build(project, record)
            first_line.check(document, number)
        except ValidationError as error:
            errors.append(f"{path.name} line {number}: {'; '.join(error.messages)}")
            continue
        except (ValueError, TypeError) as error:
            errors.append(f"{path.name} line {number}: {error}")
            continue
        documents[document_id] = (document, set())
    if not errors:
        instances_insert(Document, [document for document, _positions in documents.values()])
    return documents


@dataclass(frozen=True)
class LabelChoice:
    """One choice of labels as the file writes it ({group: label or [labels]}), resolved once
    per import: a data set repeats a few such choices on thousands of lines."""

    ids: tuple[int, ...]
    snapshot_names: list[str]  # as the label history lists them
    problem: str | None  # what the group rules say against it


class RecordWriter:
    """Checks each statement record and writes a batch of them with bulk inserts."""

    def __init__(self, *, project, vocabulary: Vocabulary, documents: dict, changed_by):
        self.project = project
        self.vocabulary = vocabulary
        self.documents = documents
        self.changed_by_id = changed_by.pk if changed_by else None
        self.groups = project_label_groups(project)
        self.counts = {"statements": 0, "annotations": 0, "gold_labels": 0}
        self.annotators: set[int] = set()
        self.label_choices: dict[tuple, LabelChoice] = {}
        self.defaults = {model: field_defaults(model) for model in (Statement, Annotation)}
        # On PostgreSQL a batch's COPYs run while the next batch is checked (records_write).
        self.copies: CopyQueue | None = None

    # --- checks --------------------------------------------------------------------------

    def statement(self, record: dict) -> Statement:
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
        return instance_new(
            Statement,
            self.defaults[Statement],
            {"document": document,
             "suggested_source": self.vocabulary.sources[suggested] if suggested else None},
            position=record["position"],
            paragraph=record.get("paragraph") or 0,
            text=text,
            start=start,
            end=end,
            suggested_mention=record.get("suggested_mention") or "",
            suggested_cue=record.get("suggested_cue") or "",
            suggested_cue_start=cue[0],
            suggested_cue_end=cue[1],
            suggested_mention_start=mention[0],
            suggested_mention_end=mention[1],
        )  # fmt: skip

    def label_choice(self, written: dict) -> LabelChoice:
        """The labels of {group: label or [labels]} (checked to be text by the first pass)."""
        key = tuple(
            (group, tuple(value) if isinstance(value, list) else value)
            for group, value in written.items()
        )
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

    def labelling(self, data: dict, instance, what: str) -> LabelChoice:
        reliability, credibility = data.get("source_reliability"), data.get("info_credibility")
        choice = self.label_choice(data.get("labels") or {})
        if choice.problem:
            raise ValidationError(f"{what}: {choice.problem}")
        source = data.get("source")
        related_set(instance, "source", self.vocabulary.sources[source] if source else None)
        instance.source_mention = data.get("source_mention") or ""
        instance.source_reliability = reliability
        instance.info_credibility = credibility
        instance.note = data.get("note") or ""
        labelling_extras_read(data, instance, what)
        return choice

    def annotations(
        self, record: dict, statement: Statement
    ) -> list[tuple[Annotation, LabelChoice]]:
        result, seen = [], set()
        for data in record["annotations"]:
            name = data.get("annotator")
            if not name:
                raise ValidationError("an annotation without annotator")
            if name in seen:
                raise ValidationError(f"two annotations by {name}")
            seen.add(name)
            submitted_at = data.get("submitted_at")
            annotation = self.annotation_new(
                statement,
                annotator_id=self.vocabulary.users[name],
                status=Annotation.Status.SUBMITTED,
                submitted_at=parse_datetime(submitted_at) if submitted_at else None,
            )
            result.append((annotation, self.labelling(data, annotation, f"annotation by {name}")))
        return result

    def annotation_new(self, statement: Statement, **values) -> Annotation:
        return instance_new(
            Annotation, self.defaults[Annotation], {"statement": statement}, **values
        )

    def gold(self, record: dict, statement: Statement) -> tuple[GoldLabel, LabelChoice] | None:
        data = record["gold"]
        if not data:
            return None
        if data.get("method") not in GOLD_METHODS:
            raise ValidationError(f"gold label: method {data.get('method')!r} is not known")
        decided_by = data.get("decided_by")
        gold = GoldLabel(
            statement=statement,
            method=data["method"],
            decided_by_id=self.vocabulary.users[decided_by] if decided_by else None,
            rationale=data.get("rationale") or "",
        )
        return gold, self.labelling(data, gold, "gold label")

    # --- writes --------------------------------------------------------------------------

    def write(self, rows: list[tuple[Statement, list, tuple | None]]) -> None:
        instances_insert(Statement, [statement for statement, _a, _g in rows], self.copies)
        for statement, pairs, gold in rows:
            for annotation, _labels in pairs:
                annotation.__dict__["statement_id"] = statement.id
            if gold:
                gold[0].__dict__["statement_id"] = statement.id
        annotations = [pair for _s, pairs, _g in rows for pair in pairs]
        golds = [gold for _s, _a, gold in rows if gold]
        self.bulk_labelled(Annotation, annotations, "annotation_id")
        self.bulk_labelled(GoldLabel, golds, "goldlabel_id")
        self.annotators.update(annotation.annotator_id for annotation, _l in annotations)
        self.counts["statements"] += len(rows)
        self.counts["annotations"] += len(annotations)
        self.counts["gold_labels"] += len(golds)
        if self.copies:
            self.copies.flush()

    def bulk_labelled(self, model, pairs: list[tuple], owner_column: str) -> None:
        instances_insert(model, [instance for instance, _choice in pairs], self.copies)
        rows_insert(
            model.labels.through,
            [owner_column, "label_id"],
            [(instance.id, label_id) for instance, choice in pairs for label_id in choice.ids],
            self.copies,
        )
        is_annotation = model is Annotation
        kind = (LabelRevision.Kind.ANNOTATION if is_annotation else LabelRevision.Kind.GOLD).value
        rows_insert(
            LabelRevision,
            REVISION_COLUMNS,
            [
                (kind, instance.id, instance.statement_id,
                 instance.annotator_id if is_annotation else None, self.changed_by_id,
                 LabelRevision.Action.CREATED.value,
                 labelling_snapshot(instance, label_names=choice.snapshot_names))
                for instance, choice in pairs
            ],
            self.copies,
        )  # fmt: skip


def related_set(instance, name: str, value) -> None:
    """`instance.name = value` for a foreign key of a new instance without the descriptors'
    checks (the value is one of ours, of the right model): its id and the cached object."""
    instance.__dict__[f"{name}_id"] = value.id if value is not None else None
    instance._state.fields_cache[name] = value


def field_defaults(model) -> dict:
    """Every field's default, computed once per import (none of these is mutable)."""
    return {field.attname: field.get_default() for field in model._meta.concrete_fields}


def instance_new(model, defaults: dict, related: dict, **values):
    """A new model instance without the model's constructor: its fields' `defaults` and the
    values set on it directly, as unpickling does (these models have no init signal
    receivers); about a tenth of the constructor's cost, for tens of thousands of rows.
    `related`: foreign keys by name, to instances of ours."""
    instance = model.__new__(model)
    instance.__dict__.update(defaults)
    instance.__dict__.update(values)
    instance._state = ModelState()
    for name, value in related.items():
        related_set(instance, name, value)
    return instance


def project_create(name: str, meta: dict) -> Project:
    if Project.objects.filter(name=name).exists():
        raise DatasetImportError(
            [
                f"A project “{name}” already exists: import into an empty database or pass "
                "--project with another name."
            ]  # fmt: skip
        )
    fields = meta.get("project") or {}
    project = Project(
        name=name,
        description=fields.get("description", ""),
        guidelines=fields.get("guidelines", ""),
        guidelines_de=fields.get("guidelines_de", ""),
        guidelines_en=fields.get("guidelines_en", ""),
        guidelines_version=fields.get("guidelines_version", "1.0"),
        annotations_per_statement=fields.get("annotations_per_statement", 3),
    )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def dataset_import(
    *,
    path: Path,
    project_name: str | None = None,
    changed_by=None,
    options: ImportOptions = ImportOptions(),  # noqa: B008 (frozen)
) -> ImportSummary:
    documents_name, card_name = companion_names(path.name)
    documents_path, card_path = path.parent / documents_name, path.parent / card_name
    meta = card_meta(card_path.read_text("utf-8")) if card_path.exists() else {}
    if not documents_path.exists():
        raise DatasetImportError([f"{documents_name} is missing: it holds the document texts."])
    name = project_name or (meta.get("project") or {}).get("name")
    if not name:
        raise DatasetImportError(["No project name: pass --project (the card has none)."])
    project = project_create(name, meta)
    errors: list[str] = []
    names = records_check(path, errors)
    vocabulary = Vocabulary(meta, options, path.name)
    vocabulary.resolve(names, errors)
    documents = documents_load(project, documents_path, errors)
    if errors:
        raise DatasetImportError(errors[:MAX_ERRORS])
    schema_from_card(project=project, groups=vocabulary.schema(), changed_by=changed_by)
    writer = RecordWriter(
        project=project, vocabulary=vocabulary, documents=documents, changed_by=changed_by
    )
    if copy_available():
        with CopyQueue() as writer.copies:
            records_write(path.name, jsonl_lines(path, errors), writer, errors)
    else:
        records_write(path.name, jsonl_lines(path, errors), writer, errors)
    if errors:
        raise DatasetImportError(errors[:MAX_ERRORS])
    project.annotators.add(*writer.annotators)
    progress_recount(project=project)  # written in bulk: the progress counts from scratch
    if options.dry_run:
        transaction.set_rollback(True)
    return ImportSummary(
        project=project,
        documents=len(documents),
        statements=writer.counts["statements"],
        annotations=writer.counts["annotations"],
        gold_labels=writer.counts["gold_labels"],
        users_created=vocabulary.users_created,
        users_attached=vocabulary.users_attached,
        vocabulary_created=vocabulary.created,
        matched_by_name=vocabulary.matched_by_name,
        dry_run=options.dry_run,
    )


def records_write(
    file_name: str, records: Iterator[tuple[int, dict]], writer: RecordWriter, errors: list[str]
) -> None:
    """Second pass, over the checked records: the checks that need the documents (offsets,
    positions, label rules), and the writes, in batches."""
    for batch in batched(records, BATCH):
        rows = []
        for number, record in batch:
            try:
                statement = writer.statement(record)
                rows.append((statement, writer.annotations(record, statement),
                             writer.gold(record, statement)))  # fmt: skip
            except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as error:
                reason = " ".join(getattr(error, "messages", [])) or f"bad value ({error!r})"
                errors.append(f"{file_name} line {number}: {reason}")
        if len(errors) >= MAX_ERRORS:
            return
        if not errors:
            writer.write(rows)
