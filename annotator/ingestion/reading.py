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
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .formats import FORMAT_ROWS, Rows
from .records import (
    MAX_ISSUES_PER_FILE,
    SUPPORTED_SUFFIXES,
    ArticleFile,
    ArticleRecord,
    ImportIssue,
    RecordInvalid,
    record_build,
    text_decode,
)


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
