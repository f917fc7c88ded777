"""python manage.py import_dataset PATH [--project NAME] [--attach-existing-users]
[--create-vocabulary] [--dry-run]: the round trip of export_dataset, for a file not trusted."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.datasets.bulk_rows import tables_analyse, tables_rows_estimated
from annotator.datasets.dataset_import import DatasetImportError, ImportOptions, dataset_import
from annotator.management import DATA_COMMAND_CHECKS
from annotator.models import Annotation, Document, GoldLabel, LabelRevision, Statement

IMPORTED_MODELS = (
    Document,
    Statement,
    Annotation,
    Annotation.labels.through,
    GoldLabel,
    GoldLabel.labels.through,
    LabelRevision,
)


def rows_written(summary) -> dict:
    """The rows the import wrote per table (a label link table counted as its owners' rows:
    at least one link each where labels are used)."""
    return {
        Document: summary.documents,
        Statement: summary.statements,
        Annotation: summary.annotations,
        Annotation.labels.through: summary.annotations,
        GoldLabel: summary.gold_labels,
        GoldLabel.labels.through: summary.gold_labels,
        LabelRevision: summary.annotations + summary.gold_labels,
    }


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = (
        "Import a jsonl dataset export (with PATH.documents.jsonl beside it, and its card "
        "PATH.card.md if present) as a new project. Every line is checked first and every "
        "problem reported as `line N: reason`; nothing is written if any line fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The exported .jsonl file.")
        parser.add_argument("--project", help="The new project's name (default: the card's).")
        parser.add_argument(
            "--attach-existing-users",
            action="store_true",
            help="Put annotations and gold labels under accounts that already exist with the "
            "file's names (default: refuse; new names become inactive placeholder accounts).",
        )
        parser.add_argument(
            "--create-vocabulary",
            action="store_true",
            help="Add the label groups, labels and sources the file uses and the database lacks "
            "(default: refuse, the live vocabulary stays as the leads made it).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check everything and report what would be created; write nothing.",
        )

    def handle(self, *args, path, project, **options):
        data = Path(path)
        if not data.is_file():
            raise CommandError(f"{data} does not exist.")
        import_options = ImportOptions(
            attach_existing_users=options["attach_existing_users"],
            create_vocabulary=options["create_vocabulary"],
            dry_run=options["dry_run"],
        )
        rows_before = tables_rows_estimated(IMPORTED_MODELS)
        try:
            summary = dataset_import(path=data, project_name=project, options=import_options)
        except DatasetImportError as error:
            raise CommandError(
                "Nothing was imported:\n" + "\n".join(f"  {line}" for line in error.errors)
            ) from error
        if not summary.dry_run:  # committed: the export that usually follows plans with them
            tables_analyse(rows_written(summary), rows_before)
        self.report(summary)

    def report(self, summary) -> None:
        verb = "Would create" if summary.dry_run else "Created"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} project “{summary.project.name}”: {summary.documents} document(s), "
                f"{summary.statements} statement(s), {summary.annotations} annotation(s), "
                f"{summary.gold_labels} gold label(s); {len(summary.users_created)} placeholder "
                "user(s) (inactive, no password)."
            )
        )
        if summary.users_created:
            self.stdout.write(f"  new users: {', '.join(summary.users_created)}")
        if summary.users_attached:
            self.stdout.write(f"  existing users attached: {', '.join(summary.users_attached)}")
        if summary.vocabulary_created:
            self.stdout.write(f"  vocabulary added: {', '.join(summary.vocabulary_created)}")
        if summary.matched_by_name:
            self.stdout.write(
                "  found by name, not by key (a file from before exports named labels by key): "
                + ", ".join(summary.matched_by_name)
            )
        if summary.dry_run:
            self.stdout.write("Dry run: nothing was written.")
