"""Stable keys, names in German and English, and hotkeys as part of a project's schema."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from annotator.agreement.report import agreement_report, json_key
from annotator.datasets.card import vocabulary
from annotator.models import Label, LabelGroup, Source
from annotator.vocabulary.hotkeys import SPARE_KEYS, hotkeys_assign
from annotator.vocabulary.selectors import schema_hotkeys
from annotator.vocabulary.services import schema_entry_add
from tests.factories import LabelFactory, LabelGroupFactory, ProjectFactory


def test_groups_and_labels_get_unique_stable_keys(db):
    first = LabelGroupFactory(name="Bias study")
    second = LabelGroupFactory(name="Bias-Study")
    assert (first.key, second.key) == ("bias-study", "bias-study-2")
    a = LabelFactory(group=first, name="Pro Russia")
    b = LabelFactory(group=first, name="pro russia!")
    other = LabelFactory(group=second, name="Pro Russia")
    assert (a.key, b.key, other.key) == ("pro-russia", "pro-russia-2", "pro-russia")
    first.name = "Renamed"
    first.save()
    first.refresh_from_db()
    assert first.key == "bias-study"  # stable: a new name keeps the key


def test_the_migration_gives_keys_and_english_names(demo):
    Label.objects.update(name_en="", description_en="")
    LabelGroup.objects.update(name_en="")
    for number, group in enumerate(LabelGroup.objects.all()):
        LabelGroup.objects.filter(pk=group.pk).update(key=f"old-{number}")
    migration = importlib.import_module("annotator.migrations.0014_keys_languages_hotkeys")
    migration.keys_and_english_names(apps, None)
    bias = LabelGroup.objects.get(name="Bias")
    assert (bias.key, bias.name_en) == ("bias", "Bias")
    label = Label.objects.get(group=bias, name="non-biased")
    assert (label.key, label.name_en) == ("non-biased", "non-biased")
    assert label.description_en == label.description


def test_names_follow_the_interface_language_with_a_fallback(demo):
    bias = LabelGroup.objects.get(name="Bias")
    with translation.override("de"):
        assert bias.display_name == "Verzerrung"
        assert "einseitig" in bias.display_description
    with translation.override("en"):
        assert bias.display_name == "Bias"
    bias.name_de = ""
    with translation.override("de"):
        assert bias.display_name == "Bias"  # the English name where no German one is written
    source = Source(name="KCNA", display_name_de="Nordkoreanische Nachrichtenagentur KCNA")
    with translation.override("de"):
        assert source.display_name == "Nordkoreanische Nachrichtenagentur KCNA"
    with translation.override("en"):
        assert source.display_name == "Nordkoreanische Nachrichtenagentur KCNA"
    assert Source(name="KCNA").display_name == "KCNA"


def test_the_annotation_form_names_groups_and_labels_in_the_annotators_language(
    client_for, project, annotator
):
    client = client_for(annotator)
    statement = project.documents.first().statements.first()
    url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    german = client.get(url, headers={"accept-language": "de"}).content.decode()
    assert "Verzerrung" in german and "nicht verzerrt" in german
    assert "Überzeugungstechniken" in german and "emotional aufgeladene Sprache" in german
    assert "Persuasion techniques" not in german and "non-biased" not in german
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Persuasion techniques" in english and "non-biased" in english
    assert "Verzerrung" not in english


def test_the_annotator_reads_the_guidelines_of_her_language(client_for, project, annotator):
    project.guidelines = "Common guidelines."
    project.guidelines_de = "Richtlinien auf Deutsch."
    project.guidelines_en = "Guidelines in English."
    project.save()
    client = client_for(annotator)
    url = reverse("admin:annotator_project_change", args=[project.pk])
    german = client.get(url, headers={"accept-language": "de"}).content.decode()
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Richtlinien auf Deutsch." in german and "Guidelines in English." not in german
    assert "Guidelines in English." in english and "Richtlinien auf Deutsch." not in english


def test_the_card_carries_keys_and_both_names(demo):
    bias = next(group for group in vocabulary(demo) if group["name"] == "Bias")
    assert (bias["key"], bias["name_de"], bias["name_en"]) == ("bias", "Verzerrung", "Bias")
    labels = {label["key"]: label for label in bias["labels"]}
    assert labels["non-biased"]["name_de"] == "nicht verzerrt"


def test_agreement_json_names_label_groups_and_labels_by_key(demo):
    keys = {json_key(figure.field) for figure in agreement_report(project=demo).fields}
    assert {"bias", "stance", "persuasion-techniques"} <= keys
    assert "persuasion-techniques:loaded-language" in {
        json_key(field) for field in agreement_report(project=demo).data.fields
    }


# --- hotkeys -----------------------------------------------------------------------------------


def test_hotkeys_keep_stored_keys_and_give_the_rest_free_ones_without_conflicts():
    labels = [(1, None, "alpha"), (2, "1", "beta"), (3, "1", "gamma"), (4, "x", "xenon")]
    keys = hotkeys_assign([*labels, (5, None, "alpha")], frozenset({"2"}))
    assert keys[2] == "1" and keys[4] == "X"  # stored, first come first served
    assert keys[3] not in ("1", "2", "X")  # the conflicting stored key is replaced
    assert len(set(keys.values())) == len(keys) == 5
    assert "2" not in keys.values()  # reserved by the page
    assert (keys[1], keys[5]) == ("A", "L")  # the first free letters of their names
    many = hotkeys_assign([(pk, None, "a") for pk in range(len(SPARE_KEYS) + 3)])
    assert len(many) == len(SPARE_KEYS) and len(set(many.values())) == len(SPARE_KEYS)


@pytest.mark.parametrize("reserved", [frozenset(), frozenset({"1", "S", "N"})])
def test_schema_hotkeys_are_unique_in_every_project(demo, reserved):
    other = ProjectFactory(name="Hotkeys", schema=[])
    topic = LabelGroupFactory(name="Region")
    LabelFactory(group=topic, name="war", hotkey="1")
    LabelFactory(group=topic, name="trade")
    LabelFactory(group=LabelGroupFactory(name="Tone"), name="calm", hotkey="1")
    schema_entry_add(project=other, group=topic)
    schema_entry_add(project=other, group=LabelGroup.objects.get(name="Tone"))
    schema_entry_add(project=other, group=LabelGroup.objects.get(name="Stance"))
    for project in (demo, other):
        keys = schema_hotkeys(project, reserved)
        offered = Label.objects.filter(
            group__project_entries__project=project,
            group__project_entries__retired_at__isnull=True,
            retired_at__isnull=True,
        )
        assert set(keys) == set(offered.values_list("pk", flat=True))
        assert len(set(keys.values())) == len(keys)
        assert not set(keys.values()) & reserved
    keys = schema_hotkeys(other, reserved)
    war = Label.objects.get(group=topic, name="war")
    calm = Label.objects.get(name="calm")
    if "1" not in reserved:
        assert keys[war.pk] == "1" and keys[calm.pk] != "1"
    retired = Label.objects.get(group__name="Stance", name="neutral")
    retired.retired_at = "2026-01-01T00:00Z"
    retired.save()
    assert retired.pk not in schema_hotkeys(other, reserved)
