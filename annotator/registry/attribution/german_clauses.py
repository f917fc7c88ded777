"""German clause structure: where a cue verb's subject stands.

V2 main clauses (Die Ministerin hat gesagt / Das hat die Ministerin gesagt), verb-final
clauses after a conjunction or relative pronoun (…, dass die Ministerin gesagt hat), separable
particles (teilte … mit), auxiliaries and modals, passives, attributive participles, and
pronouns that name a group (wir als Opposition).
"""

from __future__ import annotations

from .cues import DE_PARTICLES
from .lemmas import lemma
from .lexicon import GERMAN, words
from .phrases import Phrase, Scanner, clause, subject_after, subject_before

_DE_PERFECT_AUX = words("hat hatte haben hatten habe hätte hätten hast habt")
_DE_MODALS = words(
    "kann können konnte konnten könnte könnten muss müssen musste mussten müsste will wollen "
    "wollte wollten soll sollen sollte sollten darf dürfen durfte möchte möchten mag werde "
    "wirst versucht versuchte"
)
_DE_PASSIVE_AUX = words("wird werden wurde wurden worden würde würden")
# An attributive participle's inflection ("vorgelegte", "beantragten") and how far back its
# determiner may stand ("das von den Fraktionen vorgelegte Gesetz").
_ADJECTIVE_ENDINGS = ("te", "ten", "tes", "ter", "tem", "ene", "enen", "enes", "ener", "enem")
_ATTRIBUTIVE_REACH = 8
COPULAS = words("ist sind war waren bin bist seid sei seien wäre wären bleibt blieb")
_DE_RELATIVES = words(
    "der die das dem den denen deren dessen welche welcher welches welchem welchen"
)
_DE_PERSONAL = words("ich wir man du ihr es")
_DE_APPOSITION_PRONOUNS = words("ich wir sie ihr du")
_DE_OBJECT_PRONOUNS = words("es sich mich mir uns euch dich dir ihm ihn ihnen")
_RELATIVE_REACH = 30
# Words that may follow the cue at the end of a verb-final clause: "gesagt haben könnte".
_VERB_CLUSTER = 2
_DE_SUBORDINATORS = words("dass daß weil wie ob wenn als obwohl nachdem da damit was wer wo")


def attributive(scanner: Scanner, i: int) -> bool:
    """Das von X vorgelegte Gesetz: an inflected participle between a determiner and its noun
    (prepositional phrases may stand between them), not a finite verb after a noun phrase."""
    if not scanner.lower(i).endswith(_ADJECTIVE_ENDINGS) or not scanner.head(i + 1):
        return False
    first, _ = clause(scanner, i)
    k = i - 1
    while k >= max(first, i - _ATTRIBUTIVE_REACH):
        if scanner.lower(k) in GERMAN.determiners:
            return True
        if scanner.head(k):
            phrase, before = scanner.backward(k)
            if phrase is None or scanner.lower(before) not in GERMAN.prepositions:
                return False  # "Nach dem Treffen sagte Selenskyj": a noun phrase, then a verb
            k = before - 1
        else:
            k -= 1
    return False


def closing_particle(scanner: Scanner, i: int) -> str | None:
    """The separable particle that closes the clause of a finite verb: "teilte … mit"."""
    _, last = clause(scanner, i)
    closes = last + 1 == len(scanner.tokens) or not scanner.tokens[last + 1].is_word
    if last > i and closes and scanner.lower(last) in DE_PARTICLES:
        return scanner.lower(last)
    return None


def finite_before(scanner: Scanner, i: int) -> int | None:
    """The auxiliary or modal earlier in the clause: hat … gesagt, muss … fordern."""
    first, _ = clause(scanner, i)
    for k in range(i - 1, first - 1, -1):
        lower = scanner.lower(k)
        if lower in _DE_PERFECT_AUX or lower in _DE_PASSIVE_AUX or lower in _DE_MODALS:
            return k
        if lower in COPULAS and k == i - 1:
            return k
    return None


def passive(scanner: Scanner, i: int, finite: int | None) -> bool:
    """A participle with a form of "werden": "wird kritisiert", "kritisiert worden"."""
    word = scanner.lower(i)
    if word == lemma(word, "de"):
        return False  # an infinitive: "wird sagen" is a future
    if finite is not None and scanner.lower(finite) in COPULAS:
        return True  # "Der Plan ist angekündigt": a state, nobody speaks
    first, last = clause(scanner, i)
    return any(scanner.lower(k) in _DE_PASSIVE_AUX for k in range(first, last + 1))


def zu_infinitive(scanner: Scanner, i: int) -> bool:
    word = scanner.lower(i)
    root = lemma(word, "de")
    return scanner.lower(i - 1) == "zu" or (word != root and word.replace("zu", "", 1) == root)


def governed_by_finite(scanner: Scanner, i: int) -> bool:
    """ "… zu suggerieren versucht hat": a zu-infinitive whose own clause has a finite verb
    after it; without one ("…, dem Plan zuzustimmen"), its subject lies outside."""
    return any(
        scanner.lower(k) in _DE_MODALS or scanner.lower(k) in _DE_PERFECT_AUX
        for k in range(i + 1, min(len(scanner.tokens), i + 1 + _VERB_CLUSTER))
    )


def subordinate(scanner: Scanner, i: int) -> bool:
    """Is the clause around i verb-final, opened by a conjunction or a relative pronoun?"""
    first, last = clause(scanner, i)
    opener = scanner.lower(first)
    if opener in _DE_SUBORDINATORS:
        return last - i <= _VERB_CLUSTER  # "als Nächstes spricht zu uns …" is a main clause
    if opener in GERMAN.prepositions:
        opener = scanner.lower(first + 1)  # "…, mit denen ich …"
    return opener in _DE_RELATIVES and scanner.lower(first - 1) == ","


def subordinate_subject(scanner: Scanner, i: int) -> Phrase | None:
    """…, dass Jens Spahn gestern darauf hingewiesen hat / …, die das Gericht angemahnt hat:
    in a verb-final clause the subject follows the conjunction or an object relative pronoun.
    A relative pronoun without a noun phrase after it ("der von Visionen sprach") is itself
    the subject, and no name is suggested."""
    first, _ = clause(scanner, i)
    k = first + 1
    if scanner.lower(first) in GERMAN.prepositions:
        k += 1  # "…, vor dem die FDP gewarnt hat"
    while scanner.lower(k) in GERMAN.adverbs:
        k += 1
    if scanner.lower(k) in GERMAN.oblique_determiners:
        return None  # "dass dem Minister …": no subject
    phrase = pronoun_apposition(scanner, k) or scanner.pronoun(k) or scanner.forward(k)
    if phrase is None and scanner.lower(k) in _DE_PERSONAL:
        return None  # "dass wir …"
    return phrase if phrase is not None and phrase.last < i else None


def main_subject(scanner: Scanner, verb: int) -> Phrase | None:
    """X sagte (subject first); „…“, sagte X / Das weiß die Ministerin (subject after)."""
    before = pronoun_apposition_before(scanner, verb)
    if before is not None:
        return before  # "Auch wir als Linke sagen …"
    if scanner.lower(verb - 1) in _DE_PERSONAL:
        return None  # "man habe der Sowjetunion zugesagt": the subject is a pronoun
    if scanner.lower(verb - 1) == ",":
        return subject_past_relative(scanner, verb) or subject_after_verb(scanner, verb)
    phrase = subject_before(scanner, verb)
    predicate = phrase is not None and scanner.lower(phrase.first - 1) in ("als", "wie")
    if predicate and verb + 1 < len(scanner.tokens) and scanner.tokens[verb + 1].is_word:
        phrase = None  # "Als Nächste spricht die Kollegin": a predicate, not the subject
    return phrase or subject_after_verb(scanner, verb)


def subject_after_verb(scanner: Scanner, verb: int) -> Phrase | None:
    """Das weiß die Ministerin / so sagt es die Kommission / Das wissen Sie als Physikerin."""
    k = verb + 1
    while scanner.lower(k) in GERMAN.adverbs or scanner.lower(k) in _DE_OBJECT_PRONOUNS:
        k += 1
    if scanner.lower(k) in _DE_PERSONAL or scanner.tokens[k - 1 if k > 0 else 0].text == "Sie":
        return pronoun_apposition(scanner, k)
    return pronoun_apposition(scanner, k) or subject_after(scanner, k - 1)


def pronoun_apposition(scanner: Scanner, k: int) -> Phrase | None:
    """wir als Linke / Sie von der AfD / ich als Zeitzeuge: a pronoun that names a group."""
    if scanner.lower(k) not in _DE_APPOSITION_PRONOUNS:
        return None
    by_article = scanner.lower(k + 1) == "vom" or (
        scanner.lower(k + 1) == "von" and scanner.lower(k + 2) in ("der", "den", "dem")
    )
    if scanner.lower(k + 1) == "als" or by_article:
        named = scanner.forward(k + 2)  # "Sie von der AfD"; not "wir von Lösungen"
    else:
        return None
    return Phrase(k, named.last) if named is not None else None


def pronoun_apposition_before(scanner: Scanner, verb: int) -> Phrase | None:
    named, before = scanner.backward(verb - 1)
    if named is None or scanner.lower(before) not in ("als", "von", "vom"):
        return None
    pronoun = before - 1
    if scanner.lower(pronoun) not in _DE_APPOSITION_PRONOUNS:
        return None
    if not scanner.clause_start(pronoun - 1) and scanner.lower(pronoun - 1) not in GERMAN.adverbs:
        return None
    return Phrase(pronoun, named.last)


def subject_past_relative(scanner: Scanner, verb: int) -> Phrase | None:
    """Viele Verbände, mit denen ich spreche, kritisieren …: the subject precedes the relative
    clause that ends right before the verb."""
    for comma in range(verb - 2, max(-1, verb - _RELATIVE_REACH), -1):
        token = scanner.tokens[comma]
        if token.quoted or token.text in ".;:!?":
            return None
        if token.text != ",":
            continue
        opener = comma + 1
        if scanner.lower(opener) in GERMAN.prepositions:
            opener += 1
        if scanner.lower(opener) in _DE_RELATIVES:
            return subject_before(scanner, comma)
        return None
    return None
