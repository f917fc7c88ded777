"""Blind annotation, enforced on the server: through real HTTP requests, an annotator never
sees another annotator's labels on any admin page they can reach, nor by typing URLs."""

import re

import pytest
from django.urls import reverse

from annotator.models import LabelGroup, Source
from tests.helpers import annotation_submit, label

BOB_NOTE = "BOB-PRIVATE-NOTE-7731"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
BOB_MENTION = "BOB-PRIVATE-MENTION-1177"
ALICE_NOTE = "ALICE-OWN-NOTE-4242"


def annotate(statement, user, note, mention=""):
    return annotation_submit(
        statement,
        user,
        source=Source.objects.get(name="KCNA"),
        mention=mention,
        reliability="E",
        credibility="5",
        note=note,
        labels=[label("Bias", "biased")],
    )


@pytest.fixture
def both_annotated(project, annotator, second_annotator):
    statement = project.documents.first().statements.get(position=2)
    alices = annotate(statement, annotator, ALICE_NOTE)
    bobs = annotate(statement, second_annotator, BOB_NOTE, BOB_MENTION)
    return alices, bobs


def pages_an_annotator_reaches(project, own, others):
    group = LabelGroup.objects.first()
    source = Source.objects.get(name="KCNA")
    changelist = reverse("admin:annotator_annotation_changelist")
    return [
        reverse("admin:index"),
        reverse("admin:app_list", args=["annotator"]),
        reverse("admin:annotator_project_changelist"),
        reverse("admin:annotator_project_change", args=[project.pk]),
        reverse("admin:annotator_project_annotate", args=[project.pk]),
        changelist,
        changelist + "?q=KCNA",
        changelist + "?source_reliability__exact=E",
        changelist + f"?project={project.pk}",
        reverse("admin:annotator_annotation_change", args=[own.pk]),
        reverse("admin:annotator_annotation_history", args=[own.pk]),
        reverse("admin:annotator_annotation_add") + f"?statement={own.statement_id}",
        reverse("admin:annotator_source_changelist"),
        reverse("admin:annotator_source_change", args=[source.pk]),
        reverse("admin:annotator_labelgroup_changelist"),
        reverse("admin:annotator_labelgroup_change", args=[group.pk]),
        reverse("admin:annotator_label_changelist"),
        "/admin/autocomplete/?app_label=annotator&model_name=annotation&field_name=source&term=K",
    ]


def test_no_page_an_annotator_reaches_shows_anothers_labels(client_for, project, both_annotated):
    alices, bobs = both_annotated
    client = client_for(alices.annotator)
    for url in pages_an_annotator_reaches(project, alices, bobs):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        # The CSRF token is random letters and can spell "bob" by chance: leave it out.
        body = CSRF_TOKEN.sub("", response.content.decode())
        assert BOB_NOTE not in body, url
        assert BOB_MENTION not in body, url
        assert "bob" not in body, url


def test_the_annotators_list_shows_only_their_own(client_for, project, both_annotated):
    alices, bobs = both_annotated
    client = client_for(alices.annotator)
    response = client.get(reverse("admin:annotator_annotation_changelist"))
    assert list(response.context["cl"].result_list) == [alices]
    # Searching for another's note finds nothing (the page only echoes the search term).
    search = client.get(reverse("admin:annotator_annotation_changelist") + f"?q={BOB_NOTE}")
    assert list(search.context["cl"].result_list) == []
    assert BOB_MENTION not in search.content.decode()


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_typing_the_url_of_anothers_annotation_gives_404(client_for, both_annotated, view):
    alices, bobs = both_annotated
    response = client_for(alices.annotator).get(
        reverse(f"admin:annotator_annotation_{view}", args=[bobs.pk])
    )
    assert response.status_code in (403, 404)
    assert BOB_NOTE not in response.content.decode()


def test_posting_to_anothers_annotation_changes_nothing(client_for, both_annotated):
    alices, bobs = both_annotated
    response = client_for(alices.annotator).post(
        reverse("admin:annotator_annotation_change", args=[bobs.pk]),
        {"source_reliability": "A", "info_credibility": "1", "note": "overwritten"},
    )
    assert response.status_code == 404
    bobs.refresh_from_db()
    assert (bobs.source_reliability, bobs.note) == ("E", BOB_NOTE)


@pytest.mark.parametrize(
    "query",
    [
        "statement__annotations__note__contains={note}",
        "annotator__id__exact={bob}",
        "statement__id__exact={statement}",
    ],
)
def test_a_lookup_the_annotators_filters_do_not_offer_is_refused(client_for, both_annotated, query):
    """Not a filtered list but a 400: the annotator's lists answer only their own filters."""
    alices, bobs = both_annotated
    url = reverse("admin:annotator_annotation_changelist")
    query = query.format(note=BOB_NOTE[:8], bob=bobs.annotator_id, statement=bobs.statement_id)
    response = client_for(alices.annotator).get(f"{url}?{query}")
    assert response.status_code == 400
    assert BOB_NOTE not in response.content.decode()


def test_annotators_cannot_reach_statements_documents_or_gold(client_for, project, both_annotated):
    alices, _ = both_annotated
    client = client_for(alices.annotator)
    for name in ("statement", "document", "goldlabel", "labelrevision"):
        assert client.get(reverse(f"admin:annotator_{name}_changelist")).status_code == 403


def test_an_outsider_sees_no_project_and_cannot_annotate(client_for, project, outsider):
    client = client_for(outsider)
    response = client.get(reverse("admin:annotator_project_changelist"))
    assert project.name not in response.content.decode()
    assert client.get(reverse("admin:annotator_project_change", args=[project.pk])).status_code in (
        302,
        404,
    )
    assert (
        client.get(reverse("admin:annotator_project_annotate", args=[project.pk])).status_code
        == 404
    )
    statement = project.documents.first().statements.first()
    add_url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    assert client.get(add_url).status_code == 403


def test_anonymous_users_are_sent_to_the_login(client, project):
    response = client.get(reverse("admin:annotator_annotation_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_lead_sees_every_annotation(client_for, lead, both_annotated):
    alices, bobs = both_annotated
    client = client_for(lead)
    changelist = client.get(reverse("admin:annotator_annotation_changelist") + "?q=PRIVATE")
    assert bobs in changelist.context["cl"].result_list
    page = client.get(reverse("admin:annotator_annotation_change", args=[bobs.pk]))
    assert page.status_code == 200
    assert BOB_NOTE in page.content.decode()
    filtered = client.get(
        reverse("admin:annotator_annotation_changelist")
        + f"?annotator__id__exact={alices.annotator_id}"
    )
    assert list(filtered.context["cl"].result_list) == [alices]


def test_the_lead_reads_but_does_not_edit_an_annotators_labels(client_for, lead, both_annotated):
    _, bobs = both_annotated
    client = client_for(lead)
    response = client.post(
        reverse("admin:annotator_annotation_change", args=[bobs.pk]),
        {"source_reliability": "A", "info_credibility": "1"},
    )
    assert response.status_code == 403
    bobs.refresh_from_db()
    assert bobs.source_reliability == "E"
