"""English cue rules, one class of construction each, on sentences written for these tests."""

import pytest

from annotator.registry.attribution import suggest_attribution


def mention_and_cue(statement: str) -> tuple[str, str] | None:
    suggestion = suggest_attribution(statement, "en")
    if suggestion is None:
        return None
    assert statement[suggestion.mention_start : suggestion.mention_end] == suggestion.mention
    assert statement[suggestion.cue_start : suggestion.cue_end] == suggestion.cue
    return suggestion.mention, suggestion.cue


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # Any inflection of a cue verb, found by its lemma.
        ("The mayor insists that the bridge is safe.", ("The mayor", "insists")),
        ("Engineers have repeatedly warned that the bridge is unsafe.", ("Engineers", "warned")),
        ("The council wouldn't say whether the bridge would close.", ("The council", "say")),
        # Verbs of belief, expectation and stance, not only of speech.
        ("Most residents believe the bridge will close.", ("Most residents", "believe")),
        ("Workers expect the plant to stay open.", ("Workers", "expect")),
        # Evidence verbs take a poll or a study as their subject.
        ("A new survey shows that support is falling.", ("A new survey", "shows")),
    ],
)
def test_cue_verbs_by_lemma(statement, expected):
    assert mention_and_cue(statement) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # An appositive or relative clause between the subject and its verb.
        (
            "Jane Roe, a spokeswoman for the ministry, said the talks had failed.",
            ("Jane Roe", "said"),
        ),
        (
            "Mary Major, 41, of Dayton, Ohio, says her rent has doubled.",
            ("Mary Major", "says"),
        ),
        # A parenthesis or a time adverbial between them.
        ("Rep. Jane Roe (D-Ohio) last month warned of a shutdown.", ("Rep. Jane Roe", "warned")),
        ("The governor on Tuesday announced a recount.", ("The governor", "announced")),
        # Quantified and numeric subjects, and phrases attached to them.
        ("Several said they would stay home.", ("Several", "said")),
        ("Most of the delegates said they would stay.", ("Most of the delegates", "said")),
        ("58 percent of voters said the economy mattered most.", ("58 percent of voters", "said")),
        (
            "Some farmers at the fair in Ames said prices were too low.",
            ("Some farmers at the fair in Ames", "said"),
        ),
    ],
)
def test_the_subject_through_what_stands_between(statement, expected):
    assert mention_and_cue(statement) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # Inversion after a quotation; the subject follows the verb.
        ("“The talks failed,” said Jane Roe, a ministry spokeswoman.", ("Jane Roe", "said")),
        ("“We are ready,” added the coach.", ("the coach", "added")),
        # The frame at the end of a statement wins over a cue inside its content.
        (
            "The plan, which critics say is reckless, will pass, officials said.",
            ("officials", "said"),
        ),
        # A participle clause shares the subject of its statement.
        (
            "At a rally in Reno on Sunday, the senator toured a plant, saying it would stay.",
            ("the senator", "saying"),
        ),
        # A headline names its speaker before a colon or in title case.
        ("Campaign spokesman: “We will win Ohio.”", ("Campaign spokesman", ":")),
        ("Governor Says Bridge Will Reopen In May", ("Governor", "Says")),
        # "in a statement", "according to", a noun phrase with "of" and "for".
        ("The ministry said in a statement that the border is open.", ("The ministry", "said")),
        (
            "According to the Institute for Fiscal Studies, taxes will rise.",
            ("the Institute for Fiscal Studies", "According to"),
        ),
    ],
)
def test_inversions_frames_and_headlines(statement, expected):
    assert mention_and_cue(statement) == expected


def test_relative_who_is_resolved_to_the_phrase_it_follows():
    suggestion = suggest_attribution("The talks were led by Jane Roe, who said they failed.", "en")
    assert (suggestion.mention, suggestion.cue) == ("who", "said")
    assert suggestion.resolved_mention == "Jane Roe"


def test_the_subject_not_the_addressee():
    assert mention_and_cue("The minister told reporters that talks would resume.") == (
        "The minister",
        "told",
    )


@pytest.mark.parametrize(
    "statement",
    [
        # The subject of a passive or of a raising verb is no source.
        "The senator is expected to win the primary.",
        "The mayor was asked about the bridge.",
        "Reporters were told the bridge would close.",
        # Nouns that look like cue verbs.
        "The program lacks bipartisan support.",
        "The states with the most electoral votes matter.",
        "North Korea's state media was silent.",
        # A headline label is no speaker.
        "Update: the bridge is closed.",
    ],
)
def test_no_source(statement):
    assert suggest_attribution(statement, "en") is None
