"""Pronoun mentions: which are resolved to a named source, and which name no one."""

from __future__ import annotations

# Third person: "er sagte", "she said" point back to someone named before.
_RESOLVABLE = {
    "de": frozenset(["er", "sie"]),
    "en": frozenset(["he", "she", "they", "it"]),
}
# First and second person are the speaker or the addressee of a quotation, not a named source.
_OTHER = {
    "de": frozenset(["ich", "wir", "du", "ihr", "man", "es"]),
    "en": frozenset(["i", "we", "you"]),
}


def resolvable_pronoun(mention: str, language: str) -> bool:
    return mention.casefold() in _RESOLVABLE[language]


def is_pronoun(mention: str, language: str) -> bool:
    lower = mention.casefold()
    return lower in _RESOLVABLE[language] or lower in _OTHER[language]
