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
