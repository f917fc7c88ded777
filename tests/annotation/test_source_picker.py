"""The annotation form's source picker lists each source under its display name in the
interface language, with the name it is registered under where the two differ."""

import pytest
from django.urls import reverse

from annotator.models import Source, Statement

AUTOCOMPLETE = "/admin/autocomplete/?app_label=annotator&model_name=annotation&field_name=source"


@pytest.fixture
def kcna(db):
    source = Source.objects.get(name="KCNA")
    source.display_name_de = "Koreanische Zentrale Nachrichtenagentur"
    source.display_name_en = "Korean Central News Agency"
    source.save()
    return source


def picker_texts(client, term: str, language: str) -> dict[str, str]:
    response = client.get(f"{AUTOCOMPLETE}&term={term}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return {result["id"]: result["text"] for result in response.json()["results"]}


@pytest.mark.parametrize(
    "language, shown",
    [
        ("de", "Koreanische Zentrale Nachrichtenagentur (KCNA)"),
        ("en", "Korean Central News Agency (KCNA)"),
    ],
)
def test_the_picker_lists_a_source_under_its_display_name(
    client_for, project, annotator, kcna, language, shown
):
    client = client_for(annotator)
    assert picker_texts(client, "KCNA", language)[str(kcna.pk)] == shown
    # Found by the display name too, in either language.
    assert picker_texts(client, "Nachrichtenagentur", language)[str(kcna.pk)] == shown
    assert picker_texts(client, "News Agency", language)[str(kcna.pk)] == shown


def test_a_source_without_a_display_name_is_listed_by_its_name(client_for, project, annotator):
    source = Source.objects.get(name="KCNA")
    assert not (source.display_name_de or source.display_name_en)
    texts = picker_texts(client_for(annotator), "KCNA", "de")
    assert texts[str(source.pk)] == "KCNA"


@pytest.mark.parametrize(
    "language, shown",
    [
        ("de", "Koreanische Zentrale Nachrichtenagentur (KCNA)"),
        ("en", "Korean Central News Agency (KCNA)"),
    ],
)
def test_the_form_shows_the_chosen_and_the_suggested_source_by_display_name(
    client_for, project, annotator, kcna, language, shown
):
    statement = Statement.objects.filter(document__project=project).first()
    statement.suggested_source = kcna
    statement.suggested_mention = "KCNA"
    statement.save()
    client = client_for(annotator)
    url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    # The suggestion is preset in the picker, and "Accept suggestion" fills in the same text.
    assert f'<option value="{kcna.pk}" selected>{shown}</option>' in page
    assert f'data-source-name="{shown}"' in page
