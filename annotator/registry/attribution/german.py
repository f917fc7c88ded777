"""German cue rules: laut X, X zufolge, nach Angaben X, „…“, so X; cue verbs (X sagte, X hat
gesagt, …, dass X gesagt hat); passive agents (von X kritisiert); opinions (X ist der
Meinung); cue nouns with their author (der Antrag der X, die Worte von X)."""

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
    DE_PASSIVE_JUDGEMENTS,
    DE_TOPIC_VON,
    endings,
)
from .german_clauses import (
    COPULAS,
    attributive,
    closing_particle,
    finite_before,
    governed_by_finite,
    main_subject,
    passive,
    subordinate,
    subordinate_subject,
    zu_infinitive,
)
from .lemmas import lemma, noun_lemma
from .lexicon import GERMAN, words
from .phrases import Candidate, Phrase, Scanner, clause
from .tokens import CLOSING_QUOTES

# Nouns in -ung that can speak (Bundesregierung); abstract endings, laws and treaties cannot.
_AGENT_UNG = endings(
    "regierung verwaltung stiftung vereinigung führung leitung vertretung versammlung forschung"
)
_NON_AGENT_ENDINGS = endings(
    "heit keit ung ungen ismus tät nis nisse recht rechte rechts gesetz gesetzes gesetze "
    "vertrag vertrags vertrages welle"
)
_DOCUMENT_ENDINGS = endings(
    "gesetz gesetzes vertrag vertrags vertrages richtlinie verordnung urteil urteils "
    "erklärung konvention abkommen charta"
)
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
    finite = finite_before(scanner, i)
    if passive(scanner, i, finite):
        return None  # its agent, if any, is found by _rule_passive_agent
    if zu_infinitive(scanner, i) and not governed_by_finite(scanner, i):
        return None  # "ohne zuzustimmen", "… zu beantragen": the subject lies outside
    if finite is not None:
        phrase = main_subject(scanner, finite)
    elif subordinate(scanner, i):
        phrase = subordinate_subject(scanner, i)
    else:
        phrase = main_subject(scanner, i)
    if phrase is None or _document(scanner.tokens[phrase.last].lower):
        return None  # "Die Richtlinie fordert …": a text, whose author is not named
    return Candidate(2, i, i, phrase)


def _cue_verb(scanner: Scanner, i: int) -> bool:
    token = scanner.tokens[i]
    if token.capitalised and i > 0:
        return False  # German nouns are capitalised; verbs are not
    if _after_determiner(scanner, i) or attributive(scanner, i):
        return False  # "die geforderte Summe": a participle as adjective
    root = lemma(token.lower, "de")
    particle = closing_particle(scanner, i)
    if particle is not None:
        return particle + root in DE_CUE_VERBS
    if root in DE_LIGHT_VERBS:
        # "Kritik üben", "die Auffassung vertreten"; "stellt sich die Frage" is no one's
        return scanner.lower(i + 1) != "sich" and _with_cue_noun(scanner, i)
    # "meinen" reads as the possessive "mein"; before a noun ("meinen Mann") it is one.
    listed = token.lower in DE_CUE_VERBS and not scanner.head(i + 1)
    cue = root in DE_CUE_VERBS or listed
    return cue and root not in DE_ONLY_WITH_PARTICLE


def _after_determiner(scanner: Scanner, i: int) -> bool:
    """ "die geforderte Summe" (an adjective), but not "Das sagte der Minister" (a verb after
    a demonstrative that opens the sentence)."""
    if scanner.lower(i - 1) not in GERMAN.determiners:
        return False
    opens = i == 1 or (i > 1 and not scanner.tokens[i - 2].is_word)
    return not opens or (_participle_form(scanner.lower(i)) and scanner.head(i + 1))


def _participle_form(word: str) -> bool:
    return "ge" in word[:8] or "iert" in word


def _with_cue_noun(scanner: Scanner, i: int) -> bool:
    first, last = clause(scanner, i)
    return any(
        scanner.tokens[k].capitalised and _cue_noun(scanner.lower(k), DE_LIGHT_VERB_NOUNS)
        for k in range(first, last + 1)
        if k != i
    )


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
    if scanner.lower(verb) not in COPULAS:
        return None
    phrase = main_subject(scanner, verb)
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
