"""Noun phrases next to a cue, scanned forwards and backwards over a statement's tokens."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .lemmas import is_capitalised_lemma, lemma
from .lexicon import Lexicon
from .tokens import CLAUSE_REACH, PHRASE_REACH, Token


def _is_head(token: Token, lex: Lexicon) -> bool:
    """A word that can carry a noun phrase: a German noun/name, an English content word."""
    if not token.is_word or token.quoted:
        return False
    if token.text[0].isdigit():
        return not lex.capitalised_heads  # "1,409 teachers", "46 percent of voters"
    if token.lower in lex.function_words or token.lower in lex.determiners:
        return False
    return token.capitalised or not lex.capitalised_heads


def _is_modifier(token: Token, lex: Lexicon) -> bool:
    if not token.is_word or token.quoted or token.capitalised:
        return False
    if token.text[0].isdigit():
        return True  # "75 Prozent der Richter"
    return token.lower not in lex.function_words and lex.adjective(token.lower)


# A headline in title case ("Clinton Says Russians Hacked DNC") has at least this many longer
# words, and this share of them capitalised.
_TITLE_WORDS = 3
_TITLE_SHARE = 0.8
# Heads of institution names that go on with "für"/"for": Institut für …, Ministry for …
_INSTITUTIONS = (
    "institut",
    "ministerium",
    "amt",
    "zentrum",
    "verband",
    "stiftung",
    "gesellschaft",
    "kommission",
    "rat",
    "agentur",
    "büro",
    "behörde",
    "komitee",
    "ausschuss",
    "beauftragte",
    "beauftragter",
    "institute",
    "ministry",
    "office",
    "council",
    "committee",
    "center",
    "centre",
    "agency",
    "foundation",
    "commission",
    "society",
    "association",
    "bureau",
)


@dataclass(frozen=True)
class Phrase:
    first: int  # token indices, inclusive
    last: int


class Scanner:
    """Noun-phrase scanning over one statement's tokens."""

    def __init__(self, tokens: list[Token], lex: Lexicon) -> None:
        self.tokens = tokens
        self.lex = lex

    def head(self, index: int) -> bool:
        if not (0 <= index < len(self.tokens) and _is_head(self.tokens[index], self.lex)):
            return False
        if self.lex.capitalised_heads and self._sentence_initial(index):
            # Any word is capitalised at a sentence start: "Deswegen", "Natürlich" are no nouns.
            return is_capitalised_lemma(self.tokens[index].text, "de")
        return True

    def modifier(self, index: int) -> bool:
        if not 0 <= index < len(self.tokens):
            return False
        token = self.tokens[index]
        if self.lex.capitalised_heads and token.capitalised and self._sentence_initial(index):
            # "Südkoreanische und westliche Geheimdienste": an adjective opening the sentence
            lower = token.lower
            return not is_capitalised_lemma(token.text, "de") and self.lex.adjective(lower)
        return _is_modifier(token, self.lex)

    @functools.cached_property
    def title_case(self) -> bool:
        """A headline in title case: nearly every longer word is capitalised."""
        longer = [token for token in self.tokens if token.is_word and len(token.text) > 3]
        capitalised = sum(token.capitalised for token in longer)
        return len(longer) >= _TITLE_WORDS and capitalised >= _TITLE_SHARE * len(longer)

    def adverb(self, index: int) -> bool:
        """A listed adverb, or in English any -ly word ("Virtually all analysts say")."""
        lower = self.lower(index)
        if lower in self.lex.adverbs:
            return True
        english = not self.lex.capitalised_heads
        return english and lower.endswith("ly") and len(lower) > 4 and self.tokens[index].is_word

    def _sentence_initial(self, index: int) -> bool:
        return index == 0 or not self.tokens[index - 1].is_word

    def lower(self, index: int) -> str:
        return self.tokens[index].lower if 0 <= index < len(self.tokens) else ""

    def joins(self, index: int) -> bool:
        """May a conjunction/name particle link the word at index to the phrase?"""
        if self.lex.capitalised_heads:
            return self.head(index) or self.modifier(index)
        return self.head(index) and self.tokens[index].capitalised

    def forward(self, index: int) -> Phrase | None:
        """The noun phrase starting at index: determiners, adjectives, nouns, genitives."""
        last_head = None
        i = index
        end = min(len(self.tokens), index + PHRASE_REACH)
        while i < end and not self.tokens[i].quoted:
            lower = self.lower(i)
            if last_head is not None and lower in self.lex.linkers:
                i += 1
            elif last_head is not None and self._institution_named_by(last_head, i):
                i += 1  # "dem Institut für Wirtschaftsforschung", "Institute for Strategy"
            elif lower in self.lex.determiners:
                if last_head is not None and self.lower(i - 1) not in self.lex.linkers:
                    break  # a new phrase (e.g. the object) begins
                i += 1
            elif last_head is not None and self._past_verb(i):
                break  # "the senator toured a plant": English heads are any content word
            elif self.head(i):
                last_head = i
                i += 1
            elif self.modifier(i) or self._links_forward(i):
                i += 1
            else:
                break
        return None if last_head is None else Phrase(index, last_head)

    def _past_verb(self, i: int) -> bool:
        token = self.tokens[i]
        if self.lex.capitalised_heads or token.capitalised or not token.lower.endswith("ed"):
            return False
        return lemma(token.lower, "en") != token.lower

    def _institution_named_by(self, head: int, i: int) -> bool:
        """Does "für X" / "for X" belong to the name of the institution at head?"""
        if self.lower(i) not in ("für", "for") or not self.tokens[i + 1 :][:1]:
            return False
        following = self.tokens[i + 1]
        named = following.capitalised and following.is_word and not following.quoted
        return named and self.lower(head).endswith(_INSTITUTIONS)

    def _links_forward(self, i: int) -> bool:
        lower = self.lower(i)
        if lower in self.lex.conjunctions:
            following = self.joins(i + 1) or self.lower(i + 1) in self.lex.determiners
            return self.joins(i - 1) and following
        if lower in self.lex.name_particles:
            return self.head(i - 1) and self.head(i + 1)
        return False

    def backward(self, index: int) -> tuple[Phrase | None, int]:
        """The noun phrase ending at index, and the index of the token before it (or -1)."""
        if not self.head(index):
            return None, index
        first = i = index
        while i >= max(0, index - PHRASE_REACH):
            lower = self.lower(i)
            if self.head(i) or (self.modifier(i) and i < index):
                first = i
            elif lower in self.lex.determiners:
                first = i
                if not (lower in self.lex.linkers and self.head(i - 1)):
                    i -= 1
                    break
            elif not self._links_backward(i):
                break
            i -= 1
        return Phrase(first, index), i

    def _links_backward(self, i: int) -> bool:
        lower = self.lower(i)
        if lower in self.lex.conjunctions:
            return self.joins(i - 1)
        if lower in self.lex.linkers or lower in self.lex.name_particles:
            return self.head(i - 1)
        return False

    def clause_start(self, index: int) -> bool:
        """Can a subject start right after the token at index?"""
        if index < 0:
            return True
        token = self.tokens[index]
        return not token.is_word or token.lower in self.lex.clause_openers

    def pronoun(self, index: int) -> Phrase | None:
        if self.lower(index) not in self.lex.pronouns or self.tokens[index].quoted:
            return None
        polite = self.lex.capitalised_heads and self.tokens[index].text == "Sie"
        if polite and (index > 0 or self.lower(index + 1).endswith("en")):
            # The polite "Sie" addresses someone: inside a sentence always, and at its start
            # before a plural verb ("Sie haben gesagt"); "Sie sagte" is she.
            return None
        return Phrase(index, index)


@dataclass(frozen=True)
class Candidate:
    priority: int  # lower wins: prepositional cues are the most reliable
    cue_first: int
    cue_last: int
    phrase: Phrase
    # A relative pronoun's antecedent: "Perez, who said …" names Perez through "who".
    antecedent: Phrase | None = None


def clause(scanner: Scanner, i: int) -> tuple[int, int]:
    """Token range of the clause around i, delimited by punctuation and quotation marks.

    Bounded to CLAUSE_REACH words each side so hostile run-on text stays linear.
    """
    tokens = scanner.tokens
    first = i
    while first > max(0, i - CLAUSE_REACH) and tokens[first - 1].is_word:
        first -= 1
    last = i
    while last + 1 < min(len(tokens), i + CLAUSE_REACH) and tokens[last + 1].is_word:
        last += 1
    return first, last


# Prepositional phrases a subject may carry: "delegates at the convention in Philadelphia".
_ATTACHED_PHRASES = 3


def subject_before(scanner: Scanner, anchor: int) -> Phrase | None:
    if scanner.pronoun(anchor - 1) and scanner.clause_start(anchor - 2):
        return scanner.pronoun(anchor - 1)
    phrase, before = scanner.backward(anchor - 1)
    for _ in range(_ATTACHED_PHRASES):
        if phrase is None or scanner.lower(before) not in scanner.lex.prepositions:
            break
        # "Die Regierung in Kiew bestritt", "Delegates at the convention in Philadelphia
        # said": the phrase is the tail of a longer subject.
        owner, before = scanner.backward(before - 1)
        phrase = None if owner is None else Phrase(owner.first, phrase.last)
    while phrase is not None and scanner.adverb(before):
        before -= 1  # "Denn gerade seine Koalition lehnt … ab", "Virtually all analysts say"
    if phrase is None or not scanner.clause_start(before):
        return None  # e.g. "Trotz der Erfolge bestreitet …": a prepositional phrase
    if scanner.lower(phrase.first) in scanner.lex.oblique_determiners:
        return None  # "Den Bericht bestätigte …": an object in front position
    return phrase


def subject_after(scanner: Scanner, anchor: int) -> Phrase | None:
    i = anchor + 1
    while scanner.lower(i) in scanner.lex.adverbs:
        i += 1
    return scanner.pronoun(i) or scanner.forward(i)
