"""Spreadsheet safety (OWASP "CSV injection"): in csv and xlsx every text cell that begins with
``=``, ``+``, ``-``, ``@``, tab or carriage return (after any leading single quotes) gets a
leading single quote, so no spreadsheet evaluates it; the import undoes it. jsonl and parquet
keep text verbatim. (django-import-export's own formula escaping is not reversible.)"""

from __future__ import annotations

from typing import Any

SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a text a spreadsheet would evaluate with a single quote (reversible)."""
    if isinstance(value, str) and value.lstrip("'")[:1] in SPREADSHEET_TRIGGERS:
        return "'" + value
    return value


def unneutralise(value: Any) -> Any:
    """Undo `neutralise`: drop the one quote it added."""
    if (
        isinstance(value, str)
        and value[:1] == "'"
        and value.lstrip("'")[:1] in SPREADSHEET_TRIGGERS
    ):
        return value[1:]
    return value


SPREADSHEET_FIRST = frozenset("=+-@\t\r'")  # first characters that need a closer look


def spreadsheet_row(row: list) -> list:
    """Neutralised cells, "" as empty (as COPY writes NULL); a hot loop at a million rows."""
    return [
        (neutralise(value) if value[0] in SPREADSHEET_FIRST else value)
        if value.__class__ is str and value
        else (None if value == "" else value)
        for value in row
    ]
