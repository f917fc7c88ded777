"""The demo runs two projects with different label schemas side by side: the article as a
bias-and-stance study, and the same article as a study of topic and stance. Each form, agreement
page, export and card shows only its own schema, in German and in English."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotator.datasets.bundle import card_meta
from annotator.labelling import label_groups_offered
from annotator.models import Annotation, Project

STUDY = "Themen und Haltung (Demo)"
# What each project's pages name, by language; the other project's own groups must not appear.
OWN = {
    "demo": {
        "de": ["Verzerrung", "Überzeugungstechniken"],
        "en": ["Bias", "Persuasion techniques"],
    },
    "study": {"de": ["Thema", "Militär"], "en": ["Topic", "military"]},
}
FOREIGN = {"demo": "study", "study": "demo"}


@pytest.fixture
def projects(demo, annotator):
    study = Project.objects.get(name=STUDY)
    for project in (demo, study):
        project.annotators.add(annotator)
    return {"demo": demo, "study": study}


def test_the_demo_loads_two_projects_with_their_own_schemas(projects):
    assert [g.name for g in label_groups_offered(projects["demo"])] == [
        "Bias",
        "Stance",
        "Persuasion techniques",
    ]
    assert [(g.name, g.required) for g in label_groups_offered(projects["study"])] == [
        ("Topic", True),
        ("Stance", True),
    ]
    study_labels = Annotation.objects.filter(
        statement__document__project=projects["study"]
    ).values_list("labels__group__name", flat=True)
    assert set(study_labels) == {"Topic", "Stance"}
    assert study_labels.count() > 0


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("which", ["demo", "study"])
def test_each_form_and_agreement_page_shows_only_its_own_schema(
    projects, which, language, annotator, lead, client_for
):
    project = projects[which]
    own, foreign = OWN[which][language], OWN[FOREIGN[which]][language]
    headers = {"accept-language": language}
    statement = project.documents.first().statements.first()
    form = client_for(annotator).get(
        reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}", headers=headers
    )
    agreement = client_for(lead).get(
        reverse("admin:annotator_project_agreement", args=[project.pk]), headers=headers
    )
    for page in (form.content.decode(), agreement.content.decode()):
        for name in own:
            assert name in page, (which, language, name)
        for name in foreign:
            assert name not in page, (which, language, name)


@pytest.mark.parametrize("which", ["demo", "study"])
def test_each_export_and_card_carries_only_its_own_schema(projects, which, tmp_path):
    project = projects[which]
    path = tmp_path / f"{which}.jsonl"
    call_command(
        "export_dataset", "--project", project.name, "--format", "jsonl", "--output", str(path),
        stdout=io.StringIO(),
    )  # fmt: skip
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    groups = {name for r in records for a in r["annotations"] for name in a["labels"]}
    meta = card_meta((tmp_path / f"{which}.jsonl.card.md").read_text(encoding="utf-8"))
    card_groups = {group["key"] for group in meta["label_groups"]}  # the data names them by key
    expected = {"demo": {"bias", "stance", "persuasion-techniques"}, "study": {"topic", "stance"}}
    assert groups == card_groups == expected[which]
    names = {(g["name_de"], g["name_en"]) for g in meta["label_groups"]}
    assert ("Haltung", "Stance") in names
    assert (("Thema", "Topic") in names) == (which == "study")
