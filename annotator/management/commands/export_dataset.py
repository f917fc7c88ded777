"""python manage.py export_dataset --project NAME --format jsonl|csv|xlsx|parquet --output PATH
[--gold-only] [--since DATE] [--real-names]"""

from datetime import datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from annotator.datasets.bundle import dataset_write
from annotator.datasets.selection import DatasetExport
from annotator.datasets.writers import FORMATS
from annotator.management import DATA_COMMAND_CHECKS
from annotator.models import Project


def since_parse(value: str):
    """A date (midnight in the project's time zone) or an ISO 8601 date and time."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r}: give a date (2026-03-01) or an ISO datetime.")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = (
        "Export a project's statements with every annotation, gold label and per-statement "
        "agreement, plus PATH.documents.jsonl (document texts) and PATH.card.md (dataset card)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's name.")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("--output", required=True, help="Where to write the data file.")
        parser.add_argument(
            "--gold-only", action="store_true", help="Only statements with a gold label."
        )
        parser.add_argument(
            "--since", help="Only statements whose labels were saved at or after this date."
        )
        parser.add_argument(
            "--real-names",
            action="store_true",
            help="Usernames instead of the pseudonyms annotator_1, annotator_2, ...",
        )

    def handle(self, *args, project, fmt, output, gold_only, since, real_names, **options):
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory.")
        try:
            project_object = Project.objects.get(name=project)
            export = DatasetExport(
                project=project_object,
                gold_only=gold_only,
                since=since_parse(since) if since else None,
                real_names=real_names,
            )
            written = dataset_write(export=export, fmt=fmt, path=path)
        except Project.DoesNotExist as error:
            raise CommandError(f"No project named “{project}”.") from error
        except (ValueError, ImportError) as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(
                f"The database failed during the export ({error}). Nothing was written to "
                f"{path}; run the command again."
            ) from error
        for written_path in written:
            self.stdout.write(f"{written_path} ({written_path.stat().st_size:,} bytes)")
