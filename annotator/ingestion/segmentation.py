"""Parse article files and split their body into sentences with exact character offsets.

Pure Python (no Django): plain strings in, frozen dataclasses out.

Invariant kept for every sentence returned by ``segment_document``:
``text[s.start:s.end] == s.text``; spans are trimmed of whitespace, ordered and disjoint.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import regex  # SoMaJo's own regex engine; the stdlib one lacks \p{Extended_Pictographic}
from somajo import SoMaJo

SOMAJO_LANGUAGES = {"de": "de_CMC", "en": "en_PTB"}

# SoMaJo handles ~25 kB of prose per second. Lines longer than this are no natural paragraph
# (pasted dumps, minified markup) and go to the linear punctuation splitter instead, so one
# hostile line cannot stall an import.
SOMAJO_MAX_CHARS = 50_000

HEADING_MAX_CHARS = 80
HEADING_MAX_WORDS = 10
_SENTENCE_FINAL = ".!?:…"
_CLOSING_QUOTES = "\"'“”»«‘’›‹)]"

_TABLE_HEADER = re.compile(r"^\s*\|?\s*Details\s*\|")
_TABLE_SEPARATOR = re.compile(r"^[\s|:\-]*$")
_TABLE_KEYS = {
    "ort": "place",
    "place": "place",
    "location": "place",
    "quellen": "listed_sources",
    "quelle": "listed_sources",
    "sources": "listed_sources",
    "source": "listed_sources",
    "datum": "date",
    "date": "date",
    "url": "url",
    "link": "url",
}
# A number with a period, then a word that opens sentences but never follows an ordinal:
# articles, pronouns, conjunctions and sentence adverbs (German and English).
_SENTENCE_OPENERS = (
    "Danach|Dann|Daher|Deshalb|Doch|Aber|Auch|Außerdem|Zudem|Damit|Dabei|Dort|Hier|Heute|"
    "Inzwischen|Jetzt|Nun|Später|Trotzdem|Zuvor|Der|Die|Das|Ein|Eine|Er|Sie|Es|Wir|Ich|Man|"
    "Dies|Diese|Dieser|Laut|Nach|Bei|In|Im|Am|Mit|Und|Oder|"
    "Then|After|Afterwards|The|A|An|He|She|It|They|We|I|This|That|But|And|However|Meanwhile"
)
_NUMBER_THEN_OPENER = re.compile(rf"(?<![\w.])(\d+\.)\s+((?:{_SENTENCE_OPENERS})\b)")
# Fallback splitter for text SoMaJo cannot align: break after final punctuation (and any
# closing quotes) that is followed by whitespace.
_FALLBACK_BREAK = re.compile(r"[.!?…]+[\"'“”»«‘’›‹)\]]*(?=\s)")


class ArticleFormatError(ValueError):
    """The article file does not follow the title / body / Details-table format."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    text: str
    place: str = ""
    listed_sources: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int
    text: str


# --- article files ---------------------------------------------------------------------------


def parse_article_text(raw: str) -> ParsedArticle:
    """Split an article file into title, body and the metadata of its trailing Details table."""
    raw = raw.replace("\r\n", "\n").removeprefix("\ufeff")
    if not raw.strip():
        raise ArticleFormatError("empty file", line=1)
    lines = raw.split("\n")
    title = lines[0].strip()
    if not title:
        raise ArticleFormatError("missing title on line 1", line=1)
    table_at = _table_start(lines)
    body_lines = lines[1:table_at]
    # Leading blank lines carry no content; the body must start with text so offsets are tidy.
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    text = "\n".join(body_lines).rstrip()
    if not text:
        raise ArticleFormatError("no body text after the title", line=2)
    return ParsedArticle(title=title, text=text, **_table_metadata(lines[table_at + 1 :]))


def _table_start(lines: list[str]) -> int:
    """Index of the ``Details | |`` line, or len(lines) when the article has no table.

    A body line that merely starts with "Details |" is no table: the header must be followed
    by the ``---|---|`` separator, or by nothing but table rows.
    """
    for index in range(1, len(lines)):
        if _TABLE_HEADER.match(lines[index]) and _table_follows(lines[index + 1 :]):
            return index
    return len(lines)


def _table_follows(rest: list[str]) -> bool:
    rows = [line for line in rest if line.strip()]
    if rows and _TABLE_SEPARATOR.match(rows[0]) and "-" in rows[0]:
        return True
    return all("|" in row for row in rows)


def _table_metadata(rows: list[str]) -> dict[str, str]:
    """Map the table rows (``Ort | Kursk, Russland |``) to ParsedArticle field values."""
    values: dict[str, str] = {}
    field = None
    for row in rows:
        if _TABLE_SEPARATOR.match(row):
            continue
        if "|" not in row:
            # A line without a cell divider continues the previous row (e.g. a long source list).
            if field is not None:
                values[field] = f"{values[field]}\n{row.strip()}".strip()
            continue
        key, _, value = row.strip().lstrip("|").partition("|")
        field = _TABLE_KEYS.get(key.strip().lower())
        if field is not None:
            values[field] = value.strip().removesuffix("|").strip()
    return values


def is_heading(line: str) -> bool:
    """A short line without sentence-final punctuation, e.g. ``Einsätze und Auswirkungen``."""
    stripped = line.strip()
    if not stripped or len(stripped) > HEADING_MAX_CHARS:
        return False
    if len(stripped.split()) > HEADING_MAX_WORDS:
        return False
    # Punctuation may sit inside closing quotes: „Wir bleiben.“ is a sentence, not a heading.
    core = stripped.rstrip(_CLOSING_QUOTES)
    return not core or core[-1] not in _SENTENCE_FINAL


# --- sentences -------------------------------------------------------------------------------


@functools.cache
def _tokenizer(language: str) -> SoMaJo:
    """One SoMaJo per language: building it loads its abbreviation lists (slow)."""
    tokenizer = SoMaJo(
        SOMAJO_LANGUAGES[language],
        split_camel_case=False,
        split_sentences=True,
        character_offsets=True,
    )
    _skip_emoji_free_tokens(tokenizer)
    return tokenizer


_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Presentation}\uFE0F]")


def _skip_emoji_free_tokens(tokenizer: SoMaJo) -> None:
    """Halve SoMaJo's run time on news text without changing its output.

    SoMaJo's emoji step runs two uncompiled regex searches per character of every token, about
    half its time. A token without any character of those classes gets no emoji boundaries, so
    only tokens containing one take SoMaJo's own path. If SoMaJo's internals change, nothing
    is patched.
    """
    inner = getattr(tokenizer, "_tokenizer", None)
    split_emojis = getattr(inner, "_split_emojis", None)
    if split_emojis is None:
        return

    def split_emojis_if_any(node, token_class: str = "emoticon") -> None:
        if _EMOJI.search(node.value.text):
            split_emojis(node, token_class)

    inner._split_emojis = split_emojis_if_any


def segment_document(text: str, language: str = "de") -> list[Sentence]:
    """Split every non-heading line of ``text`` into sentences with offsets into ``text``."""
    if language not in SOMAJO_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of 'de', 'en'")
    tokenizer = _tokenizer(language)
    sentences: list[Sentence] = []
    paragraph = 0
    line_start = 0
    for line in text.split("\n"):
        if line.strip() and not is_heading(line):
            for start, end in _paragraph_spans(line, tokenizer):
                begin, finish = line_start + start, line_start + end
                sentences.append(Sentence(begin, finish, paragraph, text[begin:finish]))
            paragraph += 1
        line_start += len(line) + 1
    return sentences


def _paragraph_spans(paragraph: str, tokenizer: SoMaJo) -> list[tuple[int, int]]:
    """Trimmed, merged sentence spans of one paragraph (offsets into the paragraph)."""
    if len(paragraph) > SOMAJO_MAX_CHARS:
        raw_spans = _fallback_spans(paragraph)
    else:
        raw_spans = _somajo_spans(paragraph, tokenizer)
    trimmed = (_trim(paragraph, start, end) for start, end in raw_spans)
    spans = _split_after_numbers(paragraph, [span for span in trimmed if span is not None])
    return _merge_attributions(paragraph, spans)


def _somajo_spans(paragraph: str, tokenizer: SoMaJo) -> list[tuple[int, int]]:
    """SoMaJo's sentence spans, or a punctuation-based split if SoMaJo fails on the input."""
    try:
        spans = [
            (sentence[0].character_offset[0], sentence[-1].character_offset[1])
            for sentence in tokenizer.tokenize_text([paragraph])
            if sentence
        ]
    except Exception:  # SoMaJo's alignment asserts on some exotic characters
        return _fallback_spans(paragraph)
    if not _spans_valid(spans, len(paragraph)):
        return _fallback_spans(paragraph)
    return spans


def _spans_valid(spans: list[tuple[int, int]], length: int) -> bool:
    previous_end = 0
    for start, end in spans:
        if not (previous_end <= start < end <= length):
            return False
        previous_end = end
    return True


def _fallback_spans(paragraph: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _FALLBACK_BREAK.finditer(paragraph):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(paragraph)))
    return spans


def _trim(paragraph: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and paragraph[start].isspace():
        start += 1
    while end > start and paragraph[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _split_after_numbers(paragraph: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split "… stieg auf 10. Danach …": SoMaJo reads "10." as an ordinal ("am 10. Mai"), but
    an ordinal is followed by a noun, never by a sentence-opening word such as "Danach"."""
    result = []
    for start, end in spans:
        for match in _NUMBER_THEN_OPENER.finditer(paragraph, start, end):
            result.append((start, match.end(1)))
            start = match.start(2)
        result.append((start, end))
    return result


def _merge_attributions(paragraph: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Glue a fragment starting with a comma or lowercase letter to the sentence before it.

    A quotation and its attribution („…“, betonte X. / „…!“ sagte sie.) are one statement.
    SoMaJo mostly keeps them together already; the fallback splitter breaks after „…!“, which
    this repairs. A genuine sentence rarely starts with a comma or a lowercase letter.
    """
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        first = paragraph[start]
        if merged and (first in ",;" or first.islower()):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
