"""The admin's dataset export as a background job: the lead starts it, a real worker
(`manage.py db_worker`, the database backend's) runs it, the lead downloads the zip later from
the job's page; annotators reach none of it. A stale job (no heartbeat: its worker was killed)
is retried and leaves only the finished file; a failing job shows its error and no file."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from annotator.datasets.tasks import dataset_export_task
from annotator.jobs import can_retry, is_stale, job_directory, job_enqueue, job_retry
from annotator.models import Job, Statement
from annotator.roles import ANNOTATORS_GROUP, LEADS_GROUP
from tests.helpers import make_user

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "storage"
    return settings.MEDIA_ROOT


def run_worker() -> None:
    """The database backend's own worker, until the queue is empty."""
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO()
    )


def export_command_output(tmp_path, project, fmt, *options) -> bytes:
    path = tmp_path / f"command.{fmt}"
    call_command(
        "export_dataset", "--project", project.name, "--format", fmt, "--output", str(path),
        *options, stdout=io.StringIO(),
    )  # fmt: skip
    return path.read_bytes()


def downloaded(client, job) -> zipfile.ZipFile:
    response = client.get(reverse("admin:annotator_job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_a_lead_starts_an_export_a_worker_runs_it_and_the_lead_downloads_it(
    transactional_demo, client, tmp_path
):
    lead = make_user("lena", LEADS_GROUP)
    client.force_login(lead)
    url = reverse("admin:annotator_project_export_dataset", args=[transactional_demo.pk])
    response = client.post(url, {"format": "jsonl", "real_names": "on"})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:annotator_job_change", args=[job.pk])
    assert (job.kind, job.state, job.created_by, job.file) == ("export", "queued", lead, "")
    page = client.get(response["Location"]).content.decode()
    assert "queued" in page and "job-download" not in page

    run_worker()

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.attempts == 1 and job.finished_at >= job.started_at
    assert job.done == job.total == job.result["bytes"]
    page = client.get(response["Location"]).content.decode()
    assert "job-download" in page
    archive = downloaded(client, job)
    names = archive.namelist()
    assert names[0].endswith(".jsonl")
    assert names[1:] == [names[0] + ".documents.jsonl", names[0] + ".card.md"]
    command_data = export_command_output(tmp_path, transactional_demo, "jsonl", "--real-names")
    assert archive.read(names[0]) == command_data
    assert "--real-names" in archive.read(names[2]).decode()
    # Only the finished zip is left in the job's directory: no partial file, no scratch files.
    assert [p.name for p in job_directory(job).iterdir()] == [job.file.split("/")[-1]]


@override_settings(TASKS=IMMEDIATE)
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_format_runs_as_a_job(demo, lead, client_for, fmt):
    client = client_for(lead)
    url = reverse("admin:annotator_project_export_dataset", args=[demo.pk])
    client.post(url, {"format": fmt, "gold_only": "on"})
    job = Job.objects.get()
    assert job.state == Job.State.SUCCEEDED, job.error  # the immediate backend ran it
    archive = downloaded(client, job)
    assert archive.namelist()[0].endswith(f".{fmt}")
    assert "only statements with a gold label" in archive.read(archive.namelist()[2]).decode()


@override_settings(TASKS=IMMEDIATE)
def test_annotators_reach_no_job_no_export_and_no_download(demo, lead, client_for):
    job = job_enqueue(
        dataset_export_task,
        kind=Job.Kind.EXPORT,
        project=demo,
        user=lead,
        params={"format": "jsonl"},
    )
    assert job.state == Job.State.SUCCEEDED
    annotator = make_user("alice", ANNOTATORS_GROUP)
    demo.annotators.add(annotator)
    client = client_for(annotator)
    export_url = reverse("admin:annotator_project_export_dataset", args=[demo.pk])
    assert client.post(export_url, {"format": "jsonl"}).status_code == 403
    for name, args in [
        ("admin:annotator_job_changelist", []),
        ("admin:annotator_job_change", [job.pk]),
        ("admin:annotator_job_download", [job.pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code in (403, 404), name
        assert not getattr(response, "streaming", False)
    assert client.post(reverse("admin:annotator_job_retry", args=[job.pk])).status_code == 403
    assert Job.objects.count() == 1
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:annotator_job_changelist") not in index


def test_a_download_of_an_unfinished_or_unknown_job_is_404(demo, lead, client_for):
    job = job_enqueue(
        dataset_export_task, kind=Job.Kind.EXPORT, project=demo, user=lead,
        params={"format": "jsonl"},
    )  # fmt: skip
    client = client_for(lead)
    assert job.state == Job.State.QUEUED  # the database backend: nobody ran it yet
    for object_id in [job.pk, 999999, "abc"]:
        response = client.get(reverse("admin:annotator_job_download", args=[object_id]))
        assert response.status_code == 404


@override_settings(TASKS=IMMEDIATE)
def test_a_failing_job_shows_its_error_leaves_no_file_and_can_be_retried(demo, lead):
    job = job_enqueue(
        dataset_export_task, kind=Job.Kind.EXPORT, project=demo, user=lead,
        params={"format": "docx"},
    )  # fmt: skip
    assert job.state == Job.State.FAILED
    assert "docx" in job.error and job.file == ""
    assert not any(job_directory(job).rglob("*.zip"))
    assert can_retry(job)
    job.params = {"format": "jsonl"}
    job.save()
    assert job_retry(job)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (Job.State.SUCCEEDED, 2, "")


def test_a_stale_job_is_retried_and_a_killed_attempts_leftovers_are_removed(
    transactional_demo, client
):
    lead = make_user("lena", LEADS_GROUP)
    job = job_enqueue(
        dataset_export_task, kind=Job.Kind.EXPORT, project=transactional_demo, user=lead,
        params={"format": "csv"},
    )  # fmt: skip
    # What a worker killed half-way leaves: the job "running", its heartbeat old, and a
    # partial zip and scratch files in its directory (never a finished file).
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, started_at=long_ago, heartbeat_at=long_ago, attempts=1
    )
    directory = job_directory(job)
    (directory / ".files-x").mkdir(parents=True)
    (directory / ".files-x" / "half.csv").write_bytes(b"statement_id,")
    (directory / ".demo-csv.zip.partial").write_bytes(b"PK")
    job.refresh_from_db()
    assert is_stale(job) and can_retry(job)
    run_worker()  # the first task is marked done by the worker; the job stays stale
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING

    client.force_login(lead)
    response = client.post(reverse("admin:annotator_job_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.attempts == 2
    assert [p.name for p in directory.iterdir()] == [job.file.split("/")[-1]]
    rows = downloaded(client, job).read(job.file.split("/")[-1].removesuffix("-csv.zip") + ".csv")
    statements = Statement.objects.filter(document__project=transactional_demo).count()
    assert rows.count(b"\r\n") > statements


def test_a_running_job_with_a_fresh_heartbeat_cannot_be_retried(demo, lead):
    job = job_enqueue(
        dataset_export_task, kind=Job.Kind.EXPORT, project=demo, user=lead,
        params={"format": "csv"},
    )  # fmt: skip
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    job.refresh_from_db()
    assert not is_stale(job)
    assert not job_retry(job)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING
