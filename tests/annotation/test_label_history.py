"""Every change to an annotation or gold label is kept: who, when, before and after; leads
read it, annotators cannot."""

from django.urls import reverse

from annotator.annotation.selectors import next_statement
from annotator.models import Annotation, LabelRevision
from tests.helpers import annotation_form_data


def test_every_change_of_an_annotation_is_kept_for_the_lead(client_for, project, annotator, lead):
    client = client_for(annotator)
    statement = next_statement(project=project, user=annotator)
    add_url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    client.post(add_url, annotation_form_data(source_reliability="C", info_credibility="3"))
    annotation = Annotation.objects.get(statement=statement, annotator=annotator)
    change_url = reverse("admin:annotator_annotation_change", args=[annotation.pk])
    response = client.post(
        change_url, annotation_form_data(source_reliability="E", info_credibility="5")
    )
    assert response.status_code == 302

    revisions = LabelRevision.objects.filter(kind="annotation", object_id=annotation.pk)
    created, changed = revisions.order_by("id")
    assert (created.action, created.before, created.changed_by) == ("created", None, annotator)
    assert created.after["source_reliability"] == "C"
    assert changed.action == "changed"
    assert (changed.before["source_reliability"], changed.after["source_reliability"]) == (
        "C",
        "E",
    )

    lead_client = client_for(lead)
    page = lead_client.get(change_url).content.decode()
    assert "label-history" in page
    history = lead_client.get(
        reverse("admin:annotator_labelrevision_changelist")
        + f"?kind__exact=annotation&object_id={annotation.pk}"
    )
    assert history.status_code == 200
    body = history.content.decode()
    assert "source reliability: C → E" in body
    assert "information credibility: 3 → 5" in body


def test_annotators_cannot_read_the_label_history(client_for, project, annotator):
    client = client_for(annotator)
    assert client.get(reverse("admin:annotator_labelrevision_changelist")).status_code == 403
    statement = next_statement(project=project, user=annotator)
    client.post(
        reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}",
        annotation_form_data(),
    )
    own = Annotation.objects.get(statement=statement, annotator=annotator)
    page = client.get(reverse("admin:annotator_annotation_change", args=[own.pk]))
    assert "label-history" not in page.content.decode()
