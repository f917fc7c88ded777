"""Hostile article text: HTML and script tags, right-to-left and zero-width characters, NUL
bytes, a 1 MB paragraph. Imported safely or refused clearly, always rendered escaped, and the
offsets always exact, through the database (SQLite and PostgreSQL alike)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.ingestion.services import document_create
from annotator.models import Document, Statement

SCRIPT_TITLE = '<script>alert("title")</script> Nordkorea'
HOSTILE_TEXT = (
    'Laut KCNA ist <img src=x onerror=alert("kcna")> alles gut. '
    "Experten vermuten \u202eeine Umkehr\u202c und\u200b unsichtbare Zeichen. "
    "<script>document.cookie</script> Die Ukraine bestreitet das."
)


def assert_offsets_exact(document: Document) -> list[Statement]:
    statements = list(Statement.objects.filter(document=document).order_by("position"))
    stored = Document.objects.get(pk=document.pk).text
    for statement in statements:
        assert stored[statement.start : statement.end] == statement.text
    return statements


@pytest.fixture
def hostile_document(project):
    document, created = document_create(
        project=project, title=SCRIPT_TITLE, text=HOSTILE_TEXT, language="de"
    )
    assert created
    return document


def test_hostile_text_is_stored_verbatim_with_exact_offsets(hostile_document):
    statements = assert_offsets_exact(hostile_document)
    assert len(statements) >= 2
    assert Document.objects.get(pk=hostile_document.pk).text == HOSTILE_TEXT


def assert_escaped(body: str) -> None:
    assert "<script>alert" not in body
    assert "<script>document.cookie" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;" in body or "&lt;img" in body


def test_hostile_text_is_escaped_on_every_page_that_shows_it(
    client_for, annotator, lead, hostile_document
):
    statement = hostile_document.statements.order_by("position").first()
    annotator_client = client_for(annotator)
    add = annotator_client.get(
        reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    )
    assert add.status_code == 200
    assert_escaped(add.content.decode())
    lead_client = client_for(lead)
    for url in [
        reverse("admin:annotator_document_changelist"),
        reverse("admin:annotator_document_change", args=[hostile_document.pk]),
        reverse("admin:annotator_statement_changelist") + "?q=onerror",
        reverse("admin:annotator_statement_change", args=[statement.pk]),
        reverse("admin:annotator_project_change", args=[hostile_document.project_id]),
    ]:
        response = lead_client.get(url)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.content.decode(), url
        assert "<img src=x" not in response.content.decode(), url


def test_nul_bytes_are_refused_clearly_and_nothing_is_written(project):
    before = Document.objects.count()
    with pytest.raises(ValidationError, match="NUL bytes"):
        document_create(
            project=project, title="Binär", text="Ein Satz.\x00 Noch einer.", language="de"
        )
    assert Document.objects.count() == before


def test_a_one_megabyte_paragraph_imports_with_exact_offsets(project):
    sentence = (
        "Laut KCNA wurde die Lage in Kursk am 3. Oktober stabilisiert, z. B. durch 10.000 "
        "Soldaten. "
    )
    text = (sentence * (1_048_576 // len(sentence) + 1)).strip()
    assert len(text) > 1_000_000
    document, _ = document_create(
        project=project, title="Ein sehr langer Absatz", text=text, language="de"
    )
    statements = assert_offsets_exact(document)
    assert len(statements) > 1000


HOSTILE_ALPHABET = st.sampled_from(
    list("abcXYZ .,;:!?„“»«\"'\n-–0123456789")
    + ["<", ">", "&", "\u200b", "\u202e", "\u05d0", "z. B."]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t and t.strip()),
    text=st.one_of(
        st.text(min_size=1, max_size=400),
        st.lists(HOSTILE_ALPHABET, min_size=1, max_size=200).map("".join),
    ).filter(lambda t: "\x00" not in t and t.strip()),
    language=st.sampled_from(["de", "en"]),
)
def test_any_text_imports_with_exact_offsets_through_the_database(project, title, text, language):
    try:
        with transaction.atomic():
            document, _ = document_create(
                project=project, title=title[:500], text=text, language=language
            )
    except ValidationError as error:
        # A text the segmenter finds no statement in is refused, and nothing is written.
        assert "no statements" in str(error)
        assert not Document.objects.filter(project=project, text=text).exists()
        return
    statements = assert_offsets_exact(document)
    assert statements
    previous_end = 0
    for statement in statements:
        assert previous_end <= statement.start < statement.end
        previous_end = statement.end
        if statement.suggested_cue:
            cue = statement.text[statement.suggested_cue_start : statement.suggested_cue_end]
            assert cue == statement.suggested_cue
