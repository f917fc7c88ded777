"""A pronoun subject is resolved to the paragraph's last named source and shown as such."""

from django.urls import reverse

from annotator.ingestion.services import document_create
from annotator.models import Source, Statement
from annotator.registry.selectors import source_index_build

ARTICLE = (
    "Generalstabschef Waleri Gerassimow informierte am Montag über die Lage.\n"
    "Er sagte, die Truppen seien verlegt worden.\n"
    "Die Lage bleibt unklar.\n"
    "Er sagte am Abend, es gebe keine Verluste."
)


def import_article(project) -> list[Statement]:
    document, created = document_create(
        project=project,
        title="Lagebericht",
        text=ARTICLE.replace("\n", " ", 1),  # the first two sentences form one paragraph
        language="de",
        source_index=source_index_build(),
    )
    assert created
    return list(document.statements.order_by("position"))


def test_pronoun_subject_keeps_the_pronoun_and_names_the_source(project):
    named, pronoun, unattributed, orphan = import_article(project)
    assert named.suggested_mention == "Generalstabschef Waleri Gerassimow"
    assert (pronoun.suggested_mention, pronoun.suggested_cue) == ("Er", "sagte")
    assert pronoun.suggested_mention_resolved == "Generalstabschef Waleri Gerassimow"
    gerassimow = Source.objects.get(name="Waleri Gerassimow")
    assert pronoun.suggested_source == named.suggested_source == gerassimow
    # The mention's offsets still point at the pronoun itself.
    start, end = pronoun.suggested_mention_start, pronoun.suggested_mention_end
    assert pronoun.text[start:end] == "Er"
    assert unattributed.suggested_mention == ""
    # A new paragraph names nobody before its pronoun: nothing is resolved.
    assert (orphan.suggested_mention, orphan.suggested_mention_resolved) == ("Er", "")
    assert orphan.suggested_source is None


def test_annotation_form_shows_the_resolution(project, annotator, client_for):
    _, pronoun, _, orphan = import_article(project)
    client = client_for(annotator)
    add = reverse("admin:annotator_annotation_add")
    html = client.get(f"{add}?statement={pronoun.pk}").content.decode()
    assert 'id="suggestion-resolved"' in html
    assert "resolved from the pronoun “Er”" in html
    assert "<strong>Waleri Gerassimow</strong>" in html
    html = client.get(f"{add}?statement={orphan.pk}").content.decode()
    assert 'id="suggestion-resolved"' not in html
    assert "<strong>Er</strong>" in html
