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

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from ..ingestion.services import content_hash
from ..models import (
    Document,
    Project,
)
from ..vocabulary.services import schema_from_card
from .bulk_rows import CopyQueue, copy_available, instances_insert
from .bundle import card_meta, companion_names
from .dataset_import_checks import (
    Names,
    date_value,
    statement_problems,
)
from .dataset_import_keys import keys_checked_together
from .dataset_import_rows import WRITTEN_MODELS, RecordWriter
from .dataset_import_split import SPLIT_BYTES, Span, checked_in_two, halves
from .dataset_import_vocabulary import ImportOptions, Vocabulary
from .selection import BATCH, batched

MAX_ERRORS = 50
REVISION_COLUMNS = ("kind", "object_id", "statement_id", "annotator_id", "changed_by_id", "action",
                    "after")  # fmt: skip
WHOLE = Span()  # the whole file
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


def jsonl_lines(path: Path, errors: list[str], span: Span = WHOLE) -> Iterator[tuple[int, dict]]:
    """The records of the file's lines (of `span` only, if given), with their numbers; each
    line that is not a JSON object is a problem in `errors` instead."""
    for number, line in enumerate(span.lines(path), span.first_line):
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


def records_check(path: Path, errors: list[str], split_bytes: int = SPLIT_BYTES) -> Names:
    """First pass: every field of every line, and every name the lines use. (The second pass
    parses the lines again: keeping the records would hold the whole file in memory, and
    spooling them as marshal bytes measured no faster than json.loads.) A large file is
    checked in two processes, one half each (dataset_import_split)."""
    spans = halves(path, split_bytes)
    if spans is None:
        names, problems = span_check(path, WHOLE)
        errors += problems
        return names
    names = Names()
    for part, problems in checked_in_two(path, spans, span_check):
        names.merge(part)
        errors += problems
    return names


def span_check(path: Path, span: Span) -> tuple[Names, list[str]]:
    """The names a part of the file uses, and its problems (`FILE line N: reason`)."""
    names, errors = Names(), []
    for number, record in jsonl_lines(path, errors, span):
        missing = [key for key in REQUIRED_KEYS if key not in record]
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += statement_problems(record, names, number)
        errors += [f"{path.name} line {number}: {problem}" for problem in problems]
    return names, errors


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
    with (
        keys_checked_together(list(WRITTEN_MODELS)),
        CopyQueue() if copy_available() else nullcontext() as copies,
        collector_paused(),
    ):
        writer = RecordWriter(
            project=project,
            vocabulary=vocabulary,
            documents=documents,
            changed_by=changed_by,
            copies=copies,
        )
        records_write(path.name, jsonl_lines(path, errors), writer, errors)
    if errors:
        raise DatasetImportError(errors[:MAX_ERRORS])
    project.annotators.add(*writer.annotators)
    writer.progress_write(project)  # written in bulk: the progress counts from the rows
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the rows are built: they are hundreds of thousands
    of tuples and strings, none of them in a cycle, and every allocation counts towards the
    collector's next run, which walks all the young rows (and now and then every live object)
    again. Measured at 60,000 annotations: about 0.6 s of the write pass's 4 s of CPU. Back
    on afterwards (if it was on), however the import ends; anything left in a cycle is
    collected then."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def records_write(
    file_name: str, records: Iterator[tuple[int, dict]], writer: RecordWriter, errors: list[str]
) -> None:
    """Second pass, over the checked records: the checks that need the documents (offsets,
    positions, label rules), and the writes, in batches."""
    for batch in batched(records, BATCH):
        for number, record in batch:
            try:
                writer.add(record)
            except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as error:
                reason = " ".join(getattr(error, "messages", [])) or f"bad value ({error!r})"
                errors.append(f"{file_name} line {number}: {reason}")
        if len(errors) >= MAX_ERRORS:
            return
        if errors:
            writer.discard()  # nothing is written once a line failed; the rest is checked
        else:
            writer.write()
