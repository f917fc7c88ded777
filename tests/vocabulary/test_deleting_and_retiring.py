"""Deletes keep the history: labels and groups in use are retired (not offered any more, kept
everywhere they were given), annotations and gold labels are deleted into the label history
and re-check automatic gold labels, and what labels hang on is protected from cascades."""

import json
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import models, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from annotator.adjudication.services import gold_label_delete
from annotator.ingestion.services import document_create
from annotator.models import (
    Annotation,
    Document,
    GoldLabel,
    Label,
    LabelGroup,
    LabelRevision,
    Project,
    Statement,
)
from tests.helpers import (
    annotation_add_url,
    annotation_form_data,
    annotation_submit,
    group_field,
    label,
)


def fresh_statement(project) -> Statement:
    """A statement nobody has annotated yet."""
    document, _created = document_create(
        project=project,
        title="Frisch",
        text="Laut KCNA ist alles ruhig. Niemand hat das geprüft.",
        language="de",
    )
    return document.statements.first()


def messages_of(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def used_label() -> Label:
    """A label the demo's annotations use."""
    return Label.objects.filter(annotations__isnull=False).distinct().first()


def holders(label_: Label) -> tuple[set, set]:
    return (
        set(label_.annotations.values_list("pk", flat=True)),
        set(label_.goldlabels.values_list("pk", flat=True)),
    )


# --- labels and groups in use are retired ----------------------------------------------------


def test_deleting_a_label_in_use_retires_it_and_keeps_it_on_every_annotation(
    demo, lead, client_for
):
    label_ = used_label()
    before = holders(label_)
    assert before[0]
    response = client_for(lead).post(
        reverse("admin:annotator_label_delete", args=[label_.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    label_.refresh_from_db()
    assert label_.retired_at is not None
    assert holders(label_) == before
    text = messages_of(response)
    assert "Retired, not deleted" in text and "Successfully deleted" not in text


def test_the_delete_page_warns_that_a_label_in_use_will_be_retired(demo, lead, client_for):
    page = client_for(lead).get(reverse("admin:annotator_label_delete", args=[used_label().pk]))
    assert page.status_code == 200
    assert "retired, not deleted" in page.content.decode()


def test_the_bulk_delete_retires_labels_in_use_and_deletes_unused_ones(demo, lead, client_for):
    in_use = used_label()
    unused = Label.objects.create(group=in_use.group, name="never given")
    before = holders(in_use)
    response = client_for(lead).post(
        reverse("admin:annotator_label_changelist"),
        {"action": "delete_selected", "_selected_action": [in_use.pk, unused.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Label.objects.filter(pk=unused.pk).exists()
    in_use.refresh_from_db()
    assert in_use.retired_at is not None and holders(in_use) == before
    text = messages_of(response)
    assert "never given" in text and "Retired, not deleted" in text
    assert "Successfully deleted" not in text


@pytest.mark.parametrize("bulk", [False, True], ids=["delete view", "bulk action"])
def test_deleting_a_group_in_use_retires_it_with_its_labels_kept(demo, lead, client_for, bulk):
    group = LabelGroup.objects.get(name="Bias")
    label_ids = set(group.labels.values_list("pk", flat=True))
    given = Annotation.labels.through.objects.filter(label__group=group).count()
    client = client_for(lead)
    if bulk:
        response = client.post(
            reverse("admin:annotator_labelgroup_changelist"),
            {"action": "delete_selected", "_selected_action": [group.pk], "post": "yes"},
        )
    else:
        response = client.post(
            reverse("admin:annotator_labelgroup_delete", args=[group.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.retired_at is not None
    assert set(group.labels.values_list("pk", flat=True)) == label_ids
    assert Annotation.labels.through.objects.filter(label__group=group).count() == given


def test_an_unused_group_is_deleted(demo, lead, client_for):
    group = LabelGroup.objects.create(name="Unused")
    Label.objects.create(group=group, name="nobody chose me")
    response = client_for(lead).post(
        reverse("admin:annotator_labelgroup_delete", args=[group.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not LabelGroup.objects.filter(pk=group.pk).exists()


def test_ticking_delete_for_a_label_in_use_in_its_group_form_retires_it(demo, lead, client_for):
    label_ = used_label()
    group = label_.group
    client = client_for(lead)
    form = client.get(reverse("admin:annotator_labelgroup_change", args=[group.pk])).context[
        "adminform"
    ]
    data = {
        "name": group.name,
        "description": group.description,
        "position": group.position,
        "labels-TOTAL_FORMS": group.labels.count(),
        "labels-INITIAL_FORMS": group.labels.count(),
        "labels-MIN_NUM_FORMS": 0,
        "labels-MAX_NUM_FORMS": 1000,
    }
    if group.multiple:
        data["multiple"] = "on"
    if group.required:
        data["required"] = "on"
    assert form is not None
    for index, member in enumerate(group.labels.order_by("position", "name")):
        data.update(
            {
                f"labels-{index}-id": member.pk,
                f"labels-{index}-group": group.pk,
                f"labels-{index}-name": member.name,
                f"labels-{index}-description": member.description,
                f"labels-{index}-position": member.position,
            }
        )
        if member == label_:
            data[f"labels-{index}-DELETE"] = "on"
    response = client.post(reverse("admin:annotator_labelgroup_change", args=[group.pk]), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    label_.refresh_from_db()
    assert label_.retired_at is not None and label_.annotations.exists()


def test_no_path_deletes_a_label_in_use(demo):
    label_ = used_label()
    with pytest.raises(ProtectedError), transaction.atomic():
        label_.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        label_.group.delete()  # the cascade to its labels
    assert Label.objects.filter(pk=label_.pk).exists()


# --- retired: hidden from new annotations, kept on old ones ---------------------------------


@pytest.fixture
def retired_biased(demo):
    biased = label("Bias", "biased")
    biased.retired_at = "2026-01-01T00:00:00Z"
    biased.save()
    return biased


def test_a_retired_label_is_not_offered_for_a_new_annotation(
    project, annotator, client_for, retired_biased
):
    statement = Statement.objects.filter(document__project=project).last()
    client = client_for(annotator)
    page = client.get(annotation_add_url(statement))
    assert page.status_code == 200
    offered = page.context["adminform"].form.fields[group_field("Bias")].queryset
    assert retired_biased not in offered and offered.exists()
    response = client.post(
        annotation_add_url(statement),
        annotation_form_data(**{group_field("Bias"): retired_biased.pk}),
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Annotation.objects.filter(statement=statement, annotator=annotator).exists()
    with pytest.raises(Exception, match="retired"):
        annotation_submit(statement, annotator, labels=[retired_biased])


def test_a_retired_label_stays_when_its_annotator_saves_again(project, annotator, client_for):
    statement = fresh_statement(project)
    biased = label("Bias", "biased")
    annotation = annotation_submit(statement, annotator, labels=[biased])
    biased.retired_at = "2026-01-01T00:00:00Z"
    biased.save()
    client = client_for(annotator)
    url = reverse("admin:annotator_annotation_change", args=[annotation.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    assert biased in form.fields[group_field("Bias")].queryset  # still shown, still chosen
    assert form.initial[group_field("Bias")] == biased
    data = annotation_form_data(**{group_field("Bias"): biased.pk, "note": "re-saved"})
    data["seen_version"] = annotation.version
    response = client.post(url, data)
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert annotation.note == "re-saved"
    assert list(annotation.labels.all()) == [biased]


def test_a_retired_group_is_hidden_from_forms_and_its_labels_stay(project, annotator, client_for):
    statement = fresh_statement(project)
    stance = Label.objects.filter(group__name="Stance").first()
    annotation = annotation_submit(statement, annotator, labels=[label("Bias", "biased"), stance])
    LabelGroup.objects.filter(name="Stance").update(retired_at="2026-01-01T00:00:00Z")
    # A required group retired blocks nobody either.
    LabelGroup.objects.filter(name="Bias").update(required=True)
    client = client_for(annotator)
    url = reverse("admin:annotator_annotation_change", args=[annotation.pk])
    assert group_field("Stance") not in client.get(url).content.decode()
    data = annotation_form_data(**{group_field("Stance"): None, "note": "again"})
    data["seen_version"] = annotation.version
    assert client.post(url, data).status_code == 302
    assert stance in annotation.labels.all()


def test_retired_labels_stay_in_the_dataset_export(demo, tmp_path, retired_biased):
    given = Annotation.objects.filter(labels=retired_biased, status="submitted").count()
    assert given
    output = tmp_path / "data.jsonl"
    call_command(
        "export_dataset", "--project", demo.name, "--format", "jsonl", "--output", str(output),
        stdout=StringIO(),
    )  # fmt: skip
    records = [json.loads(line) for line in output.read_text().splitlines()]
    exported = sum(
        annotation["labels"].get("bias") == "biased"
        for record in records
        for annotation in record["annotations"]
    )
    assert exported == given


# --- annotations and gold labels are deleted into the history -------------------------------


@pytest.fixture
def unanimous(project, annotator, second_annotator):
    """A statement two annotators agree on, in a project that asks for two: a gold label."""
    Project.objects.filter(pk=project.pk).update(annotations_per_statement=2)
    statement = fresh_statement(project)
    first = annotation_submit(statement, annotator, reliability="B", credibility="2")
    annotation_submit(statement, second_annotator, reliability="B", credibility="2")
    gold = GoldLabel.objects.get(statement=statement)
    assert gold.method == "unanimous"
    return first, gold


def test_deleting_an_annotation_records_it_and_withdraws_the_unanimous_gold_label(
    unanimous, lead, client_for
):
    annotation, gold = unanimous
    response = client_for(lead).post(
        reverse("admin:annotator_annotation_delete", args=[annotation.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    revision = LabelRevision.objects.get(
        kind="annotation", object_id=annotation.pk, action="deleted"
    )
    assert revision.changed_by == lead and revision.before["source_reliability"] == "B"
    assert not GoldLabel.objects.filter(pk=gold.pk).exists()
    assert LabelRevision.objects.filter(kind="gold", object_id=gold.pk, action="deleted").exists()


def test_the_bulk_delete_of_annotations_records_every_one(demo, lead, client_for):
    annotations = list(Annotation.objects.filter(statement__document__project=demo)[:3])
    response = client_for(lead).post(
        reverse("admin:annotator_annotation_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [annotation.pk for annotation in annotations],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    for annotation in annotations:
        assert LabelRevision.objects.filter(
            kind="annotation", object_id=annotation.pk, action="deleted"
        ).exists()


def test_deleting_a_gold_label_records_it(unanimous, lead, client_for):
    _annotation, gold = unanimous
    response = client_for(lead).post(
        reverse("admin:annotator_goldlabel_delete", args=[gold.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    revision = LabelRevision.objects.get(kind="gold", object_id=gold.pk, action="deleted")
    assert revision.changed_by == lead


# --- what labels hang on is protected --------------------------------------------------------


@pytest.mark.parametrize("model", [Annotation, GoldLabel, LabelRevision], ids=lambda m: m.__name__)
def test_every_relation_of_a_label_record_protects_it_from_cascades(model):
    """Generated from the models: deleting anything an annotation, gold label or revision
    points to (statement, user, source) is refused while it exists, never a cascade."""
    relations = [
        field
        for field in model._meta.get_fields()
        if field.concrete and (field.many_to_one or field.one_to_one)
    ]
    assert relations
    for field in relations:
        assert field.remote_field.on_delete is models.PROTECT, f"{model.__name__}.{field.name}"


@pytest.mark.parametrize("model", [Project, Document, Statement], ids=lambda m: m.__name__)
def test_deleting_what_has_annotations_is_refused_in_the_admin(model, demo, lead, client_for):
    target = {
        Project: demo,
        Document: demo.documents.first(),
        Statement: Statement.objects.filter(document__project=demo, annotations__isnull=False)
        .distinct()
        .first(),
    }[model]
    url = reverse(f"admin:annotator_{model._meta.model_name}_delete", args=[target.pk])
    client = client_for(lead)
    page = client.get(url)
    assert page.status_code == 200
    assert "Cannot delete" in page.content.decode()
    client.post(url, {"post": "yes"})
    assert model.objects.filter(pk=target.pk).exists()
    with pytest.raises(ProtectedError), transaction.atomic():
        target.delete()


def test_a_statement_without_labels_can_still_be_deleted(demo, lead, client_for):
    document = Document.objects.create(
        project=demo, title="Kurz", text="Ein Satz.", language="de", content_hash="k"
    )
    statement = Statement.objects.create(
        document=document, position=0, text="Ein Satz.", start=0, end=9
    )
    response = client_for(lead).post(
        reverse("admin:annotator_document_delete", args=[document.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Statement.objects.filter(pk=statement.pk).exists()


def test_services_are_used_for_gold_label_deletes_outside_the_admin(unanimous, lead):
    _annotation, gold = unanimous
    gold_id = gold.pk
    gold_label_delete(gold=gold, changed_by=lead)
    assert LabelRevision.objects.filter(kind="gold", object_id=gold_id, action="deleted").exists()
