"""Agreement of a large project as a background job: past JOB_AGREEMENT_ANNOTATIONS submitted
annotations the agreement page (without filters) shows the figures of the latest finished job
and a button to recompute them, instead of computing them inside the request."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from ..jobs import Progress, job_run
from ..models import Annotation, Job, Project
from .report import agreement_report, report_json


def agreement_is_large(project: Project) -> bool:
    limit = settings.JOB_AGREEMENT_ANNOTATIONS
    submitted = Annotation.objects.submitted().in_project(project)
    return submitted[limit : limit + 1].exists()


def agreement_work(job: Job, progress: Progress) -> dict:
    progress(0, 1, "computing the figures")
    report = agreement_report(project=job.project)
    progress(1, 1, "done")
    return {
        "annotations": report.data.n_rows,
        "statements": report.data.n_units,
        "annotators": len(report.data.coders),
        "disagreements": report.disagreements,
        **report_json(report),
    }


@task()
def agreement_task(job_id: int) -> dict | None:
    return job_run(job_id, agreement_work)
