"""A statement as word and punctuation tokens, each knowing whether it is quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Initials and abbreviated titles keep their period: "Joseph R. Biden Jr.", "Dr. Schäuble".
_TOKEN = re.compile(
    r"(?:[A-Z]|Mr|Mrs|Ms|Dr|Jr|Sr|St|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Prof|Rev|Hon|Abg|Min)\.(?= \w)"
    r"|\d{1,2}\.(?= \w)|\w(?:\.\w)+\.|\w+(?:[-'’.]\w+)*|[^\w\s]"
)
# Balanced quotations; cue words inside them are the quoted speaker's words, not attributions.
_QUOTATION = re.compile(
    r"''[^\n]{1,2000}?''|„[^“”\"„]*[“”\"]|»[^«»]*«|«[^«»]*»|“[^“”„]*”|(?<![^\s(\[—–-])\"[^\"]*\"(?!\w)"
)
CLOSING_QUOTES = "“”\"«»'’"
_LONE_QUOTES = '„»“”«"'
_GERMAN_OPENERS = "„»"
_ENGLISH_OPENERS = "“"
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


def tokenise(statement: str, language: str = "de", open_quote: bool = False) -> list[Token]:
    """The statement's tokens; open_quote: it starts inside a quotation opened before it."""
    quoted, _ = quoted_mask(statement, language, open_quote)
    return [
        Token(m.group(), m.start(), m.end(), m.group().lower(), quoted[m.start()])
        for m in _TOKEN.finditer(statement)
    ]


def quoted_mask(
    statement: str, language: str = "de", open_quote: bool = False
) -> tuple[list[bool], bool]:
    """Per character: is it inside a quotation (quote marks included)? And is one still open
    at the end, so that the paragraph's next statement starts inside it?"""
    mask = [False] * len(statement)
    for match in _QUOTATION.finditer(statement):
        mask[match.start() : match.end()] = [True] * (match.end() - match.start())
    # A quotation spanning several statements: a lone opener runs to the end, a lone closer
    # closes a quotation that began in an earlier statement.
    inside, begun = open_quote, 0
    for i, char in enumerate(statement):
        if mask[i] or char not in _LONE_QUOTES:
            continue
        if _opens(statement, i, language):
            inside, begun = True, i
        else:
            mask[begun : i + 1] = [True] * (i + 1 - begun)
            inside = False
    if inside:
        mask[begun:] = [True] * (len(statement) - begun)
    return mask, inside


def _opens(statement: str, i: int, language: str) -> bool:
    char = statement[i]
    if char == '"':
        before = statement[i - 1] if i else " "
        after = statement[i + 1] if i + 1 < len(statement) else " "
        return (before.isspace() or before in "([—–-") and not after.isspace()
    return char in (_GERMAN_OPENERS if language == "de" else _ENGLISH_OPENERS)
