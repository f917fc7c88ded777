"""The article file formats, each read into rows of values: ``.txt`` (the example article's
layout), ``.csv``, ``.json`` (an array of objects, or one object) and ``.jsonl``, with hostile
input (deep nesting, huge numbers, huge fields) refused with the line it is on."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator

from .records import CSV_FIELD_MAX_CHARS, JSON_INT_MAX_DIGITS, LongNumber, RecordInvalid, date_parse
from .segmentation import ArticleFormatError, parse_article_text

# --- the formats -----------------------------------------------------------------------------

Rows = Iterator["tuple[int, dict] | RecordInvalid"]


def _txt_rows(text: str) -> Rows:
    try:
        article = parse_article_text(text)
    except ArticleFormatError as error:
        raise RecordInvalid(str(error).removeprefix(f"line {error.line}: "), error.line) from None
    values = {
        "title": article.title,
        "text": article.text,
        "url": article.url,
        "place": article.place,
        "listed_sources": article.listed_sources,
    }
    try:
        values["published_at"] = date_parse(article.date) and article.date
    except RecordInvalid as error:
        raise RecordInvalid(error.reason, _table_row_line(text, article.date)) from None
    yield 1, values


def _table_row_line(text: str, value: str) -> int | None:
    """The line of the Details table row holding value (for a bad date)."""
    for number, line in enumerate(text.split("\n"), 1):
        if "|" in line and value in line:
            return number
    return None


def _csv_rows(text: str) -> Rows:
    # An article is a large field; the csv module's default limit is 128 KiB.
    csv.field_size_limit(CSV_FIELD_MAX_CHARS)
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)  # Excel writes ";" in German locales
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except csv.Error as error:
        raise RecordInvalid(f"malformed CSV header: {_csv_reason(error)}", 1) from None
    missing = [column for column in ("title", "text") if column not in header]
    if missing:
        raise RecordInvalid(
            f"missing column(s) {', '.join(missing)} in the header "
            f"(found: {', '.join(header) or 'nothing'})",
            1,
        )
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RecordInvalid(f"malformed CSV: {_csv_reason(error)}", start)
            return  # the parser cannot resynchronise after a broken quote
        if any(cell.strip() for cell in row):
            if len(row) != len(header):
                yield RecordInvalid(
                    f"malformed CSV: {len(row)} fields, the header has {len(header)}", start
                )
            else:
                yield start, dict(zip(header, row, strict=True))
        start = reader.line_num + 1


def _json_int(digits: str) -> int | LongNumber:
    return int(digits) if len(digits) <= JSON_INT_MAX_DIGITS else LongNumber(digits)


_json_decoder = json.JSONDecoder(parse_int=_json_int)
# Articles are objects of strings: any depth beyond this is an attack or a mistake, and Python's
# parser would answer a few thousand levels with a RecursionError.
JSON_MAX_DEPTH = 64
_JSON_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}\n]')


def _json_too_deep(text: str) -> int | None:
    """The line where the JSON text nests deeper than JSON_MAX_DEPTH, if it does (strings are
    skipped, so brackets inside them do not count)."""
    depth, line = 0, 1
    for match in _JSON_STRUCTURE.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return line
        elif token in "]}":
            depth -= 1
        else:
            line += token.count("\n")
    return None


def _json_load(text: str, line: int = 1):
    """One JSON value; too deep a nesting is refused with its line before Python recurses."""
    too_deep = _json_too_deep(text)
    if too_deep is not None:
        raise RecordInvalid(
            f"JSON nested more than {JSON_MAX_DEPTH} levels deep", line + too_deep - 1
        )
    try:
        return _json_decoder.decode(text)
    except json.JSONDecodeError as error:
        reason = f"malformed JSON: {error.msg} (column {error.colno})"
        raise RecordInvalid(reason, line + error.lineno - 1) from None


def _json_rows(text: str) -> Rows:
    data = _json_load(text)
    if isinstance(data, dict):
        yield 1, data
        return
    if not isinstance(data, list):
        raise RecordInvalid(f"expected an array of article objects, not {_json_type(data)}", 1)
    for line, item in zip(_array_item_lines(text), data, strict=True):
        if isinstance(item, dict):
            yield line, item
        else:
            yield RecordInvalid(f"expected an article object, not {_json_type(item)}", line)


def _array_item_lines(text: str) -> Iterator[int]:
    """The line where each element of a (valid) top-level JSON array starts."""
    separators = re.compile(r"[\s,]*")
    index = text.index("[") + 1
    line, counted_to = 1, 0
    while True:
        index = separators.match(text, index).end()
        if text[index] == "]":
            return
        line += text.count("\n", counted_to, index)
        counted_to = index
        yield line
        _value, index = _json_decoder.raw_decode(text, index)


def _jsonl_rows(text: str) -> Rows:
    for line, content in enumerate(text.split("\n"), 1):
        if not content.strip():
            continue
        try:
            item = _json_load(content, line)
        except RecordInvalid as error:
            yield error
            continue
        if isinstance(item, dict):
            yield line, item
        else:
            yield RecordInvalid(f"expected an article object, not {_json_type(item)}", line)


def _csv_reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a field is longer than {CSV_FIELD_MAX_CHARS:,} characters"
    return str(error)


def _json_type(value) -> str:
    names = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    if isinstance(value, LongNumber):
        return str(value)
    return names.get(type(value), "a number")


FORMAT_ROWS: dict[str, Callable[[str], Rows]] = {
    ".txt": _txt_rows,
    ".csv": _csv_rows,
    ".json": _json_rows,
    ".jsonl": _jsonl_rows,
}
