"""A project's label schema moves between installations through the admin's import and export
(leads only): the schema entries by project and group key, the label groups and labels with
their keys, names in both languages and hotkeys. A bad row is reported with its reason and
nothing is written; an added group is recorded as a schema change."""

import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.datasets.resources import FORMATS
from annotator.labelling import label_groups_offered
from annotator.models import Label, ProjectLabelGroup, SchemaChange
from tests.factories import ProjectFactory

CSV = next(str(index) for index, fmt in enumerate(FORMATS) if fmt().get_title() == "csv")


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    return tablib.Dataset(*rows, headers=headers).export("csv").encode()


def export(client, model: str) -> tablib.Dataset:
    from django.contrib import admin

    from annotator import admin as annotator_admin  # noqa: F401 (registers the admins)

    model_class = next(m for m in admin.site._registry if m._meta.model_name == model)
    resource = admin.site._registry[model_class].resource_classes[0]
    chosen = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    response = client.post(
        reverse(f"admin:annotator_{model}_export"), {"format": CSV, "resource": "0", **chosen}
    )
    assert response.status_code == 200, response.content.decode()[-2000:]
    return tablib.Dataset().load(response.content.decode(), format="csv")


def upload(client, model: str, content: bytes):
    return client.post(
        reverse(f"admin:annotator_{model}_import"),
        {"resource": "0", "format": CSV, "import_file": SimpleUploadedFile("s.csv", content)},
    )


def test_the_schema_exports_with_keys_both_names_and_hotkeys(demo, lead, client_for):
    Label.objects.filter(group__name="Bias", name="biased").update(hotkey="b")
    client = client_for(lead)
    schema = export(client, "projectlabelgroup")
    rows = [(row["project"], row["group"]) for row in schema.dict]
    assert (demo.name, "bias") in rows and ("Themen und Haltung (Demo)", "topic") in rows
    assert ("Themen und Haltung (Demo)", "bias") not in rows
    groups = {row["key"]: row for row in export(client, "labelgroup").dict}
    assert (groups["bias"]["name_de"], groups["bias"]["name_en"]) == ("Verzerrung", "Bias")
    labels = {(row["group"], row["key"]): row for row in export(client, "label").dict}
    assert labels[("Bias", "biased")]["hotkey"] == "b"
    assert labels[("Bias", "biased")]["name_de"] == "verzerrt"


def test_a_lead_imports_a_schema_into_another_project(demo, lead, client_for):
    moved = ProjectFactory(name="Moved", schema=[])
    client = client_for(lead)
    content = csv_bytes(
        ["project", "group", "position", "required", "retired_at"],
        [["Moved", "topic", "0", "1", ""], ["Moved", "stance", "1", "0", ""]],
    )
    preview = upload(client, "projectlabelgroup", content)
    assert "confirm_form" in preview.context, preview.content.decode()[-3000:]
    assert not ProjectLabelGroup.objects.filter(project=moved).exists()  # a preview writes nothing
    response = client.post(
        reverse("admin:annotator_projectlabelgroup_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert response.status_code == 302
    assert [(g.name, g.required) for g in label_groups_offered(moved)] == [
        ("Topic", True),
        ("Stance", False),
    ]
    assert set(SchemaChange.objects.filter(project=moved).values_list("action", "group_name")) == {
        ("added", "Topic"),
        ("added", "Stance"),
    }


def test_a_bad_schema_row_is_reported_and_nothing_is_written(demo, lead, client_for):
    moved = ProjectFactory(name="Moved", schema=[])
    content = csv_bytes(
        ["project", "group", "position", "required", "retired_at"],
        [["Moved", "topic", "0", "1", ""], ["Moved", "no-such-group", "1", "0", ""]],
    )
    page = upload(client_for(lead), "projectlabelgroup", content).content.decode()
    assert "Unknown label group “no-such-group”" in page
    assert not ProjectLabelGroup.objects.filter(project=moved).exists()


def test_annotators_can_neither_import_nor_export_a_schema(demo, annotator, client_for):
    demo.annotators.add(annotator)
    client = client_for(annotator)
    assert client.get(reverse("admin:annotator_projectlabelgroup_import")).status_code == 403
    assert client.get(reverse("admin:annotator_projectlabelgroup_export")).status_code == 403
