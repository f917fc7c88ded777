"""The source registry as the attributor sees it: names and aliases, matched by normalised words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

Key = int | str

_INDEX_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# German inflection endings, longest first. After a lone -n/-s (dative plural, genitive) one
# more ending goes (Beobachtern -> beobachter -> beobacht, like Beobachter), but never two
# "real" endings: Nordkoreaner must not become Nordkorea.
_ENDINGS = ("em", "en", "er", "es", "e", "n", "s")
_MIN_STEM = 3


@dataclass(frozen=True)
class SourceEntry:
    key: Key
    name: str
    aliases: tuple[str, ...]


def normalise_word(word: str) -> str:
    """Case-fold and strip possessive 's and common German endings so inflected forms meet."""
    word = unicodedata.normalize("NFC", word).casefold().replace("’", "'")
    word = word.removesuffix("'s")
    stripped = _strip_ending(word)
    if len(word) - len(stripped) == 1 and word[-1] in "ns":
        stripped = _strip_ending(stripped)
    return stripped


def _strip_ending(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def normalise_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(normalise_word(word) for word in _INDEX_WORD.findall(phrase))


class SourceIndex:
    """Maps mentions to source keys through normalised alias word tuples."""

    def __init__(self, entries: Iterable[SourceEntry]) -> None:
        self._aliases: dict[tuple[str, ...], Key] = {}
        for entry in entries:
            for alias in (entry.name, *entry.aliases):
                words = normalise_phrase(alias)
                # First registration wins, so a duplicated alias keeps the registry's order.
                if words:
                    self._aliases.setdefault(words, entry.key)
        self._longest = max((len(words) for words in self._aliases), default=0)

    def __len__(self) -> int:
        return len(self._aliases)

    def match(self, mention: str) -> Key | None:
        """The source of the longest alias found as whole words in the mention; leftmost on ties."""
        words = normalise_phrase(mention)
        best: tuple[int, Key] | None = None
        for start in range(len(words)):
            for length in range(min(self._longest, len(words) - start), 0, -1):
                key = self._aliases.get(words[start : start + length])
                if key is not None:
                    if best is None or length > best[0]:
                        best = (length, key)
                    break  # shorter aliases at this start are less specific
        return None if best is None else best[1]
