"""Small holes: notes have a length limit everywhere they come in, an article of invisible
characters is refused, two different articles under one external_id are an error with its line,
and the dataset card shows HTML from names and descriptions as text."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from annotator.datasets.bundle import card_meta
from annotator.ingestion.reading import article_file_read
from annotator.ingestion.services import document_create
from annotator.models import NOTE_MAX_LENGTH, Annotation, LabelGroup, Source, Statement
from tests.helpers import annotation_form_data, annotation_submit

LONG_NOTE = "n" * (NOTE_MAX_LENGTH + 1)


def test_a_note_over_the_limit_is_refused_by_the_form(project, annotator, client_for):
    statement = Statement.objects.filter(document__project=project).first()
    url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    response = client_for(annotator).post(url, annotation_form_data(note=LONG_NOTE))
    assert response.status_code == 200
    assert f"at most {NOTE_MAX_LENGTH:,}".replace(",", ",") in response.content.decode() or (
        str(NOTE_MAX_LENGTH) in response.content.decode()
    )
    assert not Annotation.objects.filter(statement=statement, annotator=annotator).exists()


def test_a_note_over_the_limit_is_refused_by_the_service(project, annotator):
    statement = Statement.objects.filter(document__project=project).first()
    with pytest.raises(ValidationError, match=str(NOTE_MAX_LENGTH)):
        annotation_submit(statement, annotator, note=LONG_NOTE)
    annotation_submit(statement, annotator, note="n" * NOTE_MAX_LENGTH)  # the limit itself is fine


@pytest.mark.parametrize(
    "text", ["\u200b\u200b\u200b", "\u200b \u200c\n\u2060\ufeff", "\u00ad\u200e\u200f"]
)
def test_an_article_of_invisible_characters_is_refused(demo, text):
    article = article_file_read(
        name="invisible.jsonl", data=json.dumps({"title": "Titel", "text": text}).encode()
    )
    assert [str(issue) for issue in article.issues] == [
        "invisible.jsonl:1: text has no words (only spaces or invisible characters)"
    ]
    with pytest.raises(ValidationError, match="no statements"):
        document_create(project=demo, title="Titel", text=text, language="de")
    assert not demo.documents.filter(title="Titel").exists()


def test_two_articles_under_one_external_id_in_a_file_are_an_error(demo):
    records = [
        {"title": "Eins", "text": "Der erste Text.", "external_id": "a-1"},
        {"title": "Gleich", "text": "Derselbe Text.", "external_id": "a-2"},
        {"title": "Gleich", "text": "Derselbe Text.", "external_id": "a-2"},
        {"title": "Zwei", "text": "Ein anderer Text.", "external_id": "a-1"},
    ]
    data = "\n".join(json.dumps(record) for record in records).encode()
    article = article_file_read(name="ids.jsonl", data=data)
    assert [str(issue) for issue in article.issues] == [
        "ids.jsonl:4: external_id 'a-1' is already used on line 1 by a different article"
    ]


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_the_dataset_card_shows_html_from_the_database_as_text(demo, tmp_path):
    demo.name = f"Projekt {HOSTILE}"
    demo.description = f"Beschreibung {HOSTILE}"
    demo.guidelines = f"Richtlinien {HOSTILE}\n---\nnot the end of the front matter"
    demo.save()
    group = LabelGroup.objects.get(name="Bias")
    group.description = f"Gruppe {HOSTILE}"
    group.save()
    group.labels.filter(name="biased").update(description=f"Label {HOSTILE}")
    Source.objects.filter(
        pk__in=Annotation.objects.filter(statement__document__project=demo).values("source")
    ).update(country=f"Land {HOSTILE}")
    output = tmp_path / "data.jsonl"
    call_command(
        "export_dataset", "--project", demo.name, "--format", "jsonl", "--output", str(output),
        stdout=io.StringIO(),
    )  # fmt: skip
    card = (tmp_path / "data.jsonl.card.md").read_text()
    body = card.split("\n---\n", 1)[1]
    # Outside the command to reproduce the export (a code block, shown as written):
    prose = body.replace(
        body[body.index("```sh") : body.index("```\n", body.index("```sh") + 5)], ""
    )
    assert "<script>" not in prose and "<img" not in prose
    assert body.count("&lt;script&gt;alert(2)&lt;/script&gt;") >= 6
    # The front matter is data (YAML), and still reads back exactly.
    meta = card_meta(card)
    assert meta["project"]["name"] == demo.name
    assert meta["project"]["guidelines"] == demo.guidelines
