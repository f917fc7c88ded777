"""German cue rules: laut X, X zufolge, nach Angaben X, „…“, so X, X sagte, passive agents."""

from __future__ import annotations

import re

from .lexicon import words
from .phrases import Candidate, Phrase, Scanner, clause, subject_after, subject_before
from .tokens import CLOSING_QUOTES

_DE_REPORTING_VERBS = words(
    "sagte sagt sagten sagen erklärte erklärt erklärten erklären betonte betont betonten "
    "betonen meldete meldet meldeten melden berichtete berichtet berichteten berichten "
    "bestätigte bestätigt bestätigten bestätigen bestritt bestreitet bestritten bestreiten "
    "informierte informiert informierten schätzte schätzt schätzten schätzen vermutete "
    "vermutet vermuteten vermuten warnte warnt warnten warnen behauptete behauptet "
    "behaupteten behaupten kritisierte kritisiert kritisierten kritisieren dementierte "
    "dementiert dementierten dementieren verkündete verkündet verkündeten bekräftigte "
    "bekräftigt bekräftigten unterstrich unterstreicht erwartet erwarten erwartete "
    "erwarteten befürchtet befürchten befürchtete fürchtet fürchten glaubt glauben glaubte "
    "äußerte äußerten forderte fordert forderten fordern versicherte versichert "
    "mitteilte mitteilten einräumte einräumten vorwarf vorwarfen zugab zugaben bekanntgab"
)
# Participles: with a perfect auxiliary (hatte … eingeräumt) the subject sits at the auxiliary.
_DE_PARTICIPLES = words(
    "gesagt erklärt betont gemeldet berichtet bestätigt bestritten mitgeteilt eingeräumt "
    "vorgeworfen zugegeben dementiert angekündigt gewarnt kritisiert behauptet "
    "zurückgewiesen informiert bekanntgegeben geschätzt vermutet geäußert versichert "
    "bekräftigt unterstrichen gefordert"
)
# Separable verbs: the finite form is a cue only if its particle closes the clause, so that
# "gab Waffen an Nordkorea" (a preposition) is no "gab … an".
_DE_PARTICLE_VERBS = {
    **dict.fromkeys(("teilte", "teilt", "teilten", "teilen"), ("mit",)),
    **dict.fromkeys(("räumte", "räumt", "räumten", "räumen"), ("ein",)),
    **dict.fromkeys(("warf", "wirft", "warfen", "werfen"), ("vor",)),
    **dict.fromkeys(("gab", "gibt", "gaben", "geben"), ("zu", "bekannt", "an")),
    **dict.fromkeys(("geht", "gehen", "ging", "gingen"), ("aus",)),
    **dict.fromkeys(("kündigte", "kündigt", "kündigten"), ("an",)),
    **dict.fromkeys(("wies", "weist", "wiesen"), ("zurück",)),
}
_DE_PERFECT_AUX = words("hat hatte haben hatten habe hätte hätten")
_DE_PASSIVE_AUX = words("wird werden wurde wurden worden würde würden")
# Passive predicates whose "von X" agent is the source: "wird von Experten als … wahrgenommen".
_DE_PASSIVE_PARTICIPLES = words(
    "wahrgenommen bezeichnet eingeschätzt angesehen betrachtet eingestuft gewertet "
    "beschrieben bestätigt gemeldet berichtet dementiert bestritten kritisiert vermutet "
    "geschätzt erwartet befürchtet gefordert erklärt mitgeteilt veröffentlicht verbreitet "
    "zurückgewiesen angekündigt beurteilt bewertet"
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


def _rule_reporting_verb(scanner: Scanner, i: int) -> Candidate | None:
    lower = scanner.lower(i)
    if lower in _DE_PARTICLE_VERBS:
        if not _particle_follows(scanner, i, _DE_PARTICLE_VERBS[lower]):
            return None
    elif lower not in _DE_REPORTING_VERBS and lower not in _DE_PARTICIPLES:
        return None
    aux = _auxiliary_before(scanner, i) if lower in _DE_PARTICIPLES else None
    if aux is not None and scanner.lower(aux) in _DE_PASSIVE_AUX:
        return None  # a passive: its agent is found by _rule_passive_agent
    # Without an auxiliary the word is finite (sagte) or ends a subordinate clause (… eingeräumt
    # hatte); either way its subject is next to it.
    phrase = _subject(scanner, i if aux is None else aux)
    return Candidate(2, i, i, phrase) if phrase else None


def _rule_passive_agent(scanner: Scanner, i: int) -> Candidate | None:
    """… wird von Experten als bedeutend wahrgenommen: the agent of a passive judgement."""
    if scanner.lower(i) not in _DE_PASSIVE_PARTICIPLES:
        return None
    first, last = clause(scanner, i)
    words = [scanner.lower(k) for k in range(first, last + 1)]
    if not _DE_PASSIVE_AUX.intersection(words):
        return None
    for k in range(first, i):
        if scanner.lower(k) in ("von", "vom"):
            phrase = scanner.forward(k + 1)
            if phrase is not None and phrase.last < i:
                return Candidate(3, i, i, phrase)
    return None


_GERMAN_RULES = (
    _rule_laut,
    _rule_zufolge,
    _rule_nach_angaben,
    _rule_berufung,
    _rule_so,
    _rule_reporting_verb,
    _rule_passive_agent,
)


def _durch_candidates(scanner: Scanner) -> list[Candidate]:
    candidates = []
    for i, token in enumerate(scanner.tokens):
        if token.lower == "durch" and not token.quoted:
            phrase = scanner.forward(i + 1)
            if phrase is not None:
                candidates.append(Candidate(4, i, i, phrase))
    return candidates


def _particle_follows(scanner: Scanner, i: int, particles: tuple[str, ...]) -> bool:
    _, last = clause(scanner, i)
    closes_clause = last + 1 == len(scanner.tokens) or not scanner.tokens[last + 1].is_word
    return last > i and closes_clause and scanner.lower(last) in particles


def _auxiliary_before(scanner: Scanner, i: int) -> int | None:
    first, _ = clause(scanner, i)
    for k in range(i - 1, first - 1, -1):
        if scanner.lower(k) in _DE_PERFECT_AUX or scanner.lower(k) in _DE_PASSIVE_AUX:
            return k
    return None


def _subject(scanner: Scanner, anchor: int) -> Phrase | None:
    """The subject of the verb at anchor: before it (X sagte), else after it (sagte X)."""
    return subject_before(scanner, anchor) or subject_after(scanner, anchor)
