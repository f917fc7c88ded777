"""A large article import as a background job: the confirmed upload (past
JOB_IMPORT_FILES files or JOB_IMPORT_BYTES bytes) is kept in the job's "input" folder and
imported by a worker, with the files done as progress and the import's summary as result.
Each document is written in its own transaction, so a retried job skips what a killed attempt
already wrote (running.py)."""

from __future__ import annotations

import json
import shutil

from django.conf import settings
from django_tasks import task

from ..jobs import Progress, job_directory, job_run, task_enqueue
from ..models import Job, Project
from .reading import article_file_read
from .running import ImportProgress, articles_import

ISSUES_KEPT = 100


def import_is_large(stored: list[tuple[str, bytes]]) -> bool:
    return len(stored) > settings.JOB_IMPORT_FILES or sum(len(data) for _name, data in stored) > (
        settings.JOB_IMPORT_BYTES
    )


def import_enqueue(*, project: Project, user, language: str, stored: list) -> Job:
    """The job, with the uploaded files written to its input folder before it is queued."""
    job = Job.objects.create(
        kind=Job.Kind.IMPORT,
        project=project,
        created_by=user,
        params={"language": language, "files": len(stored)},
        task_name=articles_import_task.module_path,
        state=Job.State.FAILED,  # until its input is complete; then queued
        error="The upload was not stored completely.",
    )
    folder = job_directory(job) / "input"
    folder.mkdir(parents=True, exist_ok=True)
    for number, (_name, data) in enumerate(stored):
        (folder / f"{number}.upload").write_bytes(data)
    (folder / "names.json").write_text(json.dumps([name for name, _data in stored]))
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED, error="")
    task_enqueue(job, articles_import_task)
    job.refresh_from_db()
    return job


def import_work(job: Job, progress: Progress) -> dict:
    folder = job_directory(job) / "input"
    names = json.loads((folder / "names.json").read_text())
    language = job.params["language"]

    def files():
        for number, name in enumerate(names):
            data = (folder / f"{number}.upload").read_bytes()
            yield article_file_read(name=name, data=data, language=language)

    def report(step: ImportProgress) -> None:
        progress(
            step.files_done,
            step.files_total,
            f"files; {step.documents} documents, {step.statements} statements",
        )

    summary = articles_import(
        project=job.project, files=files(), files_total=len(names), progress=report
    )
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "summary": summary.lines(),
        "ok": summary.ok,
        "documents_created": summary.created,
        "statements": summary.statements,
        "issues": [str(issue) for issue in summary.issues[:ISSUES_KEPT]],
        "more_issues": max(0, len(summary.issues) - ISSUES_KEPT),
    }


@task()
def articles_import_task(job_id: int) -> dict | None:
    return job_run(job_id, import_work)
