"""Lemmas of cue words, from a lemmatiser that ships its data (simplemma: a lookup table).

Cue inventories list lemmas ("sagen", "say"), so every inflected form of a reporting verb
counts without listing it. A lemma is looked up once per distinct lower-case word: news text
repeats its words, so the cache keeps the attributor fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

# (word, language) -> lemma; for German, a noun's lemma keeps its capital.
Lemmatiser = Callable[[str, str], str]


def _simplemma_lemmatize(word: str, language: str) -> str:
    # Imported on first use: loading simplemma takes ~0.1 s, and every process imports this
    # module (the admin's modules reach it), while only attribution looks up a lemma.
    import simplemma

    return simplemma.lemmatize(word, lang=language)


def _simplemma(word: str, language: str) -> str:
    # lower(), not casefold(): "ß" must stay ("beschließen", not "beschliessen").
    return _simplemma_lemmatize(word, language).lower()


_lemmatiser: Lemmatiser = _simplemma


@functools.lru_cache(maxsize=100_000)
def lemma(word: str, language: str) -> str:
    """The lower-case lemma of a lower-case word ("sagte" -> "sagen", "told" -> "tell")."""
    return _lemmatiser(word, language)


@functools.lru_cache(maxsize=100_000)
def is_capitalised_lemma(word: str, language: str) -> bool:
    """Does a capitalised word keep its capital as a lemma? German nouns and names do;
    "Deswegen" or "Natürlich" opening a sentence do not."""
    return _lemmatiser_cased(word, language)[:1].isupper()


def _lemmatiser_cased(word: str, language: str) -> str:
    if _lemmatiser is _simplemma:
        return _simplemma_lemmatize(word, language)
    return _lemmatiser(word, language)


def noun_lemma(word: str) -> str:
    """The lower-case lemma of a German noun as written ("Anfragen" -> "anfrage"): lower-cased
    first it would read as a verb ("anfragen")."""
    return _noun_lemma(word[:1].upper() + word[1:].lower())


@functools.lru_cache(maxsize=100_000)
def _noun_lemma(word: str) -> str:
    return _lemmatiser_cased(word, "de").lower()


def use_lemmatiser(lemmatiser: Lemmatiser | None) -> None:
    """Swap the lemmatiser (None restores simplemma), e.g. to compare another one's effect."""
    global _lemmatiser
    _lemmatiser = lemmatiser or _simplemma
    lemma.cache_clear()
    is_capitalised_lemma.cache_clear()
    _noun_lemma.cache_clear()
