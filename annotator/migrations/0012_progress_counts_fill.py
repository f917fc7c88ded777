"""Fill the maintained progress counts of every existing project from its annotations (the
same recount as `manage.py progress --repair`, on the migration's models)."""

from itertools import islice

from django.db import migrations
from django.db.models import Count, Q


def batched(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def fill(apps, schema_editor):
    Project = apps.get_model("annotator", "Project")
    Statement = apps.get_model("annotator", "Statement")
    Annotation = apps.get_model("annotator", "Annotation")
    ProjectProgress = apps.get_model("annotator", "ProjectProgress")
    AnnotatorProgress = apps.get_model("annotator", "AnnotatorProgress")
    OpenStatement = apps.get_model("annotator", "OpenStatement")
    for project in Project.objects.all():
        open_ids = (
            Statement.objects.filter(document__project=project)
            .annotate(count=Count("annotations", filter=Q(annotations__status="submitted")))
            .filter(count__lt=project.annotations_per_statement)
            .values("pk")
        )
        ProjectProgress.objects.update_or_create(
            project=project,
            defaults={
                "open_statements": Statement.objects.filter(pk__in=open_ids).count(),
                "counted_for": project.annotations_per_statement,
            },
        )
        open_rows = Statement.objects.filter(pk__in=open_ids).values_list(
            "pk", "document_id", "position"
        )
        for batch in batched(open_rows.iterator(chunk_size=5000), 5000):
            OpenStatement.objects.bulk_create(
                OpenStatement(
                    statement_id=pk, project=project, document_id=document_id, position=position
                )
                for pk, document_id, position in batch
            )
        rows = (
            Annotation.objects.filter(status="submitted", statement__document__project=project)
            .order_by()
            .values("annotator_id")
            .annotate(done=Count("pk"), done_open=Count("pk", filter=Q(statement_id__in=open_ids)))
        )
        AnnotatorProgress.objects.bulk_create(
            AnnotatorProgress(
                project=project,
                annotator_id=row["annotator_id"],
                submitted=row["done"],
                submitted_open=row["done_open"],
            )
            for row in rows
        )


class Migration(migrations.Migration):
    dependencies = [("annotator", "0011_progress_counts")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
