"""The interface follows the user's language: our own strings are translated into German."""

from django.urls import reverse


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
