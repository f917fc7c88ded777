"""Rule-based attribution suggestions: who does a statement come from?

Pure Python (no Django, no model). A statement is tokenised into words and punctuation; cue
rules (``laut X``, ``X sagte``, ``„…“, so X``, ``according to X``, …) locate a cue, and a small
noun-phrase scanner takes the mention next to it exactly as written. ``SourceIndex`` then maps
the mention to a registry source by its name or aliases.

The rules favour precision: when no cue is found, or the phrase next to a cue does not look
like a noun phrase, the statement is treated as the author's own voice (``None``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Key = int | str

# --- source index ------------------------------------------------------------------------------

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


# --- statement tokens --------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")
# Balanced quotations; cue words inside them are the quoted speaker's words, not attributions.
_QUOTATION = re.compile(r"„[^“”\"„]*[“”\"]|»[^«»]*«|«[^«»]*»|“[^“”„]*”|\"[^\"]*\"")
_CLOSING_QUOTES = "“”\"«»'’"
# Bounds on scans so that hostile run-on text stays linear; real phrases are far shorter.
_CLAUSE_REACH = 40
_PHRASE_REACH = 25


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    lower: str
    quoted: bool

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


def _tokens(statement: str) -> list[_Token]:
    quoted = _quoted_mask(statement)
    return [
        _Token(m.group(), m.start(), m.end(), m.group().casefold(), quoted[m.start()])
        for m in _TOKEN.finditer(statement)
    ]


def _quoted_mask(statement: str) -> list[bool]:
    """Per character: is it inside a quotation (quote marks included)?"""
    mask = [False] * len(statement)
    for match in _QUOTATION.finditer(statement):
        mask[match.start() : match.end()] = [True] * (match.end() - match.start())
    # A quotation spanning several statements: a lone opener runs to the end, a lone closer
    # closes a quotation that began in an earlier statement.
    rest = [i for i, char in enumerate(statement) if not mask[i]]
    opener = next((i for i in rest if statement[i] in "„»"), None)
    closer = next((i for i in rest if statement[i] in "“«"), None)
    if closer is not None and (opener is None or closer < opener):
        mask[: closer + 1] = [True] * (closer + 1)
    elif opener is not None:
        mask[opener:] = [True] * (len(statement) - opener)
    return mask


# --- lexicons ----------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class _Lexicon:
    determiners: frozenset[str]
    linkers: frozenset[str]  # join a postmodifier to a head: des/der (genitive), of
    conjunctions: frozenset[str]
    name_particles: frozenset[str]
    prepositions: frozenset[str]
    function_words: frozenset[str]
    pronouns: frozenset[str]
    clause_openers: frozenset[str]
    oblique_determiners: frozenset[str]  # an NP starting with these is no subject
    adverbs: frozenset[str]  # may stand between an inverted verb and its subject
    capitalised_heads: bool  # German nouns are capitalised; English heads are any content word
    adjective: Callable[[str], bool]


_GERMAN_ADJECTIVE = re.compile(
    r"(?:isch|lich|ig|iv|al|ell|är|ar|los|bar|sam|haft|end|ern)(?:e|en|er|es|em)$"
)
_GERMAN_COMMON_ADJECTIVES = _words(
    "hohe hohen hoher neue neuen neuer anonyme anonymen große großen oberste obersten "
    "frühere früheren eigene eigenen gut"
)


def _german_adjective(lower: str) -> bool:
    return bool(_GERMAN_ADJECTIVE.search(lower)) or lower in _GERMAN_COMMON_ADJECTIVES


_DE_PREPOSITIONS = (
    "ab an am auf aus bei beim bis durch für gegen hinter im in ins mit nach neben ohne seit "
    "trotz über um unter vom von vor während wegen zu zum zur zwischen laut gemäß angesichts "
    "infolge zufolge innerhalb außerhalb aufgrund dank"
)
_DE_CONJUNCTIONS = (
    "und oder aber denn doch sondern dass ob weil da wenn als wie obwohl damit sodass nachdem "
    "bevor seitdem wo wobei zumal sowie"
)
_DE_ADVERBS = (
    "bereits zuvor auch jedoch dennoch zudem außerdem inzwischen nun jetzt heute gestern morgen "
    "damals bisher zuletzt erst schon noch immer nie oft so dann darauf danach deshalb daher "
    "trotzdem allerdings offenbar demnach somit also ebenfalls gleichzeitig zugleich hingegen "
    "dagegen insbesondere zusammenfassend bislang derzeit aktuell erstmals kürzlich später "
    "unterdessen indes mittlerweile hier dort erneut wiederholt stets mehrfach offiziell "
    "öffentlich ausdrücklich nicht nur"
)
_DE_PRONOUNS = "er sie es wir ich du ihr man sich wer was dies dieses jenes uns ihm ihn ihnen"

GERMAN = _Lexicon(
    determiners=_words(
        "der die das des dem den ein eine einer eines einem einen kein keine keiner keines "
        "keinem keinen dieser diese dieses diesem diesen jener jene jenes jenem jenen sein "
        "seine seiner seines seinem seinen ihr ihre ihrer ihres ihrem ihren beide beiden "
        "mehrere mehreren einige einigen viele vielen zahlreiche zahlreichen alle allen "
        "manche zwei drei vier fünf"
    ),
    linkers=_words("des der eines einer"),
    conjunctions=_words("und sowie"),
    name_particles=_words("von van de al bin ibn da di"),
    prepositions=_words(_DE_PREPOSITIONS),
    function_words=_words(
        " ".join((_DE_PREPOSITIONS, _DE_CONJUNCTIONS, _DE_ADVERBS, _DE_PRONOUNS))
    ),
    pronouns=_words("er sie"),
    clause_openers=_words(_DE_CONJUNCTIONS),
    oblique_determiners=_words("den dem einen einem"),
    adverbs=_words(_DE_ADVERBS),
    capitalised_heads=True,
    adjective=_german_adjective,
)

_EN_CONJUNCTIONS = "and or but that which who whom whose while when because if although though so"
_EN_ADVERBS = (
    "also however now then already still just only even yesterday today earlier later "
    "recently again not no never"
)
_EN_PREPOSITIONS = (
    "in on at by for with from to into about after before over under during since against "
    "without according as via per near inside outside within"
)
ENGLISH = _Lexicon(
    determiners=_words(
        "the a an this these those his her their its several many some two three both all"
    ),
    linkers=_words("of"),
    conjunctions=_words("and"),
    name_particles=_words("von van de al bin ibn da di"),
    prepositions=_words(_EN_PREPOSITIONS),
    function_words=_words(
        " ".join(
            (
                _EN_CONJUNCTIONS,
                _EN_ADVERBS,
                _EN_PREPOSITIONS,
                "than citing whether",
                "is are was were be been being has have had will would can could may might "
                "must shall should do does did",
                "it we i you he she they there here us him them me",
            )
        )
    ),
    pronouns=_words("he she they"),
    clause_openers=_words(_EN_CONJUNCTIONS + " as since whereas"),
    oblique_determiners=frozenset(),
    adverbs=_words(_EN_ADVERBS),
    capitalised_heads=False,
    adjective=lambda lower: False,
)


# --- noun phrases --------------------------------------------------------------------------------


def _is_head(token: _Token, lex: _Lexicon) -> bool:
    """A word that can carry a noun phrase: a German noun/name, an English content word."""
    if not token.is_word or token.quoted or token.text[0].isdigit():
        return False
    if token.lower in lex.function_words or token.lower in lex.determiners:
        return False
    return token.capitalised or not lex.capitalised_heads


def _is_modifier(token: _Token, lex: _Lexicon) -> bool:
    if not token.is_word or token.quoted or token.capitalised:
        return False
    return token.lower not in lex.function_words and lex.adjective(token.lower)


@dataclass(frozen=True)
class _Phrase:
    first: int  # token indices, inclusive
    last: int


class _Scanner:
    """Noun-phrase scanning over one statement's tokens."""

    def __init__(self, tokens: list[_Token], lex: _Lexicon) -> None:
        self.tokens = tokens
        self.lex = lex

    def head(self, index: int) -> bool:
        return 0 <= index < len(self.tokens) and _is_head(self.tokens[index], self.lex)

    def modifier(self, index: int) -> bool:
        return 0 <= index < len(self.tokens) and _is_modifier(self.tokens[index], self.lex)

    def lower(self, index: int) -> str:
        return self.tokens[index].lower if 0 <= index < len(self.tokens) else ""

    def joins(self, index: int) -> bool:
        """May a conjunction/name particle link the word at index to the phrase?"""
        if self.lex.capitalised_heads:
            return self.head(index) or self.modifier(index)
        return self.head(index) and self.tokens[index].capitalised

    def forward(self, index: int) -> _Phrase | None:
        """The noun phrase starting at index: determiners, adjectives, nouns, genitives."""
        last_head = None
        i = index
        end = min(len(self.tokens), index + _PHRASE_REACH)
        while i < end and not self.tokens[i].quoted:
            lower = self.lower(i)
            if last_head is not None and lower in self.lex.linkers:
                i += 1
            elif lower in self.lex.determiners:
                if last_head is not None:
                    break  # a new phrase (e.g. the object) begins
                i += 1
            elif self.head(i):
                last_head = i
                i += 1
            elif self.modifier(i) or self._links_forward(i):
                i += 1
            else:
                break
        return None if last_head is None else _Phrase(index, last_head)

    def _links_forward(self, i: int) -> bool:
        lower = self.lower(i)
        if lower in self.lex.conjunctions:
            following = self.joins(i + 1) or self.lower(i + 1) in self.lex.determiners
            return self.joins(i - 1) and following
        if lower in self.lex.name_particles:
            return self.head(i - 1) and self.head(i + 1)
        return False

    def backward(self, index: int) -> tuple[_Phrase | None, int]:
        """The noun phrase ending at index, and the index of the token before it (or -1)."""
        if not self.head(index):
            return None, index
        first = i = index
        while i >= max(0, index - _PHRASE_REACH):
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
        return _Phrase(first, index), i

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

    def pronoun(self, index: int) -> _Phrase | None:
        if self.lower(index) in self.lex.pronouns and not self.tokens[index].quoted:
            return _Phrase(index, index)
        return None


# --- suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    mention: str
    cue: str
    cue_start: int
    cue_end: int
    mention_start: int
    mention_end: int
    source_key: Key | None


@dataclass(frozen=True)
class _Candidate:
    priority: int  # lower wins: prepositional cues are the most reliable
    cue_first: int
    cue_last: int
    phrase: _Phrase


_DE_REPORTING_VERBS = _words(
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
_DE_PARTICIPLES = _words(
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
_DE_PERFECT_AUX = _words("hat hatte haben hatten habe hätte hätten")
_DE_PASSIVE_AUX = _words("wird werden wurde wurden worden würde würden")
# Passive predicates whose "von X" agent is the source: "wird von Experten als … wahrgenommen".
_DE_PASSIVE_PARTICIPLES = _words(
    "wahrgenommen bezeichnet eingeschätzt angesehen betrachtet eingestuft gewertet "
    "beschrieben bestätigt gemeldet berichtet dementiert bestritten kritisiert vermutet "
    "geschätzt erwartet befürchtet gefordert erklärt mitgeteilt veröffentlicht verbreitet "
    "zurückgewiesen angekündigt beurteilt bewertet"
)
# nach Angaben / nach Informationen / … (des Ministeriums)
_DE_INFORMATION_NOUNS = _words(
    "angaben informationen einschätzung darstellung ansicht auffassung meinung worten "
    "berichten schätzungen erkenntnissen"
)
# "durch X" is an attribution only when the statement speaks of a message: "Diese Bestätigung
# kam durch …"; otherwise "durch" is mostly causal ("durch den Krieg").
_DE_MESSAGE = re.compile(
    r"(?i)\b(?:bestätigung|mitteilung|meldung|erklärung|bericht|information|angabe|aussage"
    r"|dementi|stellungnahme|nachricht|verlautbarung|ankündigung|darstellung|enthüllung)"
)

_EN_REPORTING_VERBS = _words(
    "said says say told tells claimed claims claim stated states reported reports confirmed "
    "confirms denied denies added adds warned warns announced announces estimated estimate "
    "estimates believe believes believed argued argues insisted insists noted notes wrote "
    "writes acknowledged acknowledges admitted admits accused accuses alleged alleges "
    "explained explains"
)
_EN_PERFECT_AUX = _words("has have had")


def suggest_attribution(
    statement: str, language: str = "de", index: SourceIndex | None = None
) -> Suggestion | None:
    """Suggest who the statement is attributed to, or None for the author's own voice."""
    if language not in ("de", "en"):
        raise ValueError(f"unsupported language {language!r}; expected 'de' or 'en'")
    tokens = _tokens(statement)
    if language == "de":
        scanner = _Scanner(tokens, GERMAN)
        candidates = _german_candidates(scanner, statement)
    else:
        scanner = _Scanner(tokens, ENGLISH)
        candidates = _english_candidates(scanner)
    best = min(candidates, key=lambda c: (c.priority, c.cue_first), default=None)
    return None if best is None else _suggestion(statement, tokens, best, index)


def _suggestion(
    statement: str, tokens: list[_Token], candidate: _Candidate, index: SourceIndex | None
) -> Suggestion:
    cue_start, cue_end = tokens[candidate.cue_first].start, tokens[candidate.cue_last].end
    mention_start = tokens[candidate.phrase.first].start
    mention_end = tokens[candidate.phrase.last].end
    mention = statement[mention_start:mention_end]
    return Suggestion(
        mention=mention,
        cue=statement[cue_start:cue_end],
        cue_start=cue_start,
        cue_end=cue_end,
        mention_start=mention_start,
        mention_end=mention_end,
        source_key=index.match(mention) if index is not None else None,
    )


# --- German rules ------------------------------------------------------------------------------


def _german_candidates(scanner: _Scanner, statement: str) -> list[_Candidate]:
    candidates: list[_Candidate] = []
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


def _rule_laut(scanner: _Scanner, i: int) -> _Candidate | None:
    if scanner.lower(i) != "laut":
        return None
    phrase = scanner.forward(i + 1)
    return _Candidate(0, i, i, phrase) if phrase else None


def _rule_zufolge(scanner: _Scanner, i: int) -> _Candidate | None:
    if scanner.lower(i) != "zufolge":
        return None
    phrase, _ = scanner.backward(i - 1)
    return _Candidate(0, i, i, phrase) if phrase else None


def _rule_nach_angaben(scanner: _Scanner, i: int) -> _Candidate | None:
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
    return _Candidate(0, i, last, phrase) if phrase else None


def _rule_berufung(scanner: _Scanner, i: int) -> _Candidate | None:
    words = [scanner.lower(i + k) for k in range(3)]
    if words != ["unter", "berufung", "auf"]:
        return None
    phrase = scanner.forward(i + 3)
    return _Candidate(0, i, i + 2, phrase) if phrase else None


def _rule_so(scanner: _Scanner, i: int) -> _Candidate | None:
    """„…“, so X. / Die Lage sei ernst, so der Minister."""
    if scanner.lower(i) != "so" or i == 0:
        return None
    before = scanner.tokens[i - 1].text
    if before != "," and before not in _CLOSING_QUOTES:
        return None
    phrase = scanner.forward(i + 1)
    if phrase is None:
        return None
    after = scanner.tokens[phrase.last + 1].text if phrase.last + 1 < len(scanner.tokens) else "."
    return _Candidate(1, i, i, phrase) if after in ".,;!?)" else None


def _rule_reporting_verb(scanner: _Scanner, i: int) -> _Candidate | None:
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
    return _Candidate(2, i, i, phrase) if phrase else None


def _rule_passive_agent(scanner: _Scanner, i: int) -> _Candidate | None:
    """… wird von Experten als bedeutend wahrgenommen: the agent of a passive judgement."""
    if scanner.lower(i) not in _DE_PASSIVE_PARTICIPLES:
        return None
    first, last = _clause(scanner, i)
    words = [scanner.lower(k) for k in range(first, last + 1)]
    if not _DE_PASSIVE_AUX.intersection(words):
        return None
    for k in range(first, i):
        if scanner.lower(k) in ("von", "vom"):
            phrase = scanner.forward(k + 1)
            if phrase is not None and phrase.last < i:
                return _Candidate(3, i, i, phrase)
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


def _durch_candidates(scanner: _Scanner) -> list[_Candidate]:
    candidates = []
    for i, token in enumerate(scanner.tokens):
        if token.lower == "durch" and not token.quoted:
            phrase = scanner.forward(i + 1)
            if phrase is not None:
                candidates.append(_Candidate(4, i, i, phrase))
    return candidates


def _clause(scanner: _Scanner, i: int) -> tuple[int, int]:
    """Token range of the clause around i, delimited by punctuation and quotation marks.

    Bounded to _CLAUSE_REACH words each side so hostile run-on text stays linear.
    """
    tokens = scanner.tokens
    first = i
    while first > max(0, i - _CLAUSE_REACH) and tokens[first - 1].is_word:
        first -= 1
    last = i
    while last + 1 < min(len(tokens), i + _CLAUSE_REACH) and tokens[last + 1].is_word:
        last += 1
    return first, last


def _particle_follows(scanner: _Scanner, i: int, particles: tuple[str, ...]) -> bool:
    _, last = _clause(scanner, i)
    closes_clause = last + 1 == len(scanner.tokens) or not scanner.tokens[last + 1].is_word
    return last > i and closes_clause and scanner.lower(last) in particles


def _auxiliary_before(scanner: _Scanner, i: int) -> int | None:
    first, _ = _clause(scanner, i)
    for k in range(i - 1, first - 1, -1):
        if scanner.lower(k) in _DE_PERFECT_AUX or scanner.lower(k) in _DE_PASSIVE_AUX:
            return k
    return None


def _subject(scanner: _Scanner, anchor: int) -> _Phrase | None:
    """The subject of the verb at anchor: before it (X sagte), else after it (sagte X)."""
    return _subject_before(scanner, anchor) or _subject_after(scanner, anchor)


def _subject_before(scanner: _Scanner, anchor: int) -> _Phrase | None:
    if scanner.pronoun(anchor - 1) and scanner.clause_start(anchor - 2):
        return scanner.pronoun(anchor - 1)
    phrase, before = scanner.backward(anchor - 1)
    if phrase is not None and scanner.lower(before) in scanner.lex.prepositions:
        # "Die Regierung in Kiew bestritt": the phrase is the tail of a longer subject.
        owner, before = scanner.backward(before - 1)
        phrase = None if owner is None else _Phrase(owner.first, phrase.last)
    if phrase is None or not scanner.clause_start(before):
        return None  # e.g. "Trotz der Erfolge bestreitet …": a prepositional phrase
    if scanner.lower(phrase.first) in scanner.lex.oblique_determiners:
        return None  # "Den Bericht bestätigte …": an object in front position
    return phrase


def _subject_after(scanner: _Scanner, anchor: int) -> _Phrase | None:
    i = anchor + 1
    while scanner.lower(i) in scanner.lex.adverbs:
        i += 1
    return scanner.pronoun(i) or scanner.forward(i)


# --- English rules -----------------------------------------------------------------------------


def _english_candidates(scanner: _Scanner) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for i, token in enumerate(scanner.tokens):
        if token.quoted or not token.is_word:
            continue
        candidate = _rule_according_to(scanner, i) or _rule_english_verb(scanner, i)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


def _rule_according_to(scanner: _Scanner, i: int) -> _Candidate | None:
    if scanner.lower(i) == "according" and scanner.lower(i + 1) == "to":
        phrase = scanner.forward(i + 2)
        return _Candidate(0, i, i + 1, phrase) if phrase else None
    if scanner.lower(i) == "citing":
        phrase = scanner.forward(i + 1)
        return _Candidate(0, i, i, phrase) if phrase else None
    return None


def _rule_english_verb(scanner: _Scanner, i: int) -> _Candidate | None:
    """X said / X has said / "…," said X."""
    if scanner.lower(i) not in _EN_REPORTING_VERBS:
        return None
    anchor = i - 1 if scanner.lower(i - 1) in _EN_PERFECT_AUX else i
    phrase = _subject_before(scanner, anchor)
    if phrase is None and anchor > 0 and not scanner.tokens[anchor - 1].is_word:
        phrase = scanner.pronoun(i + 1) or scanner.forward(i + 1)
    return _Candidate(1, i, i, phrase) if phrase else None
