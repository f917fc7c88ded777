"""The dataset export as a background job: the admin's "Export dataset" enqueues it, a worker
writes the same three files as ``export_dataset`` and packs them into one zip under the job's
directory (written as ``.NAME.partial`` and renamed when complete), which the lead downloads from
the job's page later."""

from __future__ import annotations

import os
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from django.utils.text import slugify
from django_tasks import task

from ..jobs import Progress, job_directory, job_run, job_storage
from ..models import Job
from .bundle import dataset_write
from .selection import DatasetExport


class CountingFile:
    """A binary file that reports the bytes written so far to the job's progress."""

    def __init__(self, out, progress: Progress, note: str):
        self.out, self.progress, self.note, self.written = out, progress, note, 0

    def write(self, data) -> int:
        written = self.out.write(data)
        self.written += len(data)
        self.progress(self.written, None, self.note)
        return written

    def __getattr__(self, name):
        return getattr(self.out, name)


def export_params(*, fmt: str, gold_only: bool, since: datetime | None, real_names: bool) -> dict:
    return {
        "format": fmt,
        "gold_only": gold_only,
        "since": since.isoformat() if since else None,
        "real_names": real_names,
    }


def export_work(job: Job, progress: Progress) -> dict:
    params = job.params
    fmt = params["format"]
    since = datetime.fromisoformat(params["since"]) if params.get("since") else None
    export = DatasetExport(
        project=job.project,
        gold_only=params.get("gold_only", False),
        since=since,
        real_names=params.get("real_names", False),
    )
    day = (job.created_at or datetime.now()).date()
    name = f"{slugify(job.project.name) or 'dataset'}-{day:%Y-%m-%d}"
    directory = job_directory(job)
    directory.mkdir(parents=True, exist_ok=True)
    zip_name = f"{name}-{fmt}.zip"
    partial_zip = directory / f".{zip_name}.partial"
    with tempfile.TemporaryDirectory(dir=directory, prefix=".files-") as scratch:
        progress(0, None, "writing the data")
        paths = dataset_write(
            export=export,
            fmt=fmt,
            path=Path(scratch) / f"{name}.{fmt}",
            wrap=lambda out: CountingFile(out, progress, "bytes of data written"),
        )
        progress(0, None, "packing the zip")
        with zipfile.ZipFile(partial_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
    size = partial_zip.stat().st_size
    with open(partial_zip, "rb") as written:
        os.fsync(written.fileno())
    partial_zip.replace(directory / zip_name)
    progress(size, size, "done")
    return {
        "file": str((directory / zip_name).relative_to(job_storage())),
        "bytes": size,
        "files": [path.name for path in paths],
    }


@task()
def dataset_export_task(job_id: int) -> dict | None:
    return job_run(job_id, export_work)
