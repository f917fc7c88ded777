"""Background jobs on Django's Tasks API (the `django-tasks` backport on Django 5.2; on Django 6
the imports below become `django.tasks`). The backend is a setting (TASKS in settings.py): the
database backend by default, whose worker (`manage.py db_worker`) runs next to the web server
and needs no other server; README, "Background jobs", has the switch to Celery or RQ.

Each long piece of work is a `Job` row (what the lead sees in the admin) plus one task that runs
it. `job_enqueue` makes both; the task calls `job_run` with the work itself, which

* marks the job running, counts the attempt and starts a heartbeat: a thread that writes the
  job's progress every few seconds on its own database connection (the work may sit in a long
  read-only transaction), so a job whose worker died stops beating and shows as stale;
* stores the work's result, or its error, when it ends.

Files a job writes go under `job_storage()` (MEDIA_ROOT/jobs/<job id>/), written under a
temporary name and renamed when complete: a worker killed half-way leaves no file that could be
downloaded, and a retry starts by removing what it left.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from .models import Job

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    """How often a running job's worker writes its heartbeat and progress."""
    return float(getattr(settings, "JOB_HEARTBEAT_SECONDS", 2.0))


def stale_after() -> timedelta:
    """A running job whose heartbeat is older than this is taken for dead (its worker killed)."""
    return timedelta(seconds=getattr(settings, "JOB_STALE_SECONDS", 60))


def job_storage() -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs"


def job_directory(job: Job) -> Path:
    return job_storage() / str(job.pk)


def job_file(job: Job) -> Path | None:
    """The finished file of a succeeded job, if it is still there."""
    if job.state != Job.State.SUCCEEDED or not job.file:
        return None
    path = (job_storage() / job.file).resolve()
    if job_storage().resolve() not in path.parents or not path.is_file():
        return None
    return path


def is_stale(job: Job, now=None) -> bool:
    if job.state != Job.State.RUNNING:
        return False
    beat = job.heartbeat_at or job.started_at or job.created_at
    return beat < (now or timezone.now()) - stale_after()


def can_retry(job: Job) -> bool:
    return job.state == Job.State.FAILED or is_stale(job)


def job_enqueue(task: Task, *, kind: str, project=None, user=None, params=None) -> Job:
    """A new job and the task that runs it (the task gets the job's id)."""
    job = Job.objects.create(
        kind=kind,
        project=project,
        created_by=user if user is not None and user.is_authenticated else None,
        params=params or {},
        task_name=task.module_path,
    )
    task_enqueue(job, task)
    job.refresh_from_db()
    return job


def task_enqueue(job: Job, task: Task) -> None:
    """Queue the task that runs an existing job."""
    result = task.enqueue(job.pk)
    # The immediate backend has already run it (and written the row); keep its outcome.
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))


def job_retry(job: Job) -> bool:
    """Run a failed or stale job again, from the start. False if it is neither."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if not can_retry(job):
            return False
        job.state = Job.State.QUEUED
        job.error = ""
        job.result = None
        job.file = ""
        job.done, job.total, job.progress_note = 0, None, ""
        job.started_at = job.heartbeat_at = job.finished_at = None
        job.task_id = ""
        job.save()
    task_enqueue(job, import_string(job.task_name))
    return True


def leftovers_remove(job: Job) -> None:
    """What a killed attempt left: partial files and scratch folders (their names start with
    a dot). The job's input (a folder named "input") and nothing else stays."""
    directory = job_directory(job)
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.name.startswith("."):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


class Progress:
    """What the work reports; the heartbeat thread writes it."""

    def __init__(self):
        self.done = 0
        self.total: int | None = None
        self.note = ""

    def __call__(self, done: int, total: int | None = None, note: str = "") -> None:
        self.done, self.total, self.note = done, total, note[:200]


class Heartbeat(threading.Thread):
    def __init__(self, job_id: int, progress: Progress):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.job_id = job_id
        self.progress = progress
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                self.beat()
        finally:
            connection.close()  # this thread's own connection

    def beat(self) -> None:
        try:
            Job.objects.filter(pk=self.job_id, state=Job.State.RUNNING).update(
                heartbeat_at=timezone.now(),
                done=self.progress.done,
                total=self.progress.total,
                progress_note=self.progress.note,
            )
        except OperationalError:  # SQLite busy: the next beat writes it
            logger.info("job %s: heartbeat skipped (database busy)", self.job_id)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


Work = Callable[[Job, Progress], dict[str, Any]]


def job_run(job_id: int, work: Work) -> dict[str, Any] | None:
    """Run `work(job, progress)` for the job; it returns the result (a JSON-able dict, with
    "file" for a job that wrote one). A job that is not queued (already done, or taken by
    another worker after a retry) is left alone."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    Job.objects.filter(pk=job_id).update(attempts=F("attempts") + 1)
    job = Job.objects.get(pk=job_id)
    leftovers_remove(job)
    progress = Progress()
    heartbeat = Heartbeat(job_id, progress)
    # Inside a transaction (the immediate backend, called in one) the job's row is locked by
    # it until the work ends: no heartbeat then, it would wait for that lock.
    beating = not connection.in_atomic_block
    if beating:
        heartbeat.start()
    try:
        result = work(job, progress)
    except Exception as error:
        if beating:
            heartbeat.stop()
        Job.objects.filter(pk=job_id).update(
            state=Job.State.FAILED,
            error=f"{type(error).__name__}: {error}"[:5000],
            finished_at=timezone.now(),
            done=progress.done,
            total=progress.total,
            progress_note=progress.note,
        )
        raise
    if beating:
        heartbeat.stop()
    file = str(result.pop("file", "") or "")
    Job.objects.filter(pk=job_id).update(
        state=Job.State.SUCCEEDED,
        result=result,
        file=file,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        done=progress.done,
        total=progress.total,
        progress_note=progress.note,
    )
    return result
