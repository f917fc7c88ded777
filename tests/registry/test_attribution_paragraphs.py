"""Suggestions across a paragraph: quotations that span statements, pronouns resolved to the
nearest preceding named source; and the cue inventories the rules look words up in."""

import pytest

from annotator.registry.attribution import (
    SourceEntry,
    SourceIndex,
    cue_lemma,
    cues,
    suggest_attribution,
    suggest_document,
)
from annotator.registry.attribution.lemmas import lemma, noun_lemma, use_lemmatiser

INDEX = SourceIndex([SourceEntry(key="mayor", name="Jane Roe", aliases=("Mayor Roe",))])


def mentions(suggestions) -> list[tuple[str, str] | None]:
    return [None if s is None else (s.mention, s.resolved_mention) for s in suggestions]


def test_pronoun_resolved_to_the_nearest_named_source_of_its_paragraph():
    paragraph = [
        ("Mayor Jane Roe spoke first.", 0),
        ("The council listened.", 0),
        ("She said the bridge would reopen.", 0),
        ("Engineers warned of delays.", 0),
        ("They said the steel was late.", 0),
        ("He said nothing.", 1),  # a new paragraph: no one named before
    ]
    suggestions = suggest_document(paragraph, "en", INDEX)
    assert mentions(suggestions) == [
        ("Mayor Jane Roe", ""),
        None,
        ("She", "Mayor Jane Roe"),
        ("Engineers", ""),
        ("They", "Engineers"),
        ("He", ""),
    ]
    # The registry source comes from the name the pronoun stands for.
    assert [s and s.source_key for s in suggestions] == ["mayor", None, "mayor", None, None, None]
    assert suggestions[2].mention_end - suggestions[2].mention_start == len("She")


def test_german_pronoun_resolved_and_first_person_left_alone():
    paragraph = [
        ("Die Ministerin erklärte, die Lage sei ernst.", 3),
        ("Sie sagte, weitere Hilfe komme.", 3),
    ]
    suggestions = suggest_document(paragraph, "de")
    assert mentions(suggestions) == [("Die Ministerin", ""), ("Sie", "Die Ministerin")]


def test_a_quotation_spanning_statements_hides_its_cue_words():
    paragraph = [
        ("“We will win.", 0),
        ("Critics say we cannot, but they are wrong.", 0),
        ("We always win,” the coach said.", 0),
    ]
    suggestions = suggest_document(paragraph, "en")
    assert mentions(suggestions) == [None, None, ("the coach", "")]
    # One statement alone cannot know it is quoted.
    assert suggest_attribution(paragraph[1][0], "en").mention == "Critics"


def test_a_quotation_ends_with_its_paragraph():
    suggestions = suggest_document([("„Wir gewinnen.", 0), ("Die Trainerin sagte das.", 1)], "de")
    assert mentions(suggestions) == [None, ("Die Trainerin", "")]


def test_document_and_single_statements_agree_without_context():
    statements = ["Laut KCNA ist alles gut.", "Experten vermuten das Gegenteil."]
    one_by_one = [suggest_attribution(text, "de") for text in statements]
    assert suggest_document([(text, k) for k, text in enumerate(statements)], "de") == one_by_one


# --- cue inventories ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inventory", "language"),
    [
        ("EN_CUE_VERBS", "en"),
        ("EN_INVERTING", "en"),
        ("EN_FRAMING", "en"),
        ("DE_PASSIVE_JUDGEMENTS", "de"),
        ("DE_LIGHT_VERBS", "de"),
        ("DE_TOPIC_VON", "de"),
    ],
)
def test_every_listed_verb_is_its_own_lemma(inventory, language):
    """Rules look up lemmas: a listed word the lemmatiser maps elsewhere could never match."""
    assert {word for word in getattr(cues, inventory) if lemma(word, language) != word} == set()


def test_german_cue_verbs_are_lemmas_or_listed_forms():
    # "meinen" lemmatises as the possessive "mein"; the rule also accepts the listed form.
    assert {w for w in cues.DE_CUE_VERBS if lemma(w, "de") != w} <= {"meinen"}


def test_german_nouns_are_looked_up_as_nouns():
    assert noun_lemma("anfragen") == "anfrage"  # as a verb it would read "anfragen"
    assert lemma("beschlossen", "de") == "beschließen"  # ß survives lower-casing
    inflected = ["Anträge", "Entscheidungen", "Forderungen", "Erkenntnisse", "Anfragen"]
    assert all(noun_lemma(word) in cues.DE_CUE_NOUNS for word in inflected)


def test_cue_lemma_groups_inflections():
    assert cue_lemma("sagte", "de") == cue_lemma("gesagt", "de") == "sagen"
    assert cue_lemma("told", "en") == "tell"


def test_another_lemmatiser_can_be_plugged_in_and_removed():
    use_lemmatiser(lambda word, language: "say" if word == "quipped" else word)
    try:
        assert suggest_attribution("The coach quipped that it rained.", "en").cue == "quipped"
        assert suggest_attribution("The coach said that it rained.", "en") is None
    finally:
        use_lemmatiser(None)
    assert suggest_attribution("The coach said that it rained.", "en").cue == "said"
