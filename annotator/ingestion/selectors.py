"""Reads of documents and statements: a statement shown inside its paragraph, its attribution
cue marked (on the annotation, adjudication and statement pages); all escaped."""

from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..models import Statement


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The line (paragraph) around a span of the document text."""
    paragraph_start = text.rfind("\n", 0, start) + 1
    paragraph_end = text.find("\n", end)
    return paragraph_start, len(text) if paragraph_end == -1 else paragraph_end


def paragraph_start(statement: Statement) -> int:
    """Where the statement's paragraph starts in the document: the offset of the paragraph a
    page shows, from which a selection in it is counted (mention_span.js)."""
    return paragraph_bounds(statement.document.text, statement.start, statement.end)[0]


def statement_in_context(statement: Statement) -> SafeString:
    """The statement highlighted inside its paragraph, its attribution cue marked; all escaped."""
    text = statement.document.text
    paragraph_start, paragraph_end = paragraph_bounds(text, statement.start, statement.end)
    return format_html(
        '<span class="context">{}</span><mark class="statement">{}</mark>'
        '<span class="context">{}</span>',
        text[paragraph_start : statement.start],
        statement_with_cue(statement),
        text[statement.end : paragraph_end],
    )


def statement_with_cue(statement: Statement) -> SafeString:
    cue_start, cue_end = statement.suggested_cue_start, statement.suggested_cue_end
    if (
        cue_start is None
        or cue_end is None
        or not (0 <= cue_start < cue_end <= len(statement.text))
    ):
        return format_html("{}", statement.text)
    return format_html(
        '{}<span class="cue" title="attribution cue">{}</span>{}',
        statement.text[:cue_start],
        statement.text[cue_start:cue_end],
        statement.text[cue_end:],
    )
