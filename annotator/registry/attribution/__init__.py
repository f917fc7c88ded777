"""Rule-based attribution suggestions: who does a statement come from?

Pure Python (no Django, no model). A statement is tokenised into words and punctuation; cue
rules (``laut X``, ``X sagte``, ``„…“, so X``, ``according to X``, …) locate a cue, and a small
noun-phrase scanner takes the mention next to it exactly as written. ``SourceIndex`` then maps
the mention to a registry source by its name or aliases.

The rules favour precision: when no cue is found, or the phrase next to a cue does not look
like a noun phrase, the statement is treated as the author's own voice (``None``).
"""

from .lexicon import ENGLISH, GERMAN
from .sources import Key, SourceEntry, SourceIndex, normalise_phrase, normalise_word
from .suggest import Suggestion, cue_lemma, suggest_attribution, suggest_document

__all__ = [
    "ENGLISH",
    "GERMAN",
    "Key",
    "SourceEntry",
    "SourceIndex",
    "Suggestion",
    "cue_lemma",
    "normalise_phrase",
    "normalise_word",
    "suggest_attribution",
    "suggest_document",
]
