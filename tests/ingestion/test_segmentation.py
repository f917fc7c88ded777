"""Article parsing and sentence segmentation: pure functions, no database."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from somajo import SoMaJo

from annotator.ingestion import segmentation
from annotator.ingestion.segmentation import (
    ArticleFormatError,
    ParsedArticle,
    Sentence,
    is_heading,
    parse_article_text,
    segment_document,
)
from tests.helpers import EXAMPLE_ARTICLE

ARTICLE = EXAMPLE_ARTICLE
EXAMPLE_HEADINGS = ("Einsätze und Auswirkungen", "Geopolitische Implikationen")


@pytest.fixture(scope="module")
def article() -> ParsedArticle:
    return parse_article_text(ARTICLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sentences(article) -> list[Sentence]:
    return segment_document(article.text, "de")


def assert_offsets_exact(text: str, sentences: list[Sentence]) -> None:
    previous_end = 0
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
        assert sentence.text
        assert previous_end <= sentence.start < sentence.end
        previous_end = sentence.end


# --- parse_article_text ----------------------------------------------------------------------


def test_example_article_title_and_metadata(article):
    assert article.title == (
        "Nordkorea gesteht: Soldaten kämpfen erstmals für Russland im Ukraine-Krieg!"
    )
    assert article.place == "Kursk, Russland"
    assert (article.listed_sources, article.date, article.url) == ("", "", "")


def test_example_article_body_keeps_headings_and_drops_table(article):
    assert article.text.startswith("Kursk, Russland - Nordkorea hat erstmals")
    assert article.text.endswith("weiterhin umkämpft und instabil.")
    lines = article.text.split("\n")
    assert all(heading in lines for heading in EXAMPLE_HEADINGS)
    assert len(lines) == 9
    assert "Details" not in article.text and "|" not in article.text


def test_table_with_all_rows_and_crlf():
    raw = (
        "Titel\r\nErster Absatz.\r\n\r\nZweiter Absatz.  \r\nDetails | |\r\n---|---|\r\n"
        "Ort | Kiew, Ukraine |\r\nQuellen | KCNA, Reuters |\r\nDatum | 3. Oktober 2024 |\r\n"
        "URL | https://example.org/a?b=1 |\r\n"
    )
    parsed = parse_article_text(raw)
    assert parsed == ParsedArticle(
        title="Titel",
        text="Erster Absatz.\n\nZweiter Absatz.",
        place="Kiew, Ukraine",
        listed_sources="KCNA, Reuters",
        date="3. Oktober 2024",
        url="https://example.org/a?b=1",
    )


def test_article_without_table():
    parsed = parse_article_text("Titel\nNur ein Absatz.\n\n")
    assert parsed == ParsedArticle(title="Titel", text="Nur ein Absatz.")


@pytest.mark.parametrize(
    "body_line", ["Details | folgen morgen.", "Details | |", "| Details | stehen im Anhang."]
)
def test_a_details_line_inside_the_body_is_no_table(body_line):
    table = "Details | |\n---|---|\nOrt | Kiew |\n"
    raw = f"Titel\nErster Absatz.\n{body_line}\nZweiter Absatz.\n{table}"
    parsed = parse_article_text(raw)
    assert parsed.text == f"Erster Absatz.\n{body_line}\nZweiter Absatz."
    assert parsed.place == "Kiew"


def test_a_trailing_table_without_separator_still_counts():
    parsed = parse_article_text("Titel\nText.\nDetails | |\nOrt | Kiew |\nDatum | heute |")
    assert (parsed.text, parsed.place, parsed.date) == ("Text.", "Kiew", "heute")


@pytest.mark.parametrize(
    ("raw", "line", "message"),
    [
        ("", 1, "empty file"),
        (" \n\t\n", 1, "empty file"),
        ("\nText ohne Titel.", 1, "missing title on line 1"),
        ("Nur ein Titel", 2, "no body"),
        ("Titel\n\n  \nDetails | |\n---|---|\nOrt | Kursk |", 2, "no body"),
    ],
)
def test_format_errors_name_the_line(raw, line, message):
    with pytest.raises(ArticleFormatError, match=message) as error:
        parse_article_text(raw)
    assert error.value.line == line
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Einsätze und Auswirkungen", True),
        ("Geopolitische Implikationen", True),
        ("  Geopolitische Implikationen  ", True),
        ("Er ging.", False),
        ("Warum?", False),
        ("Zitat:", False),
        ("„Wir bleiben.“", False),
        ("Und dann…", False),
        ("", False),
        ("Ein sehr langer Satz ohne Punkt am Ende der aus mehr als zehn Wörtern besteht", False),
        ("x" * 81, False),
    ],
)
def test_is_heading(line, heading):
    assert is_heading(line) is heading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Die Zahl stieg auf 10. Danach sank sie wieder.",
            ["Die Zahl stieg auf 10.", "Danach sank sie wieder."],
        ),
        ("Der Kurs fiel auf 3. Die Börse schloss.", ["Der Kurs fiel auf 3.", "Die Börse schloss."]),
        # An ordinal before a noun stays inside its sentence.
        ("Am 10. Mai kam es anders. Er blieb.", ["Am 10. Mai kam es anders.", "Er blieb."]),
        ("Das 3. Quartal war gut.", ["Das 3. Quartal war gut."]),
    ],
)
def test_a_number_ending_a_sentence_is_split_from_the_next(text, expected):
    sentences = segment_document(text, "de")
    assert [sentence.text for sentence in sentences] == expected
    assert_offsets_exact(text, sentences)


# --- segment_document on the example article ------------------------------------------------


def test_example_sentence_count(article, sentences):
    # Counted independently of SoMaJo: every sentence of the example ends with ".", "!" or "?"
    # before a space or the end of its paragraph ("10.000" has none; headings end bare).
    sentence_ends = re.findall(r"[.!?](?=\s|\Z)", article.text)
    assert len(sentence_ends) > 10
    assert len(sentences) == len(sentence_ends)


def test_example_offsets_are_exact(article, sentences):
    assert_offsets_exact(article.text, sentences)


def test_example_headings_and_table_are_not_sentences(sentences):
    texts = [sentence.text for sentence in sentences]
    assert not set(EXAMPLE_HEADINGS) & set(texts)
    assert not any("|" in text or text.startswith("Details") for text in texts)
    assert texts[0].startswith("Kursk, Russland - Nordkorea")
    assert texts[-1].startswith("Während Russland die Region Kursk")


def test_example_paragraph_numbers_skip_headings(sentences):
    per_paragraph = [sum(s.paragraph == p for s in sentences) for p in range(7)]
    assert per_paragraph == [4, 3, 3, 2, 3, 3, 3]


def test_example_keeps_numbers_whole(sentences):
    assert any("über 10.000 Soldaten nach Russland entsandt hat." in s.text for s in sentences)


# --- hard cases --------------------------------------------------------------------------------


def texts(text: str, language: str = "de") -> list[str]:
    sentences = segment_document(text, language)
    assert_offsets_exact(text, sentences)
    return [sentence.text for sentence in sentences]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "„Wir lassen uns nicht erpressen“, betonte Selenskyj. Dann reiste er ab.",
            ["„Wir lassen uns nicht erpressen“, betonte Selenskyj.", "Dann reiste er ab."],
        ),
        (
            "»Wir gehen!« sagte sie. Er blieb.",
            ["»Wir gehen!« sagte sie.", "Er blieb."],
        ),
        (
            '"Wir gehen.", sagte er. Sie blieb.',
            ['"Wir gehen.", sagte er.', "Sie blieb."],
        ),
        (
            "Es kamen z. B. Dr. Müller und Prof. Dr. Meier. Alle blieben.",
            ["Es kamen z. B. Dr. Müller und Prof. Dr. Meier.", "Alle blieben."],
        ),
        (
            "Am 3. Oktober 2024 kamen 10.000 Menschen. Es regnete.",
            ["Am 3. Oktober 2024 kamen 10.000 Menschen.", "Es regnete."],
        ),
        (
            "Wir kommen. „Sicher“, sagte er.",
            ["Wir kommen.", "„Sicher“, sagte er."],
        ),
    ],
)
def test_german_quotes_abbreviations_dates_numbers(text, expected):
    assert texts(text) == expected


def test_fragments_after_a_quote_are_merged():
    paragraph = "„Wir gehen.“ betonte er. Dann ging er."
    spans = [(0, 12), (13, 24), (25, 38)]
    merged = segmentation._merge_attributions(paragraph, spans)
    assert [paragraph[a:b] for a, b in merged] == ["„Wir gehen.“ betonte er.", "Dann ging er."]
    assert segmentation._merge_attributions("„Ja.“, sagte er.", [(0, 5), (5, 16)]) == [(0, 16)]


def test_english():
    text = (
        "Russia's Defence Ministry\n"
        '"We will not be blackmailed," Zelensky said. Mr. Smith arrived at 3 p.m. on Oct. 3. '
        "The U.S. sent 10,000 rounds."
    )
    assert texts(text, "en") == [
        '"We will not be blackmailed," Zelensky said.',
        "Mr. Smith arrived at 3 p.m. on Oct. 3.",
        "The U.S. sent 10,000 rounds.",
    ]


def test_offsets_count_every_line():
    text = "Titelzeile\n\n  Erster Satz. Zweiter Satz.  \n\nZwischenüberschrift\nDritter Satz."
    sentences = segment_document(text)
    assert_offsets_exact(text, sentences)
    assert [(s.text, s.paragraph) for s in sentences] == [
        ("Erster Satz.", 0),
        ("Zweiter Satz.", 0),
        ("Dritter Satz.", 1),
    ]


def test_unknown_language():
    with pytest.raises(ValueError, match="unsupported language"):
        segment_document("Ein Satz.", "fr")


def test_tokenizer_is_cached():
    assert segmentation._tokenizer("de") is segmentation._tokenizer("de")


@pytest.mark.parametrize("language", ["de", "en"])
def test_emoji_shortcut_keeps_somajo_output(article, language):
    """The speed-up in _skip_emoji_free_tokens must not change a single token."""
    plain = SoMaJo(segmentation.SOMAJO_LANGUAGES[language], character_offsets=True)
    paragraphs = article.text.split("\n") + [
        "Super 😀👍🏽! Das ❤️ ist :-) toll, oder?! ☺ Ja. 🇩🇪 Flagge. #hashtag @user 👨‍👩‍👧 Ende."
    ]
    fast = segmentation._tokenizer(language)

    def tokens(tokenizer):
        return [
            [(t.text, t.token_class, t.character_offset) for t in sentence]
            for sentence in tokenizer.tokenize_text(paragraphs)
        ]

    assert tokens(fast) == tokens(plain)


# --- hostile text ------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert('x')</script> <b>Hallo</b> Welt. Das ist <i>kursiv</i>. Ende.",
    "\u202eDas ist umgedrehter Text.\u202c Danach \u200bkommt\u200d ein Satz mit Lücken. Ende.",
    "Mit NUL\x00-Bytes\x00 mitten im Satz. Und ein zweiter Satz\x00. Noch einer.",
    "مرحبا بالعالم. هذا نص عربي طويل بما فيه الكفاية ليكون فقرة وليس عنوانا. Schluss.",
    "e\u0301 kombinierende Zeichen. A\u0308rger und Ü\u0308 doppelt. \ufeffBOM mitten drin.",
    "\x01\x02\x1b[31m Steuerzeichen\x7f und \u2028 Zeilentrenner \u2029 drin. Ende.",
    # Tibetan letters that NFC cannot recompose make SoMaJo's alignment assert: fallback path.
    "Das ist ein \u0f43 Test\u0f73. Und \uf900 noch einer \u212b. Ende.",
    '„Nicht geschlossen. »Auch nicht. "Gar nicht. “ ” « » Schluss ohne Punkt',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_keeps_offsets(text):
    sentences = segment_document(text + "\n" + text)
    assert_offsets_exact(text + "\n" + text, sentences)
    assert sentences


@pytest.mark.parametrize(
    "unit",
    [
        "<p dir='rtl'>\u202eZitat: „Wir\u200b gehen“, sagte er\x00.</p> Dr. Meier kam. ",
        "a",
    ],
)
def test_one_megabyte_paragraph(unit):
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    sentences = segment_document(f"Ein kurzer Absatz.\n{text}\nNoch ein Satz.")
    assert_offsets_exact(f"Ein kurzer Absatz.\n{text}\nNoch ein Satz.", sentences)
    assert sentences[0].text == "Ein kurzer Absatz."
    assert sentences[-1].text == "Noch ein Satz." and sentences[-1].paragraph == 2


def test_long_line_uses_the_punctuation_splitter():
    sentence = "Dies ist ein Satz mit z. B. einer Abkürzung. "
    text = sentence * (segmentation.SOMAJO_MAX_CHARS // len(sentence) + 1)
    spans = segment_document(text)
    assert_offsets_exact(text, spans)
    assert len(spans) > text.count("Abkürzung")  # cruder: also splits after "z."


def pieces(text: str) -> list[str]:
    """Split on "|" so pieces may contain spaces and control characters."""
    return text.split("|")


PIECES = st.sampled_from(
    pieces(
        "„|“|»|«|\"|'|.|!|?|…|,| |  |\n|\t|z. B.|Dr.|3.|10.000|Er sagte| und |Wort|<b>|"
        "\u200b|\u202e|\x00|\u0f43|\u0f73|\uf900|e\u0301"
    )
)
MIXED = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=60).map("".join)
# Lines ending in "." are paragraphs, not headings, so SoMaJo itself gets the hostile text.
TEXTS = st.one_of(st.text(), MIXED, MIXED.map(lambda text: text + " Ende."))


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(["de", "en"]))
def test_property_offsets_always_exact(text, language):
    sentences = segment_document(text, language)
    assert_offsets_exact(text, sentences)
    assert all("\n" not in s.text for s in sentences)
