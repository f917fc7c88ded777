"""A project may make a label group single or multiple choice for itself (its schema entry's
`multiple`; empty: as the group defines it), as it may make it required: the annotation form,
the label rules, agreement (nominal or MASI), the exports, the card and `import_dataset` follow
the project's choice, and another project using the same group keeps the group's own."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from annotator.agreement.data import agreement_data
from annotator.datasets.bundle import card_meta
from annotator.labelling import project_label_groups
from annotator.models import Annotation, LabelGroup, Project, ProjectLabelGroup
from annotator.vocabulary.services import schema_copy
from tests.factories import DocumentFactory, ProjectFactory
from tests.helpers import annotation_submit, group_field, label

STUDY = "Themen und Haltung (Demo)"


@pytest.fixture
def stance_study(demo, annotator):
    """The demo's second project, where Stance (single choice in the vocabulary and in the
    demo project) becomes multiple choice."""
    project = Project.objects.get(name=STUDY)
    project.annotators.add(annotator)
    ProjectLabelGroup.objects.filter(project=project, group__name="Stance").update(multiple=True)
    return project


def stance_of(project) -> LabelGroup:
    return next(group for group in project_label_groups(project) if group.name == "Stance")


def test_the_project_overrides_the_groups_choice_and_another_project_keeps_it(demo, stance_study):
    assert stance_of(stance_study).multiple is True
    assert stance_of(demo).multiple is False
    assert LabelGroup.objects.get(name="Stance").multiple is False
    ProjectLabelGroup.objects.filter(project=stance_study, group__name="Stance").update(
        multiple=None
    )
    assert stance_of(stance_study).multiple is False  # empty: the group's own


def test_the_form_offers_checkboxes_in_one_project_and_radio_buttons_in_the_other(
    demo, stance_study, annotator, client_for
):
    demo.annotators.add(annotator)
    client = client_for(annotator)
    add = reverse("admin:annotator_annotation_add")
    field = group_field("Stance")
    study_statement = DocumentFactory(project=stance_study).statements.first()
    study_page = client.get(f"{add}?statement={study_statement.pk}").content.decode()
    demo_statement = demo.documents.first().statements.first()
    demo_page = client.get(f"{add}?statement={demo_statement.pk}").content.decode()
    assert f'type="checkbox" name="{field}"' in study_page
    assert f'type="radio" name="{field}"' in demo_page
    assert f'type="checkbox" name="{field}"' not in demo_page


def test_the_label_rules_follow_the_project(demo, stance_study, annotator):
    demo.annotators.add(annotator)
    both = [label("Stance", "pro-Russia"), label("Stance", "neutral")]
    study_statement = DocumentFactory(project=stance_study).statements.first()
    saved = annotation_submit(
        study_statement, annotator, labels=[*both, label("Topic", "military")]
    )
    assert saved.labels.filter(group__name="Stance").count() == 2
    demo_statement = demo.documents.first().statements.last()
    Annotation.objects.filter(statement=demo_statement, annotator=annotator).delete()
    with pytest.raises(ValidationError, match="“Stance” takes a single label"):
        annotation_submit(demo_statement, annotator, labels=[label("Bias", "biased"), *both])


def test_agreement_compares_the_projects_multiple_choice_group_with_masi(demo, stance_study):
    def level(project) -> str:
        fields = agreement_data(project=project).main_fields
        return next(field.level for field in fields if field.key == "Stance")

    assert level(stance_study) == "masi"
    assert level(demo) == "nominal"


def export(project, path, fmt="jsonl") -> dict:
    call_command(
        "export_dataset", "--project", project.name, "--format", fmt, "--output", str(path),
        "--real-names", stdout=io.StringIO(),
    )  # fmt: skip
    return card_meta(path.with_name(path.name + ".card.md").read_text(encoding="utf-8"))


def test_exports_and_card_follow_the_project(demo, stance_study, annotator, tmp_path):
    statement = DocumentFactory(project=stance_study).statements.first()
    chosen = [label("Stance", "pro-Russia"), label("Stance", "neutral"), label("Topic", "military")]
    annotation_submit(statement, annotator, labels=chosen)
    meta = export(stance_study, tmp_path / "study.jsonl")
    records = [json.loads(line) for line in (tmp_path / "study.jsonl").read_text().splitlines()]
    stances = [a["labels"]["stance"] for r in records for a in r["annotations"]]
    assert stances and all(isinstance(value, list) for value in stances)
    assert ["pro-russia", "neutral"] in stances
    stance = next(group for group in meta["label_groups"] if group["key"] == "stance")
    assert stance["multiple"] is True
    card = (tmp_path / "study.jsonl.card.md").read_text(encoding="utf-8")
    assert "### labels.stance (multiple choice" in card
    assert "| labels.stance | MASI (sets) |" in card
    demo_meta = export(demo, tmp_path / "demo.jsonl")
    demo_stance = next(group for group in demo_meta["label_groups"] if group["key"] == "stance")
    assert demo_stance["multiple"] is False
    export(stance_study, tmp_path / "study.csv", "csv")
    assert "pro-russia|neutral" in (tmp_path / "study.csv").read_text(encoding="utf-8")


def test_import_dataset_gives_the_imported_project_the_cards_choice(
    stance_study, annotator, tmp_path
):
    statement = DocumentFactory(project=stance_study).statements.first()
    chosen = [label("Stance", "pro-Russia"), label("Stance", "neutral"), label("Topic", "military")]
    annotation_submit(statement, annotator, labels=chosen)
    export(stance_study, tmp_path / "study.jsonl")
    out = io.StringIO()
    call_command(
        "import_dataset", str(tmp_path / "study.jsonl"), "--project", "Copy",
        "--attach-existing-users", stdout=out,
    )  # fmt: skip
    copy = Project.objects.get(name="Copy")
    entry = ProjectLabelGroup.objects.get(project=copy, group__key="stance")
    assert entry.multiple is True  # the group is single choice; the project makes it multiple
    assert ProjectLabelGroup.objects.get(project=copy, group__key="topic").multiple is None
    assert stance_of(copy).multiple is True


def test_a_copied_schema_keeps_the_choice_and_the_schema_inline_offers_it(
    stance_study, lead, client_for
):
    copy = ProjectFactory(name="Copy", schema=[])
    schema_copy(project=copy, source=stance_study)
    assert stance_of(copy).multiple is True
    url = reverse("admin:annotator_project_change", args=[stance_study.pk])
    page = client_for(lead).get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="schema_entries-0-multiple"' in content
    assert '<option value="true" selected>multiple choice</option>' in content
    assert "as the label group defines" in content
