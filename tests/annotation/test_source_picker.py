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


def test_the_suggested_source_is_shown_without_reading_it_again(
    client_for, project, annotator, kcna
):
    """The statement's query read the suggested source: the picker shows it from there, so a
    statement with a suggestion costs the form no query more than one without."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plain, suggested = Statement.objects.filter(document__project=project)[:2]
    Statement.objects.filter(pk=plain.pk).update(suggested_source=None, suggested_mention="")
    Statement.objects.filter(pk=suggested.pk).update(
        suggested_source=kcna, suggested_mention="KCNA"
    )
    client = client_for(annotator)
    add_url = reverse("admin:annotator_annotation_add")
    counts = []
    for statement in (plain, suggested, plain, suggested):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"{add_url}?statement={statement.pk}", HTTP_ACCEPT_LANGUAGE="en")
        counts.append(len(queries))
    assert counts[2] == counts[3], counts
    shown = "Korean Central News Agency (KCNA)"
    assert f'<option value="{kcna.pk}" selected>{shown}</option>' in page.content.decode()


def test_a_posted_source_other_than_the_suggestion_is_shown_again_after_an_error(
    client_for, project, annotator, kcna
):
    from tests.helpers import annotation_form_data

    statement = Statement.objects.filter(document__project=project).first()
    Statement.objects.filter(pk=statement.pk).update(
        suggested_source=kcna, suggested_mention="KCNA"
    )
    other = Source.objects.exclude(pk=kcna.pk).order_by("pk").first()
    url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    data = annotation_form_data(source=other.pk, source_reliability="")  # a grade missing
    page = client_for(annotator).post(url, data).content.decode()
    assert f'<option value="{other.pk}" selected>{other.picker_name}</option>' in page
    assert f'<option value="{kcna.pk}" selected>' not in page
