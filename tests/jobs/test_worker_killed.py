"""A worker process killed in the middle of an export (SIGKILL: no clean-up of any kind) on
PostgreSQL: the job stays "running", its heartbeat stops, no downloadable file exists (only the
partial files, whose names start with a dot); once stale it is retried, and a new worker writes
the whole file and removes the killed attempt's leftovers."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from annotator.datasets.tasks import dataset_export_task
from annotator.jobs import can_retry, job_directory, job_enqueue, job_retry
from annotator.models import Job
from annotator.roles import LEADS_GROUP
from tests.helpers import make_user

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS, STATEMENTS_PER_DOCUMENT = 400, 40


def many_statements(project) -> int:
    """DOCUMENTS x STATEMENTS_PER_DOCUMENT statements, each annotated by the project's
    annotators (SQL: a few seconds of export in jsonl, long enough to be killed in)."""
    annotators = list(project.annotators.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO annotator_document (project_id, title, text, language, url, place,
               outlet, listed_sources, external_id, content_hash, created_at)
               SELECT %s, 'Long article ' || d, repeat('Ein Satz. ', %s), 'de', '', '', '',
                      '', 'killed-' || d, md5(d::text) || md5('k' || d), now()
               FROM generate_series(1, %s) d""",
            [project.pk, STATEMENTS_PER_DOCUMENT, DOCUMENTS],
        )
        cursor.execute(
            """INSERT INTO annotator_statement (document_id, position, paragraph, text, start,
               "end", suggested_mention, suggested_cue, suggested_mention_resolved)
               SELECT d.id, p, 0, 'Ein Satz.', p * 10, p * 10 + 9, '', '', ''
               FROM annotator_document d CROSS JOIN generate_series(0, %s) p
               WHERE d.external_id LIKE 'killed-%%'""",
            [STATEMENTS_PER_DOCUMENT - 1],
        )
        cursor.execute(
            """INSERT INTO annotator_annotation (statement_id, annotator_id, source_mention,
               source_reliability, info_credibility, note, status, submitted_at, created_at,
               updated_at, version, skip_reason, seconds_spent, guidelines_version)
               SELECT s.id, u, '', 'B', '2', '', 'submitted', now(), now(), now(), 1, '', 0, ''
               FROM annotator_statement s JOIN annotator_document d ON d.id = s.document_id
               CROSS JOIN unnest(%s::bigint[]) u
               WHERE d.external_id LIKE 'killed-%%'""",
            [annotators],
        )
        return cursor.rowcount


def worker(storage: Path, *extra: str) -> subprocess.Popen:
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    # A heartbeat every 0.1 s: the export is killed after one, long before it can finish
    # (a fast machine writes the whole file within the default 2 s).
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1",
           "DJANGO_MEDIA_ROOT": str(storage), "DJANGO_JOB_HEARTBEAT_SECONDS": "0.1"}  # fmt: skip
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
               "--interval", "0.1", *extra]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def beating_or_finished(job_pk: int) -> bool:
    """Running with at least one heartbeat written after the start; a job that ended before it
    could be killed fails the test at once, with its state, rather than after the timeout."""
    job = Job.objects.get(pk=job_pk)
    assert job.state in (Job.State.QUEUED, Job.State.RUNNING), f"ended first: {job.state}"
    return job.state == Job.State.RUNNING and job.heartbeat_at > job.started_at


def test_a_killed_worker_leaves_no_file_and_the_stale_job_is_retried(
    transactional_demo, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "storage"
    settings.JOB_STALE_SECONDS = 3
    assert many_statements(transactional_demo) > 10_000
    lead = make_user("lena", LEADS_GROUP)
    job = job_enqueue(
        dataset_export_task, kind=Job.Kind.EXPORT, project=transactional_demo, user=lead,
        params={"format": "jsonl"},
    )  # fmt: skip
    process = worker(settings.MEDIA_ROOT)
    try:
        wait_for(lambda: beating_or_finished(job.pk))
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()  # also when the wait failed: no worker outlives the test
        process.wait(30)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING  # nobody said otherwise
    directory = job_directory(job)
    # On a loaded machine the kill can come before the job made its directory: none is no
    # half file either.
    left = list(directory.iterdir()) if directory.exists() else []
    assert all(entry.name.startswith(".") for entry in left)
    assert not any(entry.name.endswith(".zip") for entry in left)
    job = wait_for(lambda: can_retry(Job.objects.get(pk=job.pk)) and Job.objects.get(pk=job.pk))
    assert job_retry(job)
    process = worker(settings.MEDIA_ROOT, "--batch")
    assert process.wait(300) == 0
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.attempts == 2
    assert [entry.name for entry in directory.iterdir()] == [job.file.split("/")[-1]]
