"""Only leads import and export: annotators see no button, and every import/export URL and the
dataset download answer 403 to them, whatever they type (blind annotation: the annotation
export would show everybody's labels)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

MODELS = ["source", "document", "statement", "annotation", "goldlabel", "labelgroup", "label"]


def import_export_urls():
    for model in MODELS:
        yield "get", reverse(f"admin:annotator_{model}_import")
        yield "get", reverse(f"admin:annotator_{model}_export")
        yield "post", reverse(f"admin:annotator_{model}_export")
        yield "post", reverse(f"admin:annotator_{model}_process_import")


def dataset_urls(project):
    url = reverse("admin:annotator_project_export_dataset", args=[project.pk])
    return [url, url + "?format=jsonl", url + "?format=csv&real_names=on"]


def test_an_annotator_gets_403_on_every_import_and_export_url(project, annotator, client_for):
    client = client_for(annotator)
    for method, url in import_export_urls():
        data = {"format": "0", "resource": "0"}
        if method == "post" and url.endswith("import/"):
            data["import_file"] = SimpleUploadedFile("x.csv", b"name\nX\n")
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)


def test_an_annotator_gets_403_on_the_dataset_download(project, annotator, client_for):
    client = client_for(annotator)
    for url in dataset_urls(project):
        response = client.get(url)
        assert response.status_code == 403, url
        response = client.post(url, {"format": "jsonl"})
        assert response.status_code == 403, url
    assert not project.jobs.exists()


def test_an_annotator_sees_no_import_or_export_button(project, annotator, client_for):
    client = client_for(annotator)
    for model in ["source", "annotation", "labelgroup", "label"]:
        response = client.get(reverse(f"admin:annotator_{model}_changelist"))
        assert response.status_code == 200
        page = response.content.decode()
        assert reverse(f"admin:annotator_{model}_import") not in page
        assert reverse(f"admin:annotator_{model}_export") not in page
    page = client.get(reverse("admin:annotator_project_change", args=[project.pk])).content
    assert b"export-dataset-link" not in page


def test_a_permission_granted_by_hand_does_not_open_the_annotation_export(
    project, annotator, client_for
):
    """Defence in depth: the lead role is checked too, not only the permission code."""
    annotator.user_permissions.add(
        *Permission.objects.filter(codename__in=["export_annotation", "import_annotation"])
    )
    client = client_for(annotator)
    assert client.get(reverse("admin:annotator_annotation_export")).status_code == 403
    assert client.get(reverse("admin:annotator_annotation_import")).status_code == 403


def test_a_lead_gets_every_import_and_export_page(project, lead, client_for):
    client = client_for(lead)
    for model in MODELS:
        changelist = client.get(reverse(f"admin:annotator_{model}_changelist")).content.decode()
        for action in ("import", "export"):
            url = reverse(f"admin:annotator_{model}_{action}")
            assert url in changelist, (model, action)
            assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:annotator_project_change", args=[project.pk])).content
    assert b"export-dataset-link" in page
    response = client.get(dataset_urls(project)[0])
    assert response.status_code == 200
    assert b"dataset-export-form" in response.content


@pytest.mark.parametrize("view", ["import", "export"])
def test_the_formats_are_csv_xlsx_json_yaml_tsv(lead, client_for, view):
    response = client_for(lead).get(reverse(f"admin:annotator_source_{view}"))
    choices = [label for value, label in response.context["form"].fields["format"].choices if value]
    assert choices == ["csv", "xlsx", "json", "yaml", "tsv"]
