"""A large article upload and a large project's agreement run as background jobs: the confirm
(or the button) queues a job, the real worker runs it, the job holds the summary or figures."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from annotator.agreement.report import agreement_report, report_json
from annotator.jobs import job_directory
from annotator.models import Document, Job, Project
from annotator.roles import LEADS_GROUP
from tests.helpers import EXAMPLE_ARTICLE, make_user

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "storage"
    settings.ARTICLE_IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")


def run_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO()
    )


def articles(count: int) -> list[SimpleUploadedFile]:
    body = EXAMPLE_ARTICLE.read_text(encoding="utf-8").split("\n", 1)[1]
    return [
        SimpleUploadedFile(f"article-{n}.txt", f"Artikel {n}\n{body}".encode())
        for n in range(count)
    ]


def test_a_large_upload_is_imported_by_the_worker(transactional_demo, client, settings):
    settings.JOB_IMPORT_FILES = 2
    project = Project.objects.create(name="Imported in the background")
    client.force_login(make_user("lena", LEADS_GROUP))
    upload_url = reverse("admin:annotator_document_import_articles")
    response = client.post(
        upload_url, {"project": project.pk, "language": "de", "files": articles(3)}
    )
    response = client.post(response["Location"], {"_confirm": "Confirm import"})
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert response["Location"] == reverse("admin:annotator_job_change", args=[job.pk])
    assert job.state == Job.State.QUEUED and job.params["files"] == 3
    assert not Document.objects.filter(project=project).exists()  # nothing in the request

    run_worker()

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert Document.objects.filter(project=project).count() == 3
    assert job.result["documents_created"] == 3 and job.result["ok"]
    assert (job.done, job.total) == (3, 3)
    assert not (job_directory(job) / "input").exists()  # the stored upload is gone
    page = client.get(response["Location"]).content.decode()
    assert "Documents: 3 created" in page


def test_a_small_upload_is_still_imported_at_once(demo, lead, client_for, settings):
    settings.JOB_IMPORT_FILES = 2
    project = Project.objects.create(name="Imported at once")
    client = client_for(lead)
    upload_url = reverse("admin:annotator_document_import_articles")
    response = client.post(
        upload_url, {"project": project.pk, "language": "de", "files": articles(2)}
    )
    client.post(response["Location"], {"_confirm": "Confirm import"})
    assert Document.objects.filter(project=project).count() == 2
    assert not Job.objects.exists()


@override_settings(TASKS=IMMEDIATE, JOB_AGREEMENT_ANNOTATIONS=5)
def test_a_large_projects_agreement_is_recomputed_as_a_job(demo, lead, client_for):
    client = client_for(lead)
    url = reverse("admin:annotator_project_agreement", args=[demo.pk])
    page = client.get(url).content.decode()
    assert 'id="agreement-background"' in page and "No figures yet" in page
    response = client.post(url)
    job = Job.objects.get(kind=Job.Kind.AGREEMENT)
    assert response["Location"] == reverse("admin:annotator_job_change", args=[job.pk])
    assert job.state == Job.State.SUCCEEDED, job.error
    expected = report_json(agreement_report(project=demo))
    assert job.result["fields"] == expected["fields"]
    page = client.get(url).content.decode()
    assert 'id="fields"' in page and "No figures yet" not in page
    # A filtered view is computed at once, as before.
    document = demo.documents.first()
    assert (
        'id="agreement-background"'
        not in client.get(url, {"document": document.pk}).content.decode()
    )


@override_settings(JOB_AGREEMENT_ANNOTATIONS=5)
def test_annotators_start_no_agreement_job(demo, annotator, client_for):
    demo.annotators.add(annotator)
    url = reverse("admin:annotator_project_agreement", args=[demo.pk])
    assert client_for(annotator).post(url).status_code == 403
    assert not Job.objects.exists()
