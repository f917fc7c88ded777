"""A lead marks a flag (a statement skipped with a reason) resolved from the project page: who,
when and a note are kept, the flag leaves the open list and the annotator's count, and the
annotation itself is left exactly as the annotator saved it. Annotators cannot resolve."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.annotation.selectors import annotation_queue, annotator_activity
from annotator.annotation.services import annotation_save
from annotator.models import Annotation, FlagResolution


def skip(statement, user, reason: str) -> Annotation:
    annotation = Annotation(
        statement=statement,
        annotator=user,
        status=Annotation.Status.SKIPPED,
        skip_reason=reason,
        source_reliability="",
        info_credibility="",
    )
    return annotation_save(annotation=annotation, labels=[], changed_by=user)


def page_url(project) -> str:
    return reverse("admin:annotator_project_change", args=[project.pk])


def resolve_url(project) -> str:
    return reverse("admin:annotator_project_resolve_flag", args=[project.pk])


def snapshot(annotation: Annotation) -> tuple:
    stored = Annotation.objects.get(pk=annotation.pk)
    labels = sorted(stored.labels.values_list("pk", flat=True))
    return (stored.status, stored.skip_reason, stored.version, stored.updated_at, labels)


@pytest.fixture
def flags(project, annotator, second_annotator):
    alice_queue = list(annotation_queue(project=project, user=annotator)[:2])
    bob_queue = list(annotation_queue(project=project, user=second_annotator)[:1])
    return {
        "alice": skip(alice_queue[0], annotator, "segmentation"),
        "alice_2": skip(alice_queue[1], annotator, "off_topic"),
        "bob": skip(bob_queue[0], second_annotator, "unclear"),
    }


def test_a_lead_resolves_a_flag_and_it_leaves_the_open_list(
    client_for, project, flags, annotator, lead
):
    client = client_for(lead)
    flag = flags["alice"]
    before = snapshot(flag)
    page = client.get(page_url(project)).content.decode()
    assert f'id="flag-{flag.pk}"' in page
    assert annotator_activity(project=project)[annotator.pk].flags == 2

    response = client.post(
        resolve_url(project), {"annotation": flag.pk, "note": "segmentation fixed <b>now</b>"}
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(project) + "#flags"

    resolution = FlagResolution.objects.get(annotation=flag)
    assert (resolution.resolved_by, resolution.skip_reason) == (lead, "segmentation")
    assert resolution.note == "segmentation fixed <b>now</b>" and resolution.resolved_at
    # The annotation is exactly as the annotator left it.
    assert snapshot(flag) == before
    assert annotator_activity(project=project)[annotator.pk].flags == 1

    page = client.get(page_url(project)).content.decode()
    assert f'id="flag-{flag.pk}"' not in page
    assert f'id="flag-{flags["alice_2"].pk}"' in page and f'id="flag-{flags["bob"].pk}"' in page
    assert "1 resolved" in page and 'id="show-resolved-flags"' in page
    assert 'id="flags-resolved"' not in page

    shown = client.get(page_url(project) + "?resolved_flags=1").content.decode()
    resolved_table = shown[shown.index('id="flags-resolved"') :]
    assert "segmentation fixed &lt;b&gt;now&lt;/b&gt;" in resolved_table
    assert "<b>now</b>" not in shown
    assert lead.username in resolved_table and flag.statement.text[:40] in resolved_table


def test_an_annotator_cannot_resolve_and_sees_no_flags(
    client_for, project, flags, annotator, second_annotator
):
    client = client_for(annotator)
    for flag in (flags["bob"], flags["alice"]):
        before = snapshot(flag)
        response = client.post(resolve_url(project), {"annotation": flag.pk, "note": "x"})
        assert response.status_code == 403
        assert snapshot(flag) == before
    assert client.get(resolve_url(project)).status_code == 403
    assert not FlagResolution.objects.exists()
    page = client.get(page_url(project)).content.decode()
    assert 'id="flags"' not in page and "flag-resolve" not in page
    assert flags["bob"].statement.text[:40] not in page.split('id="my-queue"')[0]


def test_a_lead_gets_a_message_for_a_flag_not_open_and_nothing_changes(
    client_for, project, flags, lead
):
    client = client_for(lead)
    submitted = Annotation.objects.in_project(project).submitted().first()
    for annotation_id in (submitted.pk, "abc", ""):
        response = client.post(resolve_url(project), {"annotation": annotation_id}, follow=True)
        assert response.status_code == 200
    assert client.post(resolve_url(project), {"annotation": flags["bob"].pk, "note": "n" * 201})
    assert not FlagResolution.objects.exists()
    client.post(resolve_url(project), {"annotation": flags["bob"].pk})
    again = client.post(resolve_url(project), {"annotation": flags["bob"].pk}, follow=True)
    assert "no longer open" in again.content.decode()
    assert FlagResolution.objects.count() == 1
    assert client.get(resolve_url(project)).status_code == 405


def test_a_new_reason_raises_the_flag_again(client_for, project, flags, annotator, lead):
    flag = flags["alice"]
    client_for(lead).post(resolve_url(project), {"annotation": flag.pk})
    assert annotator_activity(project=project)[annotator.pk].flags == 1
    stored = Annotation.objects.get(pk=flag.pk)
    stored.skip_reason = "unclear"
    annotation_save(
        annotation=stored, labels=[], changed_by=annotator, expected_version=stored.version
    )
    assert annotator_activity(project=project)[annotator.pk].flags == 2
    page = client_for(lead).get(page_url(project)).content.decode()
    assert f'id="flag-{flag.pk}"' in page and "0 resolved" in page


def test_the_flag_lists_are_one_query_whatever_their_length(
    client_for, project, flags, annotator, second_annotator, lead
):
    client = client_for(lead)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(project) + "?resolved_flags=1").status_code == 200
        return len(queries)

    client.post(resolve_url(project), {"annotation": flags["bob"].pk})
    few = page_queries()
    for statement in list(annotation_queue(project=project, user=annotator)[:6]):
        skip(statement, annotator, "unclear")
    for statement in list(annotation_queue(project=project, user=second_annotator)[:4]):
        flag = skip(statement, second_annotator, "off_topic")
        client.post(resolve_url(project), {"annotation": flag.pk})
    assert page_queries() == few
