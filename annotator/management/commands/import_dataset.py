"""python manage.py import_dataset PATH [--project NAME]: the round trip of export_dataset."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.dataset_import import DatasetImportError, dataset_import


class Command(BaseCommand):
    help = (
        "Import a jsonl dataset export (with PATH.documents.jsonl beside it, and its card "
        "PATH.card.md if present) as a new project. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The exported .jsonl file.")
        parser.add_argument("--project", help="The new project's name (default: the card's).")

    def handle(self, *args, path, project, **options):
        data = Path(path)
        if not data.is_file():
            raise CommandError(f"{data} does not exist.")
        try:
            summary = dataset_import(path=data, project_name=project)
        except DatasetImportError as error:
            raise CommandError(
                "Nothing was imported:\n" + "\n".join(f"  {line}" for line in error.errors)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Project “{summary.project.name}”: {summary.documents} document(s), "
                f"{summary.statements} statement(s), {summary.annotations} annotation(s), "
                f"{summary.gold_labels} gold label(s); {len(summary.users_created)} placeholder "
                "user(s) created (inactive, no password)."
            )
        )
