"""English cue rules: according to X, X said, X has also said, “…,” said X, X, an aide, said,
Headline X: “…”, in a statement by X.

Cue verbs are recognised by lemma (say, said, says, saying), from the inventories in ``cues``.
"""

from __future__ import annotations

from .cues import (
    EN_AGENT_NOUNS,
    EN_AUXILIARIES,
    EN_BE,
    EN_CUE_VERBS,
    EN_FRAMING,
    EN_INVERTING,
    EN_NOUN_LIKE,
    EN_SPEAKER_NOUNS,
    lemmas,
)
from .lemmas import lemma
from .phrases import Candidate, Phrase, Scanner, subject_before

# Bounds on an appositive between a subject and its verb: "X, a former aide to Y, said".
_APPOSITIVE_REACH = 30
_HEADLINE_REACH = 6
_ADVERBIAL_REACH = 6
_TIME_DETERMINERS = lemmas("last this next early late")
_TIMES = lemmas("week month year night morning evening weekend spring summer fall autumn winter")
_WEEKDAYS = lemmas("monday tuesday wednesday thursday friday saturday sunday")
_RELATIVES = lemmas("who")
_TIME_ADVERBS = lemmas("earlier yesterday today tonight recently previously")
_DURATIONS = lemmas("days weeks months years decades hours minutes day week month year")
_AMOUNTS = lemmas("a two three four five six several few many some")
_NEGATABLE = lemmas("would could should do does did is are was were has have had wo ca must")
_QUANTIFIERS = lemmas("several many some most both all few others half one none")


def english_candidates(scanner: Scanner) -> list[Candidate]:
    candidates: list[Candidate] = []
    headline = _rule_headline(scanner)
    if headline is not None:
        candidates.append(headline)
    for i, token in enumerate(scanner.tokens):
        if token.quoted or not token.is_word:
            continue
        candidate = _rule_according_to(scanner, i) or _rule_english_verb(scanner, i)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


def _rule_according_to(scanner: Scanner, i: int) -> Candidate | None:
    if scanner.lower(i) == "according" and scanner.lower(i + 1) == "to":
        phrase = scanner.forward(i + 2)
        return Candidate(0, i, i + 1, phrase) if phrase else None
    if scanner.lower(i) == "citing":
        # "…, he said, citing a poll": the speaker is the subject; citing is the weakest cue.
        phrase = scanner.forward(i + 1)
        return Candidate(5, i, i, phrase) if phrase else None
    return None


def _is_cue_verb(scanner: Scanner, i: int) -> bool:
    token = scanner.tokens[i]
    root = lemma(token.lower, "en")
    if token.capitalised and i > 0 and (root == token.lower or not scanner.title_case):
        return False  # a name (Will, Hope), not a verb; but "Clinton Says …" in a headline
    if root in EN_FRAMING:
        following = scanner.tokens[i + 1] if i + 1 < len(scanner.tokens) else None
        if following is not None and (following.text in ':,“"' or following.quoted):
            return True  # "he continued: …", "the sign read, “…”"
        return following is not None and following.text == "." and _after_quotation(scanner, i)
    return root in EN_CUE_VERBS


def _after_quotation(scanner: Scanner, i: int) -> bool:
    """“…,” he continued.: the verb's clause follows a closing quotation mark."""
    return any(scanner.tokens[k].quoted for k in range(max(0, i - 3), i))


def _rule_english_verb(scanner: Scanner, i: int) -> Candidate | None:
    """X said / X has also said / X, an aide, said / “…,” said X."""
    if not _is_cue_verb(scanner, i) or scanner.lower(i - 1) == "to":
        return None  # "to say" depends on another verb, which carries the subject
    if scanner.lower(i - 1) in scanner.lex.determiners and scanner.lower(i - 1) not in _QUANTIFIERS:
        return None  # "the claims", "a report": a noun
    anchor, passive = i, False
    while True:
        if _auxiliary(scanner, anchor - 1) or _adverb(scanner, anchor - 1):
            passive = passive or scanner.lower(anchor - 1) in EN_BE
            anchor -= 1
        elif (skipped := _adverbial_before(scanner, anchor)) is not None:
            anchor = skipped
        else:
            break
    if passive and not scanner.lower(i).endswith("ing"):
        return None  # "X is expected to win", "X was asked": X is no source
    if scanner.lower(i).endswith("ing") and scanner.lower(i - 1) == ",":
        return _participle_clause(scanner, i)
    if _relative(scanner, anchor - 1):
        return _relative_clause(scanner, i, Phrase(anchor - 1, anchor - 1))
    phrase = _subject(scanner, anchor) or _subject_past_appositive(scanner, anchor)
    if phrase is None and scanner.lower(anchor - 1) in ("and", "but"):
        # "X has voiced concerns but has said …": the coordinated verb shares the subject
        shared = _opening_subject(scanner, anchor - 1)
        return Candidate(3, i, i, shared) if shared is not None else None
    if phrase is None:
        phrase = _inverted_subject(scanner, i, anchor)
    if phrase is None or not _verb_reading(scanner, i, phrase):
        return None
    return Candidate(0 if _closes_statement(scanner, i, phrase) else 1, i, i, phrase)


def _relative_clause(scanner: Scanner, i: int, pronoun: Phrase) -> Candidate | None:
    """Perez, who said …: the mention is the relative pronoun, resolved to the phrase it
    follows."""
    before = pronoun.first - 1
    if scanner.lower(before) == ",":
        before -= 1
    antecedent, _ = scanner.backward(before)
    if antecedent is None:
        return None
    return Candidate(2, i, i, pronoun, antecedent)


def _subject(scanner: Scanner, anchor: int) -> Phrase | None:
    """X said / most of the candidates said / several said."""
    phrase = subject_before(scanner, anchor)
    if phrase is not None:
        return _after_inflected_verb(scanner, phrase)
    if scanner.lower(anchor - 1) in _QUANTIFIERS and scanner.clause_start(anchor - 2):
        return Phrase(anchor - 1, anchor - 1)
    tail, before = scanner.backward(anchor - 1)
    of = scanner.lower(before) == "of"
    quantified = (
        scanner.lower(before) in scanner.lex.prepositions
        and scanner.lower(before - 1) in _QUANTIFIERS
    )  # "Many in the crowd said"
    if tail is None or not (of or quantified):
        return None
    owner, _ = scanner.backward(before - 1)
    if owner is None and scanner.lower(before - 1) in _QUANTIFIERS:
        owner = Phrase(before - 1, before - 1)
    if owner is None or not scanner.clause_start(owner.first - 1):
        return None
    return Phrase(owner.first, tail.last)


def _after_inflected_verb(scanner: Scanner, phrase: Phrase) -> Phrase | None:
    """English phrases are scanned over any content word: "said Sanders" must lose "said"."""
    for k in range(phrase.last, phrase.first - 1, -1):
        token = scanner.tokens[k]
        root = lemma(token.lower, "en")
        if not token.capitalised and root != token.lower and root in EN_CUE_VERBS:
            if token.lower.endswith("s"):
                continue  # "reports", "claims": plural nouns as likely as verbs
            return Phrase(k + 1, phrase.last) if k < phrase.last else None
    return phrase


def _closes_statement(scanner: Scanner, i: int, phrase: Phrase) -> bool:
    """ "…, officials said." / "…,” said X.": the frame of all that comes before it."""
    first = min(i, phrase.first)
    if first == 0 or scanner.tokens[first - 1].is_word:
        return False
    end = max(i, phrase.last) + 1
    tokens = scanner.tokens
    if scanner.lower(end) in scanner.lex.prepositions or scanner.lower(end) in _TIME_DETERMINERS:
        limit = min(len(tokens), end + _ADVERBIAL_REACH)
        while end < limit and tokens[end].is_word and not tokens[end].quoted:
            end += 1  # "said on Tuesday", "said in a statement"
    return end >= len(tokens) or tokens[end].text in ".!?" or tokens[end].quoted


def _verb_reading(scanner: Scanner, i: int, phrase: Phrase) -> bool:
    """Is the cue word a verb rather than a noun ("the states", "more support")?"""
    word = scanner.lower(i)
    root = lemma(word, "en")
    if root not in EN_NOUN_LIKE or word not in (root, root + "s", root + "es"):
        return True
    head = scanner.tokens[phrase.last]
    if head.lower.endswith(("'s", "’s", "s'")):
        return False  # "North Korea's state news agency": a possessive before a noun
    if phrase.first == phrase.last and scanner.pronoun(phrase.first):
        return True
    return head.capitalised or head.lower in EN_AGENT_NOUNS


def _participle_clause(scanner: Scanner, i: int) -> Candidate | None:
    """…, saying X: the speaker is the statement's subject."""
    phrase = _opening_subject(scanner, i)
    return Candidate(3, i, i, phrase) if phrase is not None else None


def _opening_subject(scanner: Scanner, limit: int) -> Phrase | None:
    """The subject that opens the statement, after an introductory phrase ("Here in Iowa, X
    …"), or past an appositive ("Republicans, who hold the Senate, have …")."""
    starts = [0]
    introduced = scanner.lower(0) in scanner.lex.prepositions or _adverb(scanner, 0)
    if introduced or _participle(scanner, 0):  # "Asked about it, X said …"
        comma = next(
            (k for k in range(min(limit, _APPOSITIVE_REACH)) if scanner.lower(k) == ","), None
        )
        starts = [comma + 1] if comma is not None else []
    for start in starts:
        phrase = scanner.pronoun(start) or scanner.forward(start)
        if phrase is None or phrase.last + 1 >= limit:
            return None
        following = scanner.tokens[phrase.last + 1]
        if following.is_word or following.text == ",":
            return phrase
    return None


def _participle(scanner: Scanner, i: int) -> bool:
    """ "Asked about …", "Walking to …", "Alarmed by …": a participle, no subject."""
    word = scanner.lower(i)
    return word.endswith(("ed", "ing")) and lemma(word, "en") != word


def _adverbial_before(scanner: Scanner, anchor: int) -> int | None:
    """Where a time adverbial or a parenthesis before anchor begins: "X (D-Calif.) last month
    said", "X on Tuesday said"."""
    if scanner.lower(anchor - 1) == ")":
        for k in range(anchor - 2, max(-1, anchor - 8), -1):
            if scanner.lower(k) == "(":
                return k if k > 0 else None
        return None
    if scanner.lower(anchor - 2) in _TIME_DETERMINERS and scanner.lower(anchor - 1) in _TIMES:
        return anchor - 2
    if scanner.lower(anchor - 2) == "on" and scanner.lower(anchor - 1) in _WEEKDAYS:
        return anchor - 2
    if scanner.lower(anchor - 1) in _WEEKDAYS or scanner.lower(anchor - 1) in _TIME_ADVERBS:
        return anchor - 1  # "Trump Wednesday said", "X earlier said"
    if scanner.lower(anchor - 1) == "ago":
        for k in range(anchor - 2, max(-1, anchor - _ADVERBIAL_REACH), -1):
            if not scanner.tokens[k].is_word:
                return None
            if scanner.lower(k) in _DURATIONS:
                return k - 1 if scanner.lower(k - 1) in _AMOUNTS else k  # "two weeks ago"
    return None


def _auxiliary(scanner: Scanner, i: int) -> bool:
    """has, would, also … and the negated forms: "wouldn't", "didn’t"."""
    word = scanner.lower(i).replace("’", "'")
    return word in EN_AUXILIARIES or (word.endswith("n't") and word[:-3] in _NEGATABLE)


def _adverb(scanner: Scanner, i: int) -> bool:
    lower = scanner.lower(i)
    if not (lower.endswith("ly") and len(lower) > 4):
        return False
    return not scanner.tokens[i].capitalised or i == 0 or scanner.title_case


def _relative(scanner: Scanner, i: int) -> bool:
    return scanner.lower(i) in _RELATIVES


def _subject_past_appositive(scanner: Scanner, anchor: int) -> Phrase | None:
    """X, a former aide who …, said / X, 29, of Huntsville, Ala., says: the subject stands before
    the appositive's first comma (the leftmost that leaves a subject)."""
    if scanner.lower(anchor - 1) != ",":
        return None
    found = None
    for comma in range(anchor - 2, max(-1, anchor - _APPOSITIVE_REACH), -1):
        token = scanner.tokens[comma]
        if (
            token.quoted
            or token.text in ";:!?"
            or (token.text == "." and not _abbreviated(scanner, comma))
        ):
            break
        if token.text == "," and _opens_appositive(scanner, comma + 1):
            phrase = _subject(scanner, _adverbial_before(scanner, comma) or comma)
            numeric = phrase is not None and scanner.tokens[phrase.first].text[0].isdigit()
            if phrase is not None and not numeric and not _participle(scanner, phrase.first):
                found = phrase
    return found


def _abbreviated(scanner: Scanner, period: int) -> bool:
    """ "Ala.," "R-Ky.,": the period of an abbreviation inside an appositive."""
    before = scanner.tokens[period - 1] if period > 0 else None
    return before is not None and before.capitalised and scanner.lower(period + 1) == ","


def _opens_appositive(scanner: Scanner, i: int) -> bool:
    """An appositive or non-restrictive relative clause: ", a/the/who/vice chairman …"; not a
    new clause (", and", ", but") nor a quotation."""
    if i >= len(scanner.tokens) or not scanner.tokens[i].is_word or scanner.tokens[i].quoted:
        return False
    lower = scanner.lower(i)
    return lower not in ("and", "but", "or", "so", "because", "if", "when", "while", "as")


def _inverted_subject(scanner: Scanner, i: int, anchor: int) -> Phrase | None:
    """“…,” said X / …, said X, an economist: the subject follows a verb that ends a quotation."""
    if anchor != i or scanner.lower(i).endswith("ing"):
        return None
    if i > 0 and scanner.tokens[i - 1].is_word:
        return None  # "Said Dorothy Poynter, who …" opens the statement
    if lemma(scanner.lower(i), "en") not in EN_INVERTING:
        return None
    phrase = scanner.pronoun(i + 1) or scanner.forward(i + 1)
    if phrase is None or _adverb(scanner, phrase.last):
        return None  # "…,” X said matter-of-factly"
    after = phrase.last + 1
    if after >= len(scanner.tokens) or not scanner.tokens[after].is_word:
        return phrase
    following = scanner.lower(after)
    return phrase if following in scanner.lex.prepositions or following == "of" else None


def _rule_headline(scanner: Scanner) -> Candidate | None:
    """Clinton camp: … / Trump: “…”: a short name phrase and a colon open the statement,
    followed by a quotation, or the phrase ends with a speaker noun (camp, spokesman)."""
    tokens = scanner.tokens
    for colon in range(1, min(len(tokens), _HEADLINE_REACH + 1)):
        if tokens[colon].text == ":":
            phrase = scanner.forward(0)
            if phrase is None or phrase.last != colon - 1 or not _name_like(scanner, phrase):
                return None
            quoted = colon + 1 < len(tokens) and tokens[colon + 1].quoted
            if quoted or lemma(tokens[phrase.last].lower, "en") in EN_SPEAKER_NOUNS:
                return Candidate(2, colon, colon, phrase)
            return None
        if not tokens[colon].is_word:
            return None
    return None


def _name_like(scanner: Scanner, phrase: Phrase) -> bool:
    words = [scanner.tokens[k] for k in range(phrase.first, phrase.last + 1)]
    return words[0].capitalised and not any(
        word.text.isupper() for word in words if len(word.text) > 1
    )
