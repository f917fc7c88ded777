"""English cue rules: according to X, X said, X has said, „…,“ said X."""

from __future__ import annotations

from .lexicon import words
from .phrases import Candidate, Scanner, subject_before

_EN_REPORTING_VERBS = words(
    "said says say told tells claimed claims claim stated states reported reports confirmed "
    "confirms denied denies added adds warned warns announced announces estimated estimate "
    "estimates believe believes believed argued argues insisted insists noted notes wrote "
    "writes acknowledged acknowledges admitted admits accused accuses alleged alleges "
    "explained explains"
)
_EN_PERFECT_AUX = words("has have had")

# --- English rules -----------------------------------------------------------------------------


def english_candidates(scanner: Scanner) -> list[Candidate]:
    candidates: list[Candidate] = []
    for i, token in enumerate(scanner.tokens):
        if token.quoted or not token.is_word:
            continue
        candidate = _rule_according_to(scanner, i) or _rule_english_verb(scanner, i)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


def _rule_according_to(scanner: Scanner, i: int) -> Candidate | None:
    if scanner.lower(i) == "according" and scanner.lower(i + 1) == "to":
        phrase = scanner.forward(i + 2)
        return Candidate(0, i, i + 1, phrase) if phrase else None
    if scanner.lower(i) == "citing":
        phrase = scanner.forward(i + 1)
        return Candidate(0, i, i, phrase) if phrase else None
    return None


def _rule_english_verb(scanner: Scanner, i: int) -> Candidate | None:
    """X said / X has said / "…," said X."""
    if scanner.lower(i) not in _EN_REPORTING_VERBS:
        return None
    anchor = i - 1 if scanner.lower(i - 1) in _EN_PERFECT_AUX else i
    phrase = subject_before(scanner, anchor)
    if phrase is None and anchor > 0 and not scanner.tokens[anchor - 1].is_word:
        phrase = scanner.pronoun(i + 1) or scanner.forward(i + 1)
    return Candidate(1, i, i, phrase) if phrase else None
