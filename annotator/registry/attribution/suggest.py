"""Suggest who a statement is attributed to: the best cue rule's mention, matched to a source."""

from __future__ import annotations

from dataclasses import dataclass

from .english import english_candidates
from .german import german_candidates
from .lexicon import ENGLISH, GERMAN
from .phrases import Candidate, Scanner
from .sources import Key, SourceIndex
from .tokens import Token, tokenise


@dataclass(frozen=True)
class Suggestion:
    mention: str
    cue: str
    cue_start: int
    cue_end: int
    mention_start: int
    mention_end: int
    source_key: Key | None


def suggest_attribution(
    statement: str, language: str = "de", index: SourceIndex | None = None
) -> Suggestion | None:
    """Suggest who the statement is attributed to, or None for the author's own voice."""
    if language not in ("de", "en"):
        raise ValueError(f"unsupported language {language!r}; expected 'de' or 'en'")
    tokens = tokenise(statement)
    if language == "de":
        scanner = Scanner(tokens, GERMAN)
        candidates = german_candidates(scanner, statement)
    else:
        scanner = Scanner(tokens, ENGLISH)
        candidates = english_candidates(scanner)
    best = min(candidates, key=lambda c: (c.priority, c.cue_first), default=None)
    return None if best is None else _suggestion(statement, tokens, best, index)


def _suggestion(
    statement: str, tokens: list[Token], candidate: Candidate, index: SourceIndex | None
) -> Suggestion:
    cue_start, cue_end = tokens[candidate.cue_first].start, tokens[candidate.cue_last].end
    mention_start = tokens[candidate.phrase.first].start
    mention_end = tokens[candidate.phrase.last].end
    mention = statement[mention_start:mention_end]
    return Suggestion(
        mention=mention,
        cue=statement[cue_start:cue_end],
        cue_start=cue_start,
        cue_end=cue_end,
        mention_start=mention_start,
        mention_end=mention_end,
        source_key=index.match(mention) if index is not None else None,
    )


def suggest_document(
    statements: list[tuple[str, int]], language: str = "de", index: SourceIndex | None = None
) -> list[Suggestion | None]:
    """Suggestions for a document's statements, given as (text, paragraph) in order."""
    return [suggest_attribution(text, language, index) for text, _ in statements]


def cue_lemma(cue: str, language: str = "de") -> str:
    return cue.casefold()
