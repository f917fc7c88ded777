"""Documents, written: an article becomes a document and its statements (segmented, with their
attribution suggestions) in one transaction; an article already imported is left unchanged."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Document, Project, Statement
from ..progress import progress_statements_added
from ..registry.attribution import SourceIndex, suggest_document
from .segmentation import segment_document


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()


def statements_build(
    *, document: Document, source_index: SourceIndex | None = None
) -> list[Statement]:
    """Split the document into statements, each with its attribution suggestion (unsaved)."""
    statements = []
    sentences = segment_document(document.text, document.language)
    suggestions = suggest_document(
        [(sentence.text, sentence.paragraph) for sentence in sentences],
        document.language,
        source_index,
    )
    for position, (sentence, suggestion) in enumerate(zip(sentences, suggestions, strict=True)):
        statement = Statement(
            document=document,
            position=position,
            paragraph=sentence.paragraph,
            text=sentence.text,
            start=sentence.start,
            end=sentence.end,
        )
        if suggestion is not None:
            statement.suggested_source_id = suggestion.source_key
            statement.suggested_mention = suggestion.mention[:500]
            statement.suggested_cue = suggestion.cue[:200]
            statement.suggested_cue_start = suggestion.cue_start
            statement.suggested_cue_end = suggestion.cue_end
            statement.suggested_mention_start = suggestion.mention_start
            statement.suggested_mention_end = suggestion.mention_end
            statement.suggested_mention_resolved = suggestion.resolved_mention[:500]
        statements.append(statement)
    return statements


def document_find_existing(*, project: Project, external_id: str, digest: str) -> Document | None:
    documents = Document.objects.filter(project=project)
    if external_id:
        found = documents.filter(external_id=external_id).first()
        if found is not None:
            return found
    # The same title and text under another (or no) external id is the same article: the
    # project's unique content_hash would refuse a second copy anyway.
    return documents.filter(content_hash=digest).first()


@transaction.atomic
def document_create(
    *, project: Project, title: str, text: str, language: str, source_index=None, **metadata
) -> tuple[Document, bool]:
    """Create a document with its statements; an already imported article is left unchanged.

    Returns (document, created).
    """
    if "\x00" in title or "\x00" in text:
        # PostgreSQL cannot store NUL in text; SQLite could, and the two must not disagree.
        raise ValidationError(_("The article contains NUL bytes: is it a binary file?"))
    digest = content_hash(title, text)
    existing = document_find_existing(
        project=project, external_id=metadata.get("external_id", ""), digest=digest
    )
    if existing is not None:
        return existing, False
    document = Document(
        project=project,
        title=title,
        text=text,
        language=language,
        content_hash=digest,
        **metadata,
    )
    document.full_clean(validate_constraints=False)
    document.save()
    statements = statements_build(document=document, source_index=source_index)
    if not statements:
        # The transaction rolls the document back: an article without a statement is no work.
        raise ValidationError(
            _("The article has no statements: its text holds no words (invisible characters?).")
        )
    Statement.objects.bulk_create(statements, batch_size=1000)
    progress_statements_added(project_id=project.pk, statements=statements)
    return document, True
