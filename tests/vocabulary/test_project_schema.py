"""Each project owns its label schema: its forms offer only its groups (in its order, required as
it says), labels outside it are refused, agreement, the disagreement queue, exports and the card
follow it, a group in use is retired there (never removed) and every change is recorded with its
date and shown on the agreement page."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotator.adjudication.forms import QueueFilterForm, gold_form_class
from annotator.agreement.data import agreement_data
from annotator.datasets.card import vocabulary
from annotator.labelling import label_groups_offered, project_label_groups
from annotator.models import Annotation, LabelGroup, Project, ProjectLabelGroup, SchemaChange
from annotator.vocabulary.services import (
    label_groups_delete_or_retire,
    schema_copy,
    schema_entries_remove,
    schema_entry_add,
)
from tests.factories import DocumentFactory, LabelGroupFactory, ProjectFactory
from tests.helpers import annotation_submit, group_field, label


@pytest.fixture
def stance_study(demo, annotator):
    """The demo's second project: its own Topic group and Stance, both required there."""
    project = Project.objects.get(name="Themen und Haltung (Demo)")
    project.annotators.add(annotator)
    return project


def names(groups) -> list[str]:
    return [group.name for group in groups]


def test_each_project_offers_only_its_own_groups_in_its_order(demo, stance_study):
    assert names(label_groups_offered(demo)) == ["Bias", "Stance", "Persuasion techniques"]
    assert names(label_groups_offered(stance_study)) == ["Topic", "Stance"]
    stance = {group.name: group for group in label_groups_offered(stance_study)}["Stance"]
    assert stance.required and not LabelGroup.objects.get(name="Stance").required


def test_the_annotation_form_shows_only_the_projects_groups(
    demo, stance_study, annotator, client_for
):
    demo.annotators.add(annotator)
    client = client_for(annotator)
    demo_statement = demo.documents.first().statements.first()
    other_statement = DocumentFactory(project=stance_study).statements.first()
    add = reverse("admin:annotator_annotation_add")
    demo_page = client.get(f"{add}?statement={demo_statement.pk}").content.decode()
    other_page = client.get(f"{add}?statement={other_statement.pk}").content.decode()
    assert group_field("Bias") in demo_page and group_field("Topic") not in demo_page
    assert group_field("Topic") in other_page and group_field("Stance") in other_page
    assert group_field("Bias") not in other_page
    assert group_field("Persuasion techniques") not in other_page


def test_a_label_outside_the_schema_is_refused_and_the_projects_required_group_holds(
    stance_study, annotator
):
    statement = DocumentFactory(project=stance_study).statements.first()
    with pytest.raises(ValidationError, match="not part of this project's label schema"):
        annotation_submit(
            statement, annotator, labels=[label("Bias", "biased"), label("Stance", "neutral")]
        )
    with pytest.raises(ValidationError, match="“Stance” is required"):
        annotation_submit(statement, annotator, labels=[label("Topic", "diplomacy")])
    assert not Annotation.objects.filter(statement=statement).exists()
    chosen = [label("Stance", "neutral"), label("Topic", "military")]
    saved = annotation_submit(statement, annotator, labels=chosen)
    assert {str(lab) for lab in saved.labels.all()} == {"Stance: neutral", "Topic: military"}


def test_the_gold_form_queue_filter_agreement_and_card_follow_the_schema(demo, stance_study):
    form_class = gold_form_class(stance_study)
    assert names(form_class.label_groups) == ["Topic", "Stance"]
    assert group_field("Bias") not in form_class.base_fields
    choices = dict(QueueFilterForm({}, project=stance_study).fields["field"].choices)
    assert "Topic" in choices and "Bias" not in choices
    keys = {field.key for field in agreement_data(project=stance_study).main_fields}
    assert "Topic" in keys and "Bias" not in keys
    assert [group["name"] for group in vocabulary(stance_study)] == ["Topic", "Stance"]
    assert [group["name"] for group in vocabulary(demo)] == [
        "Bias",
        "Stance",
        "Persuasion techniques",
    ]


def test_a_group_in_use_is_retired_in_the_project_and_an_unused_one_removed(demo, lead):
    entries = ProjectLabelGroup.objects.filter(
        project=demo, group__name__in=["Bias", "Stance"]
    ).order_by("position")
    outcome = schema_entries_remove(entries=entries, changed_by=lead)
    assert outcome.retired == ("Bias", "Stance")  # the demo's annotations use both
    assert names(label_groups_offered(demo)) == ["Persuasion techniques"]
    # Retired, not lost: agreement still compares the labels given.
    assert "Bias" in names(project_label_groups(demo))
    assert "Bias" in {field.key for field in agreement_data(project=demo).main_fields}
    unused = LabelGroupFactory(name="Unused")
    schema_entry_add(project=demo, group=unused)
    outcome = schema_entries_remove(
        entries=ProjectLabelGroup.objects.filter(project=demo, group=unused), changed_by=lead
    )
    assert outcome.deleted == ("Unused",)
    assert not ProjectLabelGroup.objects.filter(project=demo, group=unused).exists()
    actions = list(
        SchemaChange.objects.filter(project=demo)
        .order_by("id")
        .values_list("action", "group_name", "changed_by")
    )
    assert actions[-4:] == [
        ("retired", "Bias", lead.pk),
        ("retired", "Stance", lead.pk),
        ("added", "Unused", None),
        ("removed", "Unused", lead.pk),
    ]


def test_the_agreement_page_says_figures_across_a_schema_change_are_not_comparable(
    demo, lead, client_for
):
    client = client_for(lead)
    url = reverse("admin:annotator_project_agreement", args=[demo.pk])
    assert 'id="schema-changes"' not in client.get(url).content.decode()
    schema_entries_remove(
        entries=ProjectLabelGroup.objects.filter(project=demo, group__name="Stance"),
        changed_by=lead,
    )
    page = client.get(url).content.decode()
    assert 'id="schema-changes"' in page and "Stance" in page
    assert "not comparable" in page


def test_a_group_retired_everywhere_is_recorded_in_every_project_offering_it(demo, stance_study):
    label_groups_delete_or_retire(groups=LabelGroup.objects.filter(name="Stance"))
    for project in (demo, stance_study):
        assert "Stance" not in names(label_groups_offered(project))
        assert SchemaChange.objects.filter(
            project=project, action="retired", group_name="Stance"
        ).exists()


def test_a_project_starts_from_a_copy_of_another_schema_or_the_template(demo, stance_study):
    copy = ProjectFactory(name="Copy", schema=[])
    assert schema_copy(project=copy, source=stance_study) == 2
    assert [(g.name, g.required) for g in label_groups_offered(copy)] == [
        ("Topic", True),
        ("Stance", True),
    ]
    template = ProjectFactory(name="From the template", schema=[])
    schema_copy(project=template, source=None)
    assert set(names(label_groups_offered(template))) == set(
        LabelGroup.objects.filter(retired_at__isnull=True).values_list("name", flat=True)
    )


def test_a_lead_adds_a_project_with_a_copied_schema_in_the_admin(
    demo, stance_study, lead, client_for
):
    client = client_for(lead)
    page = client.get(reverse("admin:annotator_project_add")).content.decode()
    assert 'name="schema_from"' in page
    response = client.post(
        reverse("admin:annotator_project_add"),
        {
            "name": "Copied",
            "guidelines_version": "1.0",
            "annotations_per_statement": 2,
            "schema_from": str(stance_study.pk),
            "schema_entries-TOTAL_FORMS": 0,
            "schema_entries-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    copied = Project.objects.get(name="Copied")
    assert names(label_groups_offered(copied)) == ["Topic", "Stance"]


def test_the_migration_gives_every_existing_project_the_groups_it_showed(demo):
    ProjectLabelGroup.objects.all().delete()
    LabelGroup.objects.filter(name="Stance").update(retired_at="2026-01-01T00:00Z")
    other = Project.objects.create(name="Before the schema")
    migration = importlib.import_module("annotator.migrations.0013_project_label_schema")
    migration.schemas_from_today(apps, None)
    every = names(LabelGroup.objects.order_by("position", "name"))
    assert {"Bias", "Stance", "Persuasion techniques", "Topic"} <= set(every)
    for project in (demo, other):
        assert names(project_label_groups(project)) == every
        assert names(label_groups_offered(project)) == [name for name in every if name != "Stance"]
