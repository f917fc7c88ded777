"""German cue rules: laut X, X zufolge, nach Angaben X, „…“, so X, X sagte, passive agents."""

from __future__ import annotations

import re

from .cues import (
    DE_CONVICTION,
    DE_CUE_NOUNS,
    DE_CUE_VERBS,
    DE_LIGHT_VERB_NOUNS,
    DE_LIGHT_VERBS,
    DE_ONLY_WITH_PARTICLE,
    DE_OPINION_GENITIVES,
    DE_PARTICLES,
    DE_PASSIVE_JUDGEMENTS,
    DE_TOPIC_VON,
)
from .lemmas import lemma, noun_lemma
from .lexicon import GERMAN, words
from .phrases import Candidate, Phrase, Scanner, clause, subject_after, subject_before
from .tokens import CLOSING_QUOTES

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
_AGENT_UNG = (
    "regierung",
    "verwaltung",
    "stiftung",
    "vereinigung",
    "führung",
    "leitung",
    "vertretung",
    "versammlung",
    "forschung",
)
_NON_AGENT_ENDINGS = (
    "heit",
    "keit",
    "ung",
    "ungen",
    "ismus",
    "tät",
    "nis",
    "nisse",
    "recht",
    "rechte",
    "rechts",
    "gesetz",
    "gesetzes",
    "gesetze",
    "vertrag",
    "vertrags",
    "vertrages",
    "welle",
)
_DOCUMENT_ENDINGS = (
    "gesetz",
    "gesetzes",
    "vertrag",
    "vertrags",
    "vertrages",
    "richtlinie",
    "verordnung",
    "urteil",
    "urteils",
    "erklärung",
    "konvention",
    "abkommen",
    "charta",
)
_DE_COPULAS = words("ist sind war waren bin bist seid sei seien wäre wären bleibt blieb")
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
# nach Angaben / nach Informationen / … (des Ministeriums)
_DE_INFORMATION_NOUNS = words(
    "angaben informationen einschätzung darstellung ansicht auffassung meinung worten "
    "berichten schätzungen erkenntnissen"
)
# "durch X" is an attribution only when the statement speaks of a message: "Diese Bestätigung
# kam durch …"; otherwise "durch" is mostly causal ("durch den Krieg").
_DE_MESSAGE = re.compile(
    r"(?i)\b(?:bestätigung|mitteilung|meldung|erklärung|bericht|information|angabe|aussage"
    r"|dementi|stellungnahme|nachricht|verlautbarung|ankündigung|darstellung|enthüllung)"
)

# --- German rules ------------------------------------------------------------------------------


def german_candidates(scanner: Scanner, statement: str) -> list[Candidate]:
    candidates: list[Candidate] = []
    for i, token in enumerate(scanner.tokens):
        if token.quoted or not token.is_word:
            continue
        for rule in _GERMAN_RULES:
            candidate = rule(scanner, i)
            if candidate is not None:
                candidates.append(candidate)
    if _DE_MESSAGE.search(statement):
        candidates += _durch_candidates(scanner)
    return candidates


def _rule_laut(scanner: Scanner, i: int) -> Candidate | None:
    if scanner.lower(i) != "laut":
        return None
    phrase = scanner.forward(i + 1)
    return Candidate(0, i, i, phrase) if phrase else None


def _rule_zufolge(scanner: Scanner, i: int) -> Candidate | None:
    if scanner.lower(i) != "zufolge":
        return None
    phrase, _ = scanner.backward(i - 1)
    return Candidate(0, i, i, phrase) if phrase else None


def _rule_nach_angaben(scanner: Scanner, i: int) -> Candidate | None:
    """nach (eigenen) Angaben/Informationen/… (von|vom) X."""
    if scanner.lower(i) != "nach":
        return None
    last = i + 1
    if scanner.lower(last) == "eigenen":
        last += 1
    if scanner.lower(last) not in _DE_INFORMATION_NOUNS:
        return None
    if scanner.lower(last + 1) in ("von", "vom"):
        last += 1
    phrase = scanner.forward(last + 1)
    return Candidate(0, i, last, phrase) if phrase else None


def _rule_berufung(scanner: Scanner, i: int) -> Candidate | None:
    words = [scanner.lower(i + k) for k in range(3)]
    if words != ["unter", "berufung", "auf"]:
        return None
    phrase = scanner.forward(i + 3)
    return Candidate(0, i, i + 2, phrase) if phrase else None


def _rule_so(scanner: Scanner, i: int) -> Candidate | None:
    """„…“, so X. / Die Lage sei ernst, so der Minister."""
    if scanner.lower(i) != "so" or i == 0:
        return None
    before = scanner.tokens[i - 1].text
    if before != "," and before not in CLOSING_QUOTES:
        return None
    phrase = scanner.forward(i + 1)
    if phrase is None:
        return None
    after = scanner.tokens[phrase.last + 1].text if phrase.last + 1 < len(scanner.tokens) else "."
    return Candidate(1, i, i, phrase) if after in ".,;!?)" else None


def _rule_cue_verb(scanner: Scanner, i: int) -> Candidate | None:
    """X sagte / X hat gesagt / sagte X / …, dass X gesagt hat / X teilte … mit."""
    if not _cue_verb(scanner, i):
        return None
    finite = _finite_before(scanner, i)
    if _passive(scanner, i, finite):
        return None  # its agent, if any, is found by _rule_passive_agent
    if _zu_infinitive(scanner, i) and not _subordinate(scanner, i):
        return None  # "ohne zuzustimmen", "… zu beantragen": the subject lies outside
    if finite is not None:
        phrase = _main_subject(scanner, finite)
    elif _subordinate(scanner, i):
        phrase = _subordinate_subject(scanner, i)
    else:
        phrase = _main_subject(scanner, i)
    if phrase is None or _document(scanner.tokens[phrase.last].lower):
        return None  # "Die Richtlinie fordert …": a text, whose author is not named
    return Candidate(2, i, i, phrase)


def _cue_verb(scanner: Scanner, i: int) -> bool:
    token = scanner.tokens[i]
    if token.capitalised and i > 0:
        return False  # German nouns are capitalised; verbs are not
    if scanner.lower(i - 1) in GERMAN.determiners or _attributive(scanner, i):
        return False  # "die geforderte Summe": a participle as adjective
    root = lemma(token.lower, "de")
    particle = _closing_particle(scanner, i)
    if particle is not None:
        return particle + root in DE_CUE_VERBS
    if root in DE_LIGHT_VERBS:
        # "Kritik üben", "die Auffassung vertreten"; "stellt sich die Frage" is no one's
        return scanner.lower(i + 1) != "sich" and _with_cue_noun(scanner, i)
    cue = root in DE_CUE_VERBS or token.lower in DE_CUE_VERBS  # "meinen" reads as "mein"
    return cue and root not in DE_ONLY_WITH_PARTICLE


def _with_cue_noun(scanner: Scanner, i: int) -> bool:
    first, last = clause(scanner, i)
    return any(
        scanner.tokens[k].capitalised and _cue_noun(scanner.lower(k), DE_LIGHT_VERB_NOUNS)
        for k in range(first, last + 1)
        if k != i
    )


def _attributive(scanner: Scanner, i: int) -> bool:
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


def _closing_particle(scanner: Scanner, i: int) -> str | None:
    """The separable particle that closes the clause of a finite verb: "teilte … mit"."""
    _, last = clause(scanner, i)
    closes = last + 1 == len(scanner.tokens) or not scanner.tokens[last + 1].is_word
    if last > i and closes and scanner.lower(last) in DE_PARTICLES:
        return scanner.lower(last)
    return None


def _finite_before(scanner: Scanner, i: int) -> int | None:
    """The auxiliary or modal earlier in the clause: hat … gesagt, muss … fordern."""
    first, _ = clause(scanner, i)
    for k in range(i - 1, first - 1, -1):
        lower = scanner.lower(k)
        if lower in _DE_PERFECT_AUX or lower in _DE_PASSIVE_AUX or lower in _DE_MODALS:
            return k
        if lower in _DE_COPULAS and k == i - 1:
            return k
    return None


def _passive(scanner: Scanner, i: int, finite: int | None) -> bool:
    """A participle with a form of "werden": "wird kritisiert", "kritisiert worden"."""
    word = scanner.lower(i)
    if word == lemma(word, "de"):
        return False  # an infinitive: "wird sagen" is a future
    if finite is not None and scanner.lower(finite) in _DE_COPULAS:
        return True  # "Der Plan ist angekündigt": a state, nobody speaks
    first, last = clause(scanner, i)
    return any(scanner.lower(k) in _DE_PASSIVE_AUX for k in range(first, last + 1))


def _zu_infinitive(scanner: Scanner, i: int) -> bool:
    word = scanner.lower(i)
    root = lemma(word, "de")
    return scanner.lower(i - 1) == "zu" or (word != root and word.replace("zu", "", 1) == root)


def _subordinate(scanner: Scanner, i: int) -> bool:
    """Is the clause around i verb-final, opened by a conjunction or a relative pronoun?"""
    first, last = clause(scanner, i)
    opener = scanner.lower(first)
    if opener in _DE_SUBORDINATORS:
        return last - i <= _VERB_CLUSTER  # "als Nächstes spricht zu uns …" is a main clause
    if opener in GERMAN.prepositions:
        opener = scanner.lower(first + 1)  # "…, mit denen ich …"
    return opener in _DE_RELATIVES and scanner.lower(first - 1) == ","


def _subordinate_subject(scanner: Scanner, i: int) -> Phrase | None:
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
    phrase = _pronoun_apposition(scanner, k) or scanner.pronoun(k) or scanner.forward(k)
    if phrase is None and scanner.lower(k) in _DE_PERSONAL:
        return None  # "dass wir …"
    return phrase if phrase is not None and phrase.last < i else None


def _main_subject(scanner: Scanner, verb: int) -> Phrase | None:
    """X sagte (subject first); „…“, sagte X / Das weiß die Ministerin (subject after)."""
    before = _pronoun_apposition_before(scanner, verb)
    if before is not None:
        return before  # "Auch wir als Linke sagen …"
    if scanner.lower(verb - 1) in _DE_PERSONAL:
        return None  # "man habe der Sowjetunion zugesagt": the subject is a pronoun
    if scanner.lower(verb - 1) == ",":
        return _subject_past_relative(scanner, verb) or _subject_after(scanner, verb)
    phrase = subject_before(scanner, verb)
    predicate = phrase is not None and scanner.lower(phrase.first - 1) in ("als", "wie")
    if predicate and verb + 1 < len(scanner.tokens) and scanner.tokens[verb + 1].is_word:
        phrase = None  # "Als Nächste spricht die Kollegin": a predicate, not the subject
    return phrase or _subject_after(scanner, verb)


def _subject_after(scanner: Scanner, verb: int) -> Phrase | None:
    """Das weiß die Ministerin / so sagt es die Kommission / Das wissen Sie als Physikerin."""
    k = verb + 1
    while scanner.lower(k) in GERMAN.adverbs or scanner.lower(k) in _DE_OBJECT_PRONOUNS:
        k += 1
    if scanner.lower(k) in _DE_PERSONAL or scanner.tokens[k - 1 if k > 0 else 0].text == "Sie":
        return _pronoun_apposition(scanner, k)
    return _pronoun_apposition(scanner, k) or subject_after(scanner, k - 1)


def _pronoun_apposition(scanner: Scanner, k: int) -> Phrase | None:
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


def _pronoun_apposition_before(scanner: Scanner, verb: int) -> Phrase | None:
    named, before = scanner.backward(verb - 1)
    if named is None or scanner.lower(before) not in ("als", "von", "vom"):
        return None
    pronoun = before - 1
    if scanner.lower(pronoun) not in _DE_APPOSITION_PRONOUNS:
        return None
    if not scanner.clause_start(pronoun - 1) and scanner.lower(pronoun - 1) not in GERMAN.adverbs:
        return None
    return Phrase(pronoun, named.last)


def _subject_past_relative(scanner: Scanner, verb: int) -> Phrase | None:
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


def _rule_passive_agent(scanner: Scanner, i: int) -> Candidate | None:
    """… wird von Experten als bedeutend wahrgenommen / Es wurde von X angesprochen / Das habe
    ich von X gehört: the agent of a passive cue, or whom something was heard from."""
    word = scanner.lower(i)
    root = lemma(word, "de")
    if word == root or scanner.tokens[i].capitalised:
        return None
    if root not in DE_CUE_VERBS and root not in DE_PASSIVE_JUDGEMENTS or root in DE_TOPIC_VON:
        return None
    first, _ = clause(scanner, i)
    for k in range(first, i):
        if scanner.lower(k) in ("von", "vom"):
            phrase = scanner.forward(k + 1)
            if phrase is not None and phrase.last < i:
                return Candidate(3, i, i, phrase)
    return None


def _rule_cue_noun(scanner: Scanner, i: int) -> Candidate | None:
    """der Antrag der AfD / die Worte von Dr. Schäuble / Obamas Rede: whose words they are."""
    token = scanner.tokens[i]
    if not token.capitalised or not _cue_noun(token.lower, DE_CUE_NOUNS):
        return None
    following = scanner.lower(i + 1)
    if following in ("des", "der", "eines", "einer"):
        phrase = scanner.forward(i + 1)
    elif following in ("von", "vom"):
        phrase = scanner.forward(i + 2)
    elif _saxon_genitive(scanner, i - 1):
        phrase = Phrase(i - 1, i - 1)
    else:
        return None
    if phrase is None or not _agentive(scanner.tokens[phrase.last].lower):
        return None
    return Candidate(5, i, i, phrase)


def _saxon_genitive(scanner: Scanner, i: int) -> bool:
    """Obamas Rede, Deutschlands Entscheidung: a capitalised name in -s before the noun."""
    if not scanner.head(i) or not scanner.lower(i).endswith("s"):
        return False
    return scanner.clause_start(i - 1) or scanner.lower(i - 1) in GERMAN.prepositions


def _cue_noun(lower: str, nouns: frozenset[str]) -> bool:
    """Is the noun (or its lemma) listed? "Worte" is, though its lemma "Wort" is not."""
    return lower in nouns or noun_lemma(lower) in nouns


def _document(lower: str) -> bool:
    """A law, treaty, ruling or motion: it "demands" only in its authors' name."""
    return lower.endswith(_DOCUMENT_ENDINGS) or _cue_noun(lower, DE_CUE_NOUNS)


def _agentive(lower: str) -> bool:
    """Can the noun speak or decide? Abstract nouns (-heit, -keit, -ung, -nis, -recht), laws
    and documents cannot; governments and foundations (-regierung, -stiftung) can."""
    if lower.endswith(_AGENT_UNG):
        return True
    return not lower.endswith(_NON_AGENT_ENDINGS) and not _cue_noun(lower, DE_CUE_NOUNS)


def _rule_opinion_copula(scanner: Scanner, i: int) -> Candidate | None:
    """X ist der Meinung/Auffassung, dass … / X ist (davon) überzeugt, dass …"""
    lower = scanner.lower(i)
    if lower in DE_OPINION_GENITIVES and scanner.lower(i - 1) == "der":
        verb = i - 2
    elif lower in DE_CONVICTION:
        verb = i - 1
        if scanner.lower(verb) in ("davon", "fest", "fast", "zutiefst", "absolut", "auch"):
            verb -= 1
    else:
        return None
    if scanner.lower(verb) not in _DE_COPULAS:
        return None
    phrase = _main_subject(scanner, verb)
    if phrase is None or phrase.first <= i <= phrase.last or phrase.last >= i:
        return None  # "sind der Meinung": the opinion is no speaker
    return Candidate(2, i, i, phrase)


_GERMAN_RULES = (
    _rule_laut,
    _rule_zufolge,
    _rule_nach_angaben,
    _rule_berufung,
    _rule_so,
    _rule_cue_verb,
    _rule_passive_agent,
    _rule_opinion_copula,
    _rule_cue_noun,
)


def _durch_candidates(scanner: Scanner) -> list[Candidate]:
    candidates = []
    for i, token in enumerate(scanner.tokens):
        if token.lower == "durch" and not token.quoted:
            phrase = scanner.forward(i + 1)
            if phrase is not None:
                candidates.append(Candidate(4, i, i, phrase))
    return candidates
