"""German cue rules, one class of construction each, on sentences written for these tests."""

import pytest

from annotator.registry.attribution import suggest_attribution


def mention_and_cue(statement: str) -> tuple[str, str] | None:
    suggestion = suggest_attribution(statement, "de")
    if suggestion is None:
        return None
    assert statement[suggestion.mention_start : suggestion.mention_end] == suggestion.mention
    assert statement[suggestion.cue_start : suggestion.cue_end] == suggestion.cue
    return suggestion.mention, suggestion.cue


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # Every inflection by lemma, including verbs of opinion and expectation.
        ("Die Gewerkschaft befürchtet weitere Entlassungen.", ("Die Gewerkschaft", "befürchtet")),
        ("Der Verband meinte, die Preise seien zu hoch.", ("Der Verband", "meinte")),
        ("Die Ärztekammer beschloss eine neue Leitlinie.", ("Die Ärztekammer", "beschloss")),
        # Perfect and modal: the subject stands at the finite verb.
        ("Der Sprecher hat sich gestern dazu geäußert.", ("Der Sprecher", "geäußert")),
        ("Warum muss die Kanzlerin dafür plädieren?", ("die Kanzlerin", "plädieren")),
        # Separable verbs: the particle closes the clause.
        ("Die Behörde wies die Vorwürfe am Abend zurück.", ("Die Behörde", "wies")),
        ("Der Konzern gab den Verlust erst spät bekannt.", ("Der Konzern", "gab")),
        # Light verbs with a noun of speech.
        ("Die Verbände haben scharfe Kritik geübt.", ("Die Verbände", "geübt")),
    ],
)
def test_cue_verbs_by_lemma(statement, expected):
    assert mention_and_cue(statement) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # Verb-final clauses: the subject follows the conjunction or an object relative.
        (
            "Es ist gut, dass die Kommission darauf hingewiesen hat.",
            ("die Kommission", "hingewiesen"),
        ),
        ("Das ist die Reform, die das Gericht angemahnt hat.", ("das Gericht", "angemahnt")),
        ("Es geht um den Plan, vor dem die Opposition gewarnt hat.", ("die Opposition", "gewarnt")),
        (
            "Es geht nicht um alle, wie die Kollegin gerade zu suggerieren versucht hat.",
            ("die Kollegin", "suggerieren"),
        ),
        # Subject after the verb when something else opens the sentence.
        ("Deswegen fordert die Partei eine Neuwahl.", ("die Partei", "fordert")),
        ("Das sagte der Minister am Abend.", ("der Minister", "sagte")),
        ("Als Nächste spricht die Kollegin Weber.", ("die Kollegin Weber", "spricht")),
        ("So sagt es die Kommission in ihrem Bericht.", ("die Kommission", "sagt")),
        # The subject past a relative clause that ends before the verb.
        (
            "Viele Verbände, mit denen wir sprechen, kritisieren die Frist.",
            ("Viele Verbände", "kritisieren"),
        ),
        # A pronoun that names a group.
        ("Auch wir als Opposition fordern eine Reform.", ("wir als Opposition", "fordern")),
        ("Das wissen Sie von der Regierung genau.", ("Sie von der Regierung", "wissen")),
    ],
)
def test_the_subject_by_clause_structure(statement, expected):
    assert mention_and_cue(statement) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # Passive agents and whom something was heard from.
        ("Der Plan wurde von der Opposition scharf kritisiert.", ("der Opposition", "kritisiert")),
        ("Das wurde gerade von Frau Weber angesprochen.", ("Frau Weber", "angesprochen")),
        ("Das von der Regierung vorgelegte Gesetz scheiterte.", ("der Regierung", "vorgelegte")),
        # Opinion nouns and adjectives of conviction.
        (
            "Die Mehrheit der Befragten ist der Meinung, dass die Steuer sinkt.",
            ("Die Mehrheit der Befragten", "Meinung"),
        ),
        (
            "Fast die Hälfte der Firmen ist überzeugt davon, dass die Regel hilft.",
            ("die Hälfte der Firmen", "überzeugt"),
        ),
        # Cue nouns with their author: genitive, "von", a name in -s.
        ("Im Antrag der Opposition steht nichts dazu.", ("der Opposition", "Antrag")),
        ("Wir erinnern an die Worte von Dr. Weber.", ("Dr. Weber", "Worte")),
        ("Seit Obamas Rede hat sich viel geändert.", ("Obamas", "Rede")),
        # An institution's name goes on after "für".
        (
            "Laut dem Institut für Wirtschaftsforschung wächst die Wirtschaft.",
            ("dem Institut für Wirtschaftsforschung", "Laut"),
        ),
    ],
)
def test_agents_nouns_and_opinions(statement, expected):
    assert mention_and_cue(statement) == expected


@pytest.mark.parametrize(
    "statement",
    [
        # The object of a reporting verb is never its subject.
        "Man habe der Regierung zugesagt, die Frist zu verlängern.",
        "Sie haben das gestern im Ausschuss gesagt.",
        # A relative pronoun as the subject names nobody in its clause.
        "Wir kennen den Minister, der von Reformen sprach.",
        # Zu-infinitives take their subject from outside the clause.
        "Es ist nicht leicht, dem Plan zuzustimmen.",
        # "von X" is the topic of sprechen, not its agent.
        "Es wird von neuen Waffen gesprochen.",
        # A state passive: nobody speaks.
        "Der Plan ist angekündigt.",
        # Laws and abstract genitives are no authors.
        "Die Richtlinie fordert strengere Regeln.",
        "Die Erklärung der Menschenrechte gilt überall.",
        # A reflexive light verb: "stellt sich die Frage" is no one's question.
        "Jetzt stellt sich die Frage, wie es weitergeht.",
        # An attributive participle is no finite verb of its noun phrase.
        "Die geforderte Summe ist hoch.",
    ],
)
def test_no_source(statement):
    assert suggest_attribution(statement, "de") is None


def test_sie_at_the_start_before_a_singular_verb_is_she():
    assert mention_and_cue("Sie sagte, die Lage sei ernst.") == ("Sie", "sagte")
