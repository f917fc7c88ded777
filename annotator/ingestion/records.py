"""What reading article files produces: checked article records, and the issues (file, line,
reason) that keep a file out of an import; bytes to text, dates, languages. No database access."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

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


class LongNumber:
    """A JSON integer too long to be any article's value (see JSON_INT_MAX_DIGITS)."""

    def __init__(self, digits: str):
        self.digits = len(digits.lstrip("-"))

    def __str__(self) -> str:
        return f"<a number of {self.digits} digits>"

    __repr__ = __str__


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
