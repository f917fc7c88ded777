"""The delete pages of labels and label groups say what will really happen: one in use is
retired, not deleted (no longer offered; kept in the history, agreement and exports), with how
many annotations and gold labels have it, in English and German; one never given gets the
admin's normal delete page."""

import pytest
from django.urls import reverse

from annotator.adjudication.services import gold_label_decide
from annotator.models import Annotation, GoldLabel, Label, LabelGroup, Statement

DJANGO_DELETE = "Are you sure you want to delete"


def holders(labels) -> tuple[int, int]:
    """Counted here one by one, apart from the code under test."""
    ids = set(labels.values_list("pk", flat=True))

    def has(labelling) -> bool:
        return bool(ids & set(labelling.labels.values_list("pk", flat=True)))

    return sum(map(has, Annotation.objects.all())), sum(map(has, GoldLabel.objects.all()))


def phrase(annotations: int, gold_labels: int) -> str:
    return (
        f"{annotations} annotation{'s' if annotations != 1 else ''} and "
        f"{gold_labels} gold label{'s' if gold_labels != 1 else ''}"
    )


def delete_page(client, model: str, pk: int, language: str = "en") -> str:
    page = client.get(
        reverse(f"admin:annotator_{model}_delete", args=[pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    return page.content.decode()


def test_a_group_in_use_gets_a_page_that_says_it_is_retired(demo, lead, client_for):
    group = LabelGroup.objects.get(name="Bias")
    annotations, gold_labels = holders(group.labels.all())
    assert annotations > 0
    text = delete_page(client_for(lead), "labelgroup", group.pk)
    assert "The label group “Bias” is in use" in text
    assert phrase(annotations, gold_labels) in text
    assert "<strong>retired, not deleted</strong>" in text
    assert "in the history, the agreement figures and the exports" in text
    assert DJANGO_DELETE not in text and "All of the following related items" not in text
    assert 'value="Yes, retire it"' in text


def test_a_label_in_use_gets_a_page_that_says_it_is_retired(demo, lead, client_for):
    biased = Label.objects.get(group__name="Bias", name="biased")
    statement = Statement.objects.filter(document__project=demo).first()
    gold = GoldLabel(statement=statement, source_reliability="C", info_credibility="3")
    gold_label_decide(gold=gold, labels=[biased], decided_by=lead)
    annotations, gold_labels = holders(Label.objects.filter(pk=biased.pk))
    assert annotations > 0 and gold_labels > 0
    text = delete_page(client_for(lead), "label", biased.pk)
    assert "The label “Bias: biased” is in use" in text
    assert phrase(annotations, gold_labels) in text
    assert "it stays on every annotation and gold label that has it" in text
    assert DJANGO_DELETE not in text


def test_the_page_reads_in_german(demo, lead, client_for):
    group = LabelGroup.objects.get(name="Bias")
    annotations, gold_labels = holders(group.labels.all())
    text = delete_page(client_for(lead), "labelgroup", group.pk, language="de")
    assert "Die Label-Gruppe „Bias“ wird verwendet" in text
    assert f"{annotations} Annotationen" in text
    assert "<strong>stillgelegt, nicht gelöscht</strong>" in text
    assert "Ja, stilllegen" in text
    assert "Sind Sie sicher" not in text


@pytest.mark.parametrize("model", ["labelgroup", "label"])
def test_one_never_given_gets_the_normal_delete_page(demo, lead, client_for, model):
    group = LabelGroup.objects.create(name="Never given")
    unused = Label.objects.create(group=group, name="unused")
    text = delete_page(client_for(lead), model, group.pk if model == "labelgroup" else unused.pk)
    assert DJANGO_DELETE in text
    assert "retired, not deleted" not in text


def bulk_page(client, model: str, items) -> str:
    page = client.post(
        reverse(f"admin:annotator_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [item.pk for item in items]},
    )
    assert page.status_code == 200
    return page.content.decode()


def test_the_bulk_page_tells_retired_from_deleted(demo, lead, client_for):
    biased = Label.objects.get(group__name="Bias", name="biased")
    unused = Label.objects.create(group=biased.group, name="never given")
    text = bulk_page(client_for(lead), "label", [biased, unused])
    retired, deleted = text.split("Deleted (never given)")
    assert "Retired, not deleted (in use)" in retired
    assert (
        f"Bias: biased: {phrase(*holders(Label.objects.filter(pk=biased.pk)))} have it" in retired
    )
    assert "never given" in deleted and "Bias: biased" not in deleted
    assert DJANGO_DELETE not in text
    assert Label.objects.filter(pk=unused.pk).exists()  # the page deletes nothing


def test_the_bulk_page_of_unused_labels_is_the_normal_one(demo, lead, client_for):
    group = LabelGroup.objects.create(name="Never given")
    unused = Label.objects.create(group=group, name="unused")
    text = bulk_page(client_for(lead), "label", [unused])
    assert DJANGO_DELETE in text and "Retired, not deleted" not in text
