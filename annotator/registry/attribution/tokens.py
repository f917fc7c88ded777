"""A statement as word and punctuation tokens, each knowing whether it is quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")
# Balanced quotations; cue words inside them are the quoted speaker's words, not attributions.
_QUOTATION = re.compile(r"„[^“”\"„]*[“”\"]|»[^«»]*«|«[^«»]*»|“[^“”„]*”|\"[^\"]*\"")
CLOSING_QUOTES = "“”\"«»'’"
# Bounds on scans so that hostile run-on text stays linear; real phrases are far shorter.
CLAUSE_REACH = 40
PHRASE_REACH = 25


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lower: str
    quoted: bool

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


def tokenise(statement: str) -> list[Token]:
    quoted = _quoted_mask(statement)
    return [
        Token(m.group(), m.start(), m.end(), m.group().casefold(), quoted[m.start()])
        for m in _TOKEN.finditer(statement)
    ]


def _quoted_mask(statement: str) -> list[bool]:
    """Per character: is it inside a quotation (quote marks included)?"""
    mask = [False] * len(statement)
    for match in _QUOTATION.finditer(statement):
        mask[match.start() : match.end()] = [True] * (match.end() - match.start())
    # A quotation spanning several statements: a lone opener runs to the end, a lone closer
    # closes a quotation that began in an earlier statement.
    rest = [i for i, char in enumerate(statement) if not mask[i]]
    opener = next((i for i in rest if statement[i] in "„»"), None)
    closer = next((i for i in rest if statement[i] in "“«"), None)
    if closer is not None and (opener is None or closer < opener):
        mask[: closer + 1] = [True] * (closer + 1)
    elif opener is not None:
        mask[opener:] = [True] * (len(statement) - opener)
    return mask
