"""Running an import (with a progress callback and a summary) and previewing one.

Only files without issues are imported; each document is written in its own transaction
(``services.document_create``), so an interrupted run leaves only whole documents, and a re-run
skips what is already there.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError
from django.db.models import Count, Q

from ..models import Document, Project, Source, Statement
from ..registry.selectors import source_index_build
from . import services
from .reading import ArticleFile, ArticleRecord, ImportIssue

# --- the import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProgress:
    files_done: int
    files_total: int | None
    documents: int
    statements: int


@dataclass
class ImportSummary:
    files: int = 0
    failed_files: int = 0
    created: int = 0
    unchanged: int = 0
    failed: int = 0
    statements: int = 0
    suggested: int = 0
    matched: int = 0
    seconds: float = 0.0
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def lines(self) -> list[str]:
        return [
            f"Files: {self.files} ({self.failed_files} failed).",
            f"Documents: {self.created} created, {self.unchanged} unchanged, {self.failed} failed.",
            f"Statements: {self.statements} created; {self.suggested} with a suggested "
            f"attribution, {self.matched} of them matched to a registry source.",
        ]


def articles_import(
    *,
    project: Project,
    files: Iterable[ArticleFile],
    files_total: int | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Import every record of every file without issues; report the files with issues.

    The source index is built once per run, and each document costs a constant number of
    queries, whatever its length (statements are bulk-created).
    """
    started = time.perf_counter()
    summary = ImportSummary()
    source_index = source_index_build()
    for article_file in files:
        summary.files += 1
        issues_before = len(summary.issues)
        if article_file.ok:
            for record in article_file.records:
                _document_import(project, record, source_index, summary)
                if progress is not None:
                    progress(_progress(summary, files_total, done=summary.files - 1))
        else:
            # Every record of a file with issues stays out, the readable ones included.
            record_issues = sum(issue.line is not None for issue in article_file.issues)
            summary.failed += len(article_file.records) + record_issues or 1
            summary.issues += article_file.issues
        if len(summary.issues) > issues_before:
            summary.failed_files += 1
        if progress is not None:
            progress(_progress(summary, files_total, done=summary.files))
    summary.seconds = time.perf_counter() - started
    return summary


def _progress(summary: ImportSummary, files_total: int | None, done: int) -> ImportProgress:
    return ImportProgress(
        files_done=done,
        files_total=files_total,
        documents=summary.created + summary.unchanged,
        statements=summary.statements,
    )


def _document_import(project, record: ArticleRecord, source_index, summary) -> None:
    try:
        document, created = services.document_create(
            project=project,
            title=record.title,
            text=record.text,
            language=record.language,
            source_index=source_index,
            **record.metadata(),
        )
    except (ValidationError, DatabaseError) as error:
        # document_create is atomic: nothing of this document was written.
        if isinstance(error, IntegrityError) and _imported_meanwhile(project, record):
            summary.unchanged += 1  # a concurrent import wrote it between lookup and insert
            return
        summary.failed += 1
        summary.issues.append(ImportIssue(record.file, record.line, f"not imported: {error}"))
        return
    if not created:
        summary.unchanged += 1
        return
    counts = Statement.objects.filter(document=document).aggregate(
        total=Count("pk"),
        suggested=Count("pk", filter=~Q(suggested_mention="")),
        matched=Count("suggested_source"),
    )
    summary.created += 1
    summary.statements += counts["total"]
    summary.suggested += counts["suggested"]
    summary.matched += counts["matched"]


def _imported_meanwhile(project, record: ArticleRecord) -> bool:
    digest = services.content_hash(record.title, record.text)
    found = services.document_find_existing(
        project=project, external_id=record.external_id, digest=digest
    )
    return found is not None


# --- the preview -----------------------------------------------------------------------------

# Segmentation runs at roughly 70,000 characters per second: the preview segments this much
# text and lists the rest by title only (the import itself segments everything).
PREVIEW_MAX_CHARS = 300_000
PREVIEW_STATEMENTS = 3


@dataclass(frozen=True)
class SuggestionCount:
    name: str  # the registry source's name, or the mention as written
    count: int
    in_registry: bool


@dataclass(frozen=True)
class RecordPreview:
    record: ArticleRecord
    already_imported: Document | None = None
    repeated_in_upload: bool = False
    statements: int | None = None  # None: not segmented in the preview
    first_statements: tuple[str, ...] = ()
    suggestions: tuple[SuggestionCount, ...] = ()

    @property
    def new(self) -> bool:
        return self.already_imported is None and not self.repeated_in_upload


@dataclass(frozen=True)
class FilePreview:
    name: str
    records: tuple[RecordPreview, ...]
    issues: tuple[ImportIssue, ...]


def article_files_preview(
    *, project: Project, files: Iterable[ArticleFile], max_chars: int = PREVIEW_MAX_CHARS
) -> list[FilePreview]:
    """What an import would do, without writing anything."""
    files = list(files)
    records = [
        record for article_file in files if article_file.ok for record in article_file.records
    ]
    digests = {id(record): services.content_hash(record.title, record.text) for record in records}
    by_id, by_digest = _imported_documents(project, records, digests.values())
    source_index = source_index_build()
    source_names = dict(Source.objects.values_list("pk", "name"))
    budget = max_chars
    seen_ids: set[str] = set()
    seen_digests: set[str] = set()
    previews = []
    for article_file in files:
        previewed = []
        for record in article_file.records if article_file.ok else []:
            # As services.document_find_existing: the external id first, then the text.
            digest = digests[id(record)]
            existing = by_id.get(record.external_id) if record.external_id else None
            existing = existing or by_digest.get(digest)
            repeated = bool(record.external_id) and record.external_id in seen_ids
            repeated = repeated or digest in seen_digests
            if existing is not None or repeated or budget <= 0:
                previewed.append(RecordPreview(record, existing, repeated_in_upload=repeated))
            else:
                budget -= len(record.text)
                previewed.append(_record_preview(project, record, source_index, source_names))
            if record.external_id:
                seen_ids.add(record.external_id)
            seen_digests.add(digest)
        previews.append(
            FilePreview(article_file.name, tuple(previewed), tuple(article_file.issues))
        )
    return previews


def _imported_documents(project, records, digests, chunk: int = 500):
    """The project's documents with the records' external ids, and with their texts."""
    documents = Document.objects.filter(project=project).only(
        "title", "external_id", "content_hash"
    )
    ids = sorted({record.external_id for record in records if record.external_id})
    digests = sorted(set(digests))
    by_id = {
        document.external_id: document
        for start in range(0, len(ids), chunk)
        for document in documents.filter(external_id__in=ids[start : start + chunk])
    }
    by_digest = {
        document.content_hash: document
        for start in range(0, len(digests), chunk)
        for document in documents.filter(content_hash__in=digests[start : start + chunk])
    }
    return by_id, by_digest


def _record_preview(project, record: ArticleRecord, source_index, source_names) -> RecordPreview:
    document = Document(project=project, title=record.title, text=record.text)
    document.language = record.language
    statements = services.statements_build(document=document, source_index=source_index)
    suggestions = Counter(
        (
            source_names.get(statement.suggested_source_id) or statement.suggested_mention,
            statement.suggested_source_id is not None,
        )
        for statement in statements
        if statement.suggested_mention or statement.suggested_source_id
    )
    return RecordPreview(
        record,
        statements=len(statements),
        first_statements=tuple(statement.text for statement in statements[:PREVIEW_STATEMENTS]),
        suggestions=tuple(
            SuggestionCount(name, count, in_registry)
            for (name, in_registry), count in suggestions.most_common()
        ),
    )
