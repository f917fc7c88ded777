"""Checks of one line of a dataset file (`import_dataset`), before anything is written: every
field's type, range and length, each problem as a short reason (the caller adds `line N:`).
No queries here: names are only collected, and resolved against the vocabulary and the
accounts afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

from ..models import (
    NOTE_MAX_LENGTH,
    GoldLabel,
    InfoCredibility,
    SourceReliability,
    mention_span_problem,
)

USERNAME_MAX_LENGTH = 150  # django.contrib.auth's User.username
TEXT_LIMITS = {"source_mention": 500, "suggested_mention": 500, "suggested_cue": 200}
_username_validate = UnicodeUsernameValidator()
# The choices' values, read once (the enums build them anew on every access). Tuples, not
# sets: a value from the file may be unhashable (a list).
RELIABILITIES = tuple(SourceReliability.values)
CREDIBILITIES = tuple(InfoCredibility.values)
GOLD_METHODS = tuple(GoldLabel.Method.values)


@dataclass
class Names:
    """Every name the file uses, with the first line that uses it (label groups and labels as
    the file writes them: keys, or names in files from before keys)."""

    users: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    labels: dict[tuple[str, str], int] = field(default_factory=dict)
    multiple_groups: set[str] = field(default_factory=set)
    # The label choices ({group: label or [labels]}) found well-formed, as hashable keys
    # (label_choice_key): a data set repeats a few, each checked and collected once.
    label_choices: set[str] = field(default_factory=set)

    def add(self, kind: str, name, line: int) -> None:
        getattr(self, kind).setdefault(name, line)

    def merge(self, later: Names) -> None:
        """Add the names of a later part of the file (their first line stays the earliest)."""
        for kind in ("users", "sources", "groups", "labels"):
            seen = getattr(self, kind)
            for name, line in getattr(later, kind).items():
                seen.setdefault(name, line)
        self.multiple_groups |= later.multiple_groups
        self.label_choices |= later.label_choices


def username_problem(name) -> str | None:
    if not isinstance(name, str) or not name:
        return f"user name {name!r} is not text"
    return _username_text_problem(name)


# A file repeats a few names on every line: each is checked once. Bounded, so a long-running
# worker's memory does not grow with every name it has seen.
@lru_cache(maxsize=4096)
def _username_text_problem(name: str) -> str | None:
    if len(name) > USERNAME_MAX_LENGTH:
        return f"user name of {len(name)} characters (at most {USERNAME_MAX_LENGTH})"
    try:
        _username_validate(name)
    except ValidationError:
        return f"user name {name[:60]!r} has characters other than letters, digits and @.+-_"
    return None


def is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def text_problem(data: dict, key: str, limit: int | None = None, required=False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if type(value) is str and "\x00" not in value and (limit is None or len(value) <= limit):
        return None  # the usual case, decided in one test
    if not isinstance(value, str):
        return f"{key} must be text, not {type(value).__name__}"
    if "\x00" in value:
        return f"{key} contains a NUL character"
    if limit is not None and len(value) > limit:
        return f"{key} has {len(value)} characters (at most {limit})"
    return None


def span_problem(data: dict, key: str, length: int) -> str | None:
    span = data.get(key)
    if span is None:
        return None
    if not (isinstance(span, list) and len(span) == 2) or not all(
        value is None or is_count(value) for value in span
    ):
        return f"{key} must be [start, end] or null"
    if None not in span and not span[0] <= span[1] <= length:
        return f"{key} {span} is not within the statement's {length} characters"
    return None


def moment_problem(value, key: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, datetime):
        return f"{key} {str(value)[:40]!r} is not a date and time (2026-03-01T12:00:00Z)"
    return None


def date_value(value) -> date | None:
    """A document's published_at: None, or raises ValueError with the reason."""
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"published_at {str(value)[:40]!r} is not a date (YYYY-MM-DD)")
    return parsed


def statement_problems(record: dict, names: Names, line: int) -> list[str]:
    """Every problem of one statement record; collects the names it uses."""
    problems = []
    for key in ("position", "start", "end"):
        if not is_count(record.get(key)):
            problems.append(f"{key} {record.get(key)!r} is not a whole number ≥ 0")
    if record.get("paragraph") is not None and not is_count(record.get("paragraph")):
        problems.append(f"paragraph {record.get('paragraph')!r} is not a whole number ≥ 0")
    problems += filter(None, [text_problem(record, "text", required=True)])
    problems += filter(None, (text_problem(record, k, n) for k, n in TEXT_LIMITS.items()))
    length = len(record["text"]) if isinstance(record.get("text"), str) else 0
    for key in ("suggested_cue_span", "suggested_mention_span"):
        problems += filter(None, [span_problem(record, key, length)])
    suggested = record.get("suggested_source")
    if suggested is not None:
        problems += source_problems(suggested, "suggested_source", names, line)
    annotations = record.get("annotations")
    if not isinstance(annotations, list):
        return [*problems, "annotations must be a list"]
    for index, annotation in enumerate(annotations, 1):
        problems += labelling_problems(annotation, f"annotation {index}", names, line)
    gold = record.get("gold")
    if gold is not None:
        problems += labelling_problems(gold, "gold label", names, line, gold=True)
    return problems


def source_problems(name, what: str, names: Names, line: int) -> list[str]:
    if type(name) is str and name in names.sources:
        return []  # checked and collected on an earlier line
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        return [f"{what} {str(name)[:60]!r} is not a source name (text of 1–200 characters)"]
    names.add("sources", name, line)
    return []


def labelling_problems(data, what: str, names: Names, line: int, gold=False) -> list[str]:
    if not isinstance(data, dict):
        return [f"{what} must be an object"]
    problems = []
    person_key = "decided_by" if gold else "annotator"
    person = data.get(person_key)
    if person is not None or not gold:
        problem = username_problem(person)
        if problem:
            problems.append(f"{what}: {person_key}: {problem}")
        else:
            names.add("users", person, line)
    if data.get("source_reliability") not in RELIABILITIES:
        problems.append(
            f"{what}: source_reliability {data.get('source_reliability')!r} is not one of A–F"
        )
    if data.get("info_credibility") not in CREDIBILITIES:
        problems.append(
            f"{what}: info_credibility {data.get('info_credibility')!r} is not one of 1–6"
        )
    if data.get("source") is not None:
        problems += source_problems(data["source"], f"{what}: source", names, line)
    for key, limit in (
        ("source_mention", 500),
        ("note", NOTE_MAX_LENGTH),
        ("rationale", NOTE_MAX_LENGTH),
    ):
        problem = text_problem(data, key, limit)
        if problem:
            problems.append(f"{what}: {problem}")
    if gold and data.get("method") not in GOLD_METHODS:
        problems.append(f"{what}: method {data.get('method')!r} is not known")
    if not gold:
        problems += filter(
            None, [moment_problem(data.get("submitted_at"), f"{what}: submitted_at")]
        )
    problems += label_problems(data.get("labels"), what, names, line)
    return problems


def label_choice_key(labels: dict) -> str | None:
    """{group: label or [labels]} as a hashable key: its repr, which tells apart any two JSON
    values that differ (text from numbers, a label from a list of one), and costs a third of
    building a tuple of tuples. None if it is nested too deep to write out (the full check
    says what is wrong)."""
    try:
        return repr(labels)
    except RecursionError:
        return None


def label_problems(labels, what: str, names: Names, line: int) -> list[str]:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [f"{what}: labels must be an object {{group key: label key or [label keys]}}"]
    key = label_choice_key(labels)
    if key is not None and key in names.label_choices:
        return []  # checked and collected on an earlier line
    problems = []
    for group, value in labels.items():
        values = value if isinstance(value, list) else [] if value is None else [value]
        if not group.strip() or not all(isinstance(name, str) and name for name in values):
            problems.append(f"{what}: labels of {group[:60]!r} must be label keys (text)")
            continue
        names.add("groups", group, line)
        if isinstance(value, list):
            names.multiple_groups.add(group)
        for name in values:
            names.add("labels", (group, name), line)
    if key is not None and not problems:
        names.label_choices.add(key)
    return problems


def mention_span_read(data: dict, statement, mention: str, what: str) -> tuple:
    """The mention span of an annotation or gold label: [start, end] in the document text,
    exactly `mention` inside the statement's paragraph (`statement`: its document, start and
    end), or absent, (None, None). A bad span raises ValidationError."""
    value = data.get("source_mention_span")
    if value is None:
        return None, None
    if not (isinstance(value, list) and len(value) == 2 and all(map(is_count, value))):
        raise ValidationError(f"{what}: source_mention_span must be [start, end]")
    start, end = value
    problem = mention_span_problem(statement, mention, start, end)
    if problem:
        raise ValidationError(f"{what}: {problem}")
    return start, end
