"""The interface follows the user's language: our own strings are translated into German."""

import pytest
from django.urls import reverse
from django.utils import translation

from annotator.models import GoldLabel
from annotator.templatetags.agreement_tags import figure, interval, percent


def test_the_annotation_form_speaks_german(client_for, project, annotator):
    client = client_for(annotator)
    statement = project.documents.first().statements.first()
    url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    german = client.get(url, headers={"accept-language": "de"}).content.decode()
    assert "Speichern und nächste annotieren" in german
    assert "A – völlig zuverlässig" in german
    assert "6 – Wahrheitsgehalt nicht beurteilbar" in german
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Save and annotate next" in english
    assert "A – completely reliable" in english


def test_the_leads_pages_speak_german(client_for, project, lead):
    client = client_for(lead)
    german = {"accept-language": "de"}
    agreement = client.get(
        reverse("admin:annotator_project_agreement", args=[project.pk]), headers=german
    )
    assert "Übereinstimmung pro Feld" in agreement.content.decode()
    documents = client.get(reverse("admin:annotator_document_changelist"), headers=german)
    assert "Artikel importieren" in documents.content.decode()


def test_the_two_box_selector_of_the_annotators_speaks_german(client_for, lead):
    """Django's own German catalogue lacks the selector's newer strings ("Choose Annotierende
    by selecting them…"): ours supplies them."""
    client = client_for(lead)
    catalog = client.get(reverse("admin:jsi18n"), headers={"accept-language": "de"}).content
    catalog = catalog.decode()
    for german in ("markieren und dann den Pfeil", "Alle %s ausw", "Markierte %s entfernen"):
        assert german in catalog
    english = client.get(reverse("admin:jsi18n"), headers={"accept-language": "en"}).content
    assert "markieren" not in english.decode()


@pytest.mark.parametrize(
    "language,alpha,share,interval_text,method",
    [
        ("de", "0,780", "85 %", "[0,12; 0,45]", "mit Mehrheit"),
        ("en", "0.780", "85%", "[0.12, 0.45]", "majority"),
    ],
)
def test_numbers_percentages_and_decisions_follow_the_language(
    language, alpha, share, interval_text, method
):
    with translation.override(language):
        assert figure(0.78) == alpha
        assert percent(0.849) == share
        assert interval((0.12, 0.45)) == interval_text
        assert str(GoldLabel.Method.MAJORITY.label) == method
        assert str(GoldLabel._meta.get_field("method").verbose_name) == (
            "Entscheidung" if language == "de" else "decision"
        )


@pytest.mark.parametrize(
    "language,alpha,interval_text",
    [("de", "0,757", "[0,13; 0,46]"), ("en", "0.757", "[0.13, 0.46]")],
)
def test_figures_are_rounded_not_cut_off(language, alpha, interval_text):
    with translation.override(language):
        assert figure(0.7568) == alpha
        assert interval((0.1261, 0.4599)) == interval_text
