"""`python manage.py import_articles PATH... --project NAME`: see annotator/ingestion/."""

import time

from django.core.management.base import BaseCommand, CommandError

from annotator.ingestion.reading import article_files_read, article_paths
from annotator.ingestion.records import LANGUAGES, SUPPORTED_SUFFIXES
from annotator.ingestion.running import ImportProgress, articles_import
from annotator.management import DATA_COMMAND_CHECKS
from annotator.models import Project
from annotator.vocabulary.services import schema_copy

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2


class ProgressBar:
    """A one-line text bar on stderr: files done of all, documents and statements so far."""

    WIDTH = 30
    INTERVAL = 0.2  # seconds between redraws

    def __init__(self, stream) -> None:
        self.stream = stream  # the command's OutputWrapper for stderr
        self.started = time.monotonic()
        self.drawn_at = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        finished = progress.files_done == progress.files_total
        if not finished and now - self.drawn_at < self.INTERVAL:
            return
        self.drawn_at = now
        total = progress.files_total or 1
        filled = self.WIDTH * progress.files_done // total
        elapsed = int(now - self.started)
        self.stream.write(
            f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] "
            f"{progress.files_done}/{progress.files_total} files, "
            f"{progress.documents} documents, {progress.statements} statements, "
            f"{elapsed // 60}:{elapsed % 60:02d}",
            ending="",
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("")


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = (
        "Import news articles into a project: plain-text articles in the example article's "
        f"format, or CSV / JSON / JSONL with one article per row ({', '.join(SUPPORTED_SUFFIXES)})."
        " A folder imports every supported file under it (recursively, sorted, hidden files "
        "skipped). Already imported articles are left unchanged. Files with errors are "
        f"reported and skipped; the exit code is then {EXIT_FAILED_FILES}."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument("--project", required=True, help="the project's name")
        parser.add_argument(
            "--create-project", action="store_true", help="create the project if it is missing"
        )
        parser.add_argument(
            "--language",
            default="de",
            help="language of articles that do not name one: de (default) or en",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show the progress bar even when stderr is not a terminal",
        )

    def handle(self, *args, paths, project, create_project, language, progress, **options):
        if language not in LANGUAGES:
            raise CommandError(
                f"Unknown language {language!r}: use de or en.", returncode=EXIT_USAGE
            )
        project = self.project_get(project, create=create_project)
        files, missing = article_paths(paths)
        bar = ProgressBar(self.stderr) if progress or self.stderr.isatty() else None
        summary = articles_import(
            project=project,
            files=article_files_read(files, language=language),
            files_total=len(files),
            progress=bar,
        )
        if bar is not None:
            bar.close()
        summary.issues[:0] = missing
        summary.files += len(missing)
        summary.failed_files += len(missing)
        self.stdout.write(f"Project “{project.name}”, {summary.seconds:.1f} s:")
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        if summary.issues:
            self.stderr.write("Not imported:")
            for issue in summary.issues:
                self.stderr.write(f"  {issue}")
            raise CommandError(
                f"{summary.failed_files} file(s) failed; see the errors above.",
                returncode=EXIT_FAILED_FILES,
            )

    def project_get(self, name: str, *, create: bool) -> Project:
        if create:
            project, created = Project.objects.get_or_create(name=name)
            if created:
                # A new project starts from the template schema (every label group).
                schema_copy(project=project, source=None)
                self.stdout.write(f"Created the project “{name}”.")
            return project
        try:
            return Project.objects.get(name=name)
        except Project.DoesNotExist:
            known = ", ".join(f"“{p}”" for p in Project.objects.values_list("name", flat=True)[:10])
            raise CommandError(
                f"There is no project “{name}” (projects: {known or 'none'}). "
                "Create it in the admin, or pass --create-project.",
                returncode=EXIT_USAGE,
            ) from None
