"""Suggest who a statement is attributed to: the best cue rule's mention, matched to a source."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .english import english_candidates
from .german import german_candidates
from .lemmas import lemma
from .lexicon import ENGLISH, GERMAN
from .phrases import Candidate, Scanner
from .pronouns import is_pronoun, resolvable_pronoun
from .sources import Key, SourceIndex
from .tokens import Token, quoted_mask, tokenise


@dataclass(frozen=True)
class Suggestion:
    mention: str  # as written in the statement, e.g. "Gerassimow" or "er"
    cue: str
    cue_start: int
    cue_end: int
    mention_start: int
    mention_end: int
    source_key: Key | None
    # A pronoun mention ("er", "she") resolved to the nearest preceding named source in the
    # same paragraph; empty when the mention names the source itself.
    resolved_mention: str = ""


def suggest_attribution(
    statement: str,
    language: str = "de",
    index: SourceIndex | None = None,
    *,
    open_quote: bool = False,
) -> Suggestion | None:
    """Suggest who the statement is attributed to, or None for the author's own voice.

    open_quote: the statement starts inside a quotation opened by an earlier statement, so
    its cue words up to the closing mark are the quoted speaker's.
    """
    if language not in ("de", "en"):
        raise ValueError(f"unsupported language {language!r}; expected 'de' or 'en'")
    tokens = tokenise(statement, language, open_quote)
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
    resolved = ""
    if candidate.antecedent is not None:
        first, last = candidate.antecedent.first, candidate.antecedent.last
        resolved = statement[tokens[first].start : tokens[last].end]
    return Suggestion(
        mention=mention,
        cue=statement[cue_start:cue_end],
        cue_start=cue_start,
        cue_end=cue_end,
        mention_start=mention_start,
        mention_end=mention_end,
        source_key=index.match(resolved or mention) if index is not None else None,
        resolved_mention=resolved,
    )


def suggest_document(
    statements: Iterable[tuple[str, int]],
    language: str = "de",
    index: SourceIndex | None = None,
) -> list[Suggestion | None]:
    """Suggestions for a document's statements, given in order as (text, paragraph number).

    Unlike one statement at a time, this knows the paragraph: a quotation opened in one
    statement goes on in the next, and a pronoun subject ("er sagte", "she said") is resolved
    to the nearest preceding named source in the same paragraph.
    """
    suggestions: list[Suggestion | None] = []
    paragraph, open_quote, named = None, False, None
    for text, number in statements:
        if number != paragraph:
            paragraph, open_quote, named = number, False, None
        suggestion = suggest_attribution(text, language, index, open_quote=open_quote)
        _, open_quote = quoted_mask(text, language, open_quote)
        if suggestion is not None and resolvable_pronoun(suggestion.mention, language):
            suggestion = _resolved(suggestion, named, index)
        elif suggestion is not None and not is_pronoun(suggestion.mention, language):
            named = suggestion
        suggestions.append(suggestion)
    return suggestions


def _resolved(
    suggestion: Suggestion, named: Suggestion | None, index: SourceIndex | None
) -> Suggestion:
    if named is None:
        return suggestion
    return replace(
        suggestion,
        resolved_mention=named.mention,
        source_key=index.match(named.mention) if index is not None else None,
    )


def cue_lemma(cue: str, language: str = "de") -> str:
    """The cue's words as lemmas ("sagte" -> "sagen"), to group cues in an evaluation."""
    return " ".join(lemma(word.lower(), language) for word in cue.split()[:3])
