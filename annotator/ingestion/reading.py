"""Reading article files into checked records, before anything is written.

Formats: plain-text articles in the example article's format (``.txt``: title line, paragraphs,
optional ``Details | |`` table), and one article per row or record in ``.csv``, ``.json`` (an
array of objects, or one object) and ``.jsonl`` (one object per line) with the keys
``RECORD_KEYS``. Reading is strict: a file with any problem (not UTF-8, binary, empty,
malformed, a record without title or text, a bad date, an unknown language, ...) comes back
with its issues, each with the file name and line. No database access here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from ..segmentation import ArticleFormatError, parse_article_text

SUPPORTED_SUFFIXES = (".txt", ".csv", ".json", ".jsonl")
LANGUAGES = ("de", "en")
RECORD_KEYS = (
    "title",
    "text",
    "language",
    "url",
    "place",
    "published_at",
    "outlet",
    "external_id",
    "listed_sources",
)
MAX_ISSUES_PER_FILE = 20
# Longest values the Document columns take (see models.Document).
MAX_LENGTHS = {"title": 500, "url": 1000, "place": 200, "outlet": 200, "external_id": 200}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
# No article needs a CSV field this long; the csv module's default (128 KiB) is too short.
CSV_FIELD_MAX_CHARS = 16 * 1024 * 1024
# An integer written with more digits is no article's value: it is kept as LongNumber instead of
# being converted (Python refuses int() of more than 4,300 digits with a ValueError).
JSON_INT_MAX_DIGITS = 100


# --- what reading produces -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """Why a file, or a record of it, cannot be imported."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.reason}"
            if self.line
            else f"{self.file}: {self.reason}"
        )


@dataclass(frozen=True)
class ArticleRecord:
    """One article, checked and ready for services.document_create."""

    file: str
    line: int
    title: str
    text: str
    language: str
    url: str = ""
    place: str = ""
    published_at: date | None = None
    outlet: str = ""
    external_id: str = ""
    listed_sources: str = ""

    def metadata(self) -> dict:
        return {
            "url": self.url,
            "place": self.place,
            "published_at": self.published_at,
            "outlet": self.outlet,
            "external_id": self.external_id,
            "listed_sources": self.listed_sources,
        }


@dataclass
class ArticleFile:
    name: str
    records: list[ArticleRecord] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


class RecordInvalid(ValueError):
    """A record or a whole file cannot be read; ``line`` is where (1-based), if known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# --- bytes to text ---------------------------------------------------------------------------


def _line_at(data: bytes | str, position: int) -> int:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, position) + 1


def text_decode(data: bytes) -> str:
    """UTF-8 text with normalised line ends; a UTF-8 byte order mark is dropped."""
    if not data.strip():
        raise RecordInvalid("empty file", 1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RecordInvalid("UTF-16 encoded; save the file as UTF-8", 1)
    nul = data.find(b"\x00")
    if nul != -1:
        raise RecordInvalid(
            "binary file (contains NUL bytes), not a text article", _line_at(data, nul)
        )
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        position = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = _line_at(data, position)
        column = position - (data.rfind(b"\n", 0, position) + 1) + 1
        raise RecordInvalid(
            f"not UTF-8 (byte 0x{data[position]:02x} in column {column}); save the file as UTF-8",
            line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- one record ------------------------------------------------------------------------------


def date_parse(value) -> date | None:
    """YYYY-MM-DD (also the date part of an ISO timestamp), DD.MM.YYYY, YYYY/MM/DD, or a day
    and month name as German and English articles write it ("5. November 2024", "5 Nov 2024")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise RecordInvalid(f"bad date {value!r} (expected YYYY-MM-DD or DD.MM.YYYY)")
    value = value.strip()
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(value, date_format).date()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    written = _WRITTEN_DATE.match(value)
    month = written and MONTHS.get(written["month"].casefold()[:3])
    if month:
        try:
            return date(int(written["year"]), month, int(written["day"]))
        except ValueError:
            pass
    raise RecordInvalid(f"bad date {value!r} (expected YYYY-MM-DD or DD.MM.YYYY)")


_WRITTEN_DATE = re.compile(r"^(?P<day>\d{1,2})\.?\s+(?P<month>\w+)\.?\s+(?P<year>\d{4})$")
# The first three letters of German and English month names.
MONTHS = {
    **dict.fromkeys(["jan", "jän"], 1),
    "feb": 2,
    **dict.fromkeys(["mär", "mar", "mrz"], 3),
    "apr": 4,
    **dict.fromkeys(["mai", "may"], 5),
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    **dict.fromkeys(["okt", "oct"], 10),
    "nov": 11,
    **dict.fromkeys(["dez", "dec"], 12),
}


def language_parse(value, default: str) -> str:
    """'de', 'en', also 'DE' or 'de-AT'; empty means the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    code = str(value).strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise RecordInvalid(f"unknown language {value!r} (expected de or en)")
    return code


def _text_value(values: dict, key: str) -> str:
    value = values.get(key)
    if value is None:
        return ""
    if isinstance(value, LongNumber):
        raise RecordInvalid(f"{key} must be text, not a number of {value.digits} digits")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordInvalid(f"{key} must be text, not {type(value).__name__}")
    value = str(value)
    if "\x00" in value:
        raise RecordInvalid(f"{key} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordInvalid(f"{key} contains an invalid character (a lone surrogate)") from None
    return value


_url_validate = URLValidator()


def record_build(*, file: str, line: int, values: dict, language: str) -> ArticleRecord:
    """Check one article's values (a CSV row, a JSON object) and build its record."""
    fields = {key: _text_value(values, key) for key in RECORD_KEYS}
    title = " ".join(fields["title"].split())
    text = fields["text"].replace("\r\n", "\n").replace("\r", "\n").strip()
    if not title:
        raise RecordInvalid("missing title", line)
    if not text:
        raise RecordInvalid("missing text", line)
    for key, value in (("title", title), ("text", text)):
        # Zero-width and other invisible characters are not whitespace to str.strip().
        if not any(character.isalnum() for character in value):
            raise RecordInvalid(f"{key} has no words (only spaces or invisible characters)", line)
    for key, limit in MAX_LENGTHS.items():
        value = title if key == "title" else fields[key].strip()
        if len(value) > limit:
            raise RecordInvalid(f"{key} is longer than {limit} characters", line)
    url = fields["url"].strip()
    if url:
        try:
            _url_validate(url)
        except ValidationError:
            raise RecordInvalid(f"invalid URL {url[:100]!r}", line) from None
    try:
        published_at = date_parse(values.get("published_at"))
        record_language = language_parse(values.get("language"), language)
    except RecordInvalid as error:
        raise RecordInvalid(error.reason, line) from None
    return ArticleRecord(
        file=file,
        line=line,
        title=title,
        text=text,
        language=record_language,
        url=url,
        place=fields["place"].strip(),
        published_at=published_at,
        outlet=fields["outlet"].strip(),
        external_id=fields["external_id"].strip(),
        listed_sources=fields["listed_sources"].strip(),
    )


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


class LongNumber:
    """A JSON integer too long to be any article's value (see JSON_INT_MAX_DIGITS)."""

    def __init__(self, digits: str):
        self.digits = len(digits.lstrip("-"))

    def __str__(self) -> str:
        return f"<a number of {self.digits} digits>"

    __repr__ = __str__


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


def article_file_read(*, name: str, data: bytes, language: str = "de") -> ArticleFile:
    """Read one file into checked records, or into the issues that keep it out of the import."""
    article_file = ArticleFile(name=name)
    suffix = os.path.splitext(name)[1].lower()
    rows = FORMAT_ROWS.get(suffix)
    if rows is None:
        article_file.issues.append(
            ImportIssue(
                name, None, f"unsupported file type; expected {', '.join(SUPPORTED_SUFFIXES)}"
            )
        )
        return article_file
    try:
        _rows_collect(article_file, rows(text_decode(data)), language)
    except RecordInvalid as error:
        article_file.issues.append(ImportIssue(name, error.line, error.reason))
    except UNREADABLE as error:
        # The last guard: whatever a reader did not foresee, the file is reported and the
        # other files of the run are still read.
        article_file.issues.append(ImportIssue(name, None, f"cannot be read: {_unreadable(error)}"))
    article_file.issues += _reused_external_ids(article_file.records)
    if article_file.ok and not article_file.records:
        article_file.issues.append(ImportIssue(name, None, "no articles in the file"))
    return article_file


def _reused_external_ids(records: list[ArticleRecord]) -> list[ImportIssue]:
    """Two different articles under one external_id: the second would be taken for the first
    and dropped as "unchanged"."""
    first: dict[str, ArticleRecord] = {}
    issues = []
    for record in records:
        if not record.external_id:
            continue
        earlier = first.setdefault(record.external_id, record)
        if earlier is not record and (earlier.title, earlier.text) != (record.title, record.text):
            reason = (
                f"external_id {record.external_id[:60]!r} is already used on line {earlier.line} "
                "by a different article"
            )
            issues.append(ImportIssue(record.file, record.line, reason))
    return issues


# What a reader may raise on hostile data beyond RecordInvalid. MemoryError too: a file that
# does not fit is this file's problem, not the run's.
UNREADABLE = (ValueError, RecursionError, MemoryError, csv.Error, UnicodeError, OverflowError)


def _unreadable(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "too large to read"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)[:200] or type(error).__name__


def _rows_collect(article_file: ArticleFile, rows: Rows, language: str) -> None:
    name = article_file.name
    for row in rows:
        if isinstance(row, RecordInvalid):
            article_file.issues.append(ImportIssue(name, row.line, row.reason))
        else:
            result = _record_or_issue(name, *row, language)
            target = (
                article_file.issues if isinstance(result, ImportIssue) else article_file.records
            )
            target.append(result)
        if len(article_file.issues) >= MAX_ISSUES_PER_FILE:
            article_file.issues.append(ImportIssue(name, None, "more errors not shown"))
            break


def _record_or_issue(name: str, line: int, values: dict, language: str):
    """A bad record is reported and the rows after it are still read."""
    try:
        return record_build(file=name, line=line, values=values, language=language)
    except RecordInvalid as error:
        return ImportIssue(name, error.line or line, error.reason)


# --- files and folders -----------------------------------------------------------------------


def article_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[ImportIssue]]:
    """The files to import: every file named, and every supported file under every folder named.

    Folders are read recursively, in sorted path order, skipping hidden files and folders and
    files of other types; a file named explicitly is always read (and reported if unsupported).
    """
    found: list[Path] = []
    issues: list[ImportIssue] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            candidates = _folder_files(path)
        elif path.is_file():
            candidates = [path]
        else:
            issues.append(ImportIssue(str(path), None, "no such file or folder"))
            continue
        for candidate in candidates:
            if candidate.resolve() not in seen:
                seen.add(candidate.resolve())
                found.append(candidate)
    return found, issues


def _folder_files(folder: Path) -> list[Path]:
    files = []
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        files += [
            Path(root) / name
            for name in names
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES
        ]
    return sorted(files)


def article_files_read(paths: Iterable[Path], *, language: str = "de") -> Iterator[ArticleFile]:
    """Read the files one at a time, so a large corpus is never held in memory at once."""
    for path in paths:
        try:
            data = path.read_bytes()
        except (OSError, MemoryError) as error:
            cause = error.strerror or error if isinstance(error, OSError) else "too large"
            reason = f"cannot read the file: {cause}"
            yield ArticleFile(name=str(path), issues=[ImportIssue(str(path), None, reason)])
            continue
        yield article_file_read(name=str(path), data=data, language=language)
