"""The maintained progress counts (annotator/progress.py) agree with a recount after every kind
of write: saves, drafts, status changes, deletes, a statement filling up, new articles, deleted
documents, a changed overlap, a dataset import, and concurrent saves on PostgreSQL."""

import importlib
import io
import threading

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from annotator.annotation.selectors import (
    annotation_progress,
    annotation_queue,
    annotators_progress,
    next_statement,
)
from annotator.annotation.services import annotation_delete, annotation_save, annotations_delete
from annotator.ingestion.services import document_create
from annotator.models import (
    Annotation,
    AnnotatorProgress,
    Document,
    OpenStatement,
    Project,
    ProjectProgress,
    Statement,
)
from annotator.progress import (
    progress_differences,
    progress_open_document_id,
    progress_recount,
)
from tests.factories import ProjectFactory
from tests.helpers import annotation_submit, label, make_user


def recounted(project, user) -> tuple[int, int]:
    """(done, total) the slow way: the definition the counts must agree with."""
    done = Annotation.objects.submitted().for_user(user).in_project(project).count()
    return done, done + annotation_queue(project=project, user=user).count()


def assert_counts_agree(project, users) -> None:
    project.refresh_from_db()
    assert progress_differences(project=project) == []
    for user in users:
        progress = annotation_progress(project=project, user=user)
        assert (progress.done, progress.total) == recounted(project, user), user.username
    shown = {user.pk: (p.done, p.total) for user, p in annotators_progress(project=project)}
    for user in project.annotators.all():
        assert shown[user.pk] == recounted(project, user)


def article(project, number: int, sentences: int = 3) -> Document:
    text = " ".join(
        f"Satz {position} von Artikel {number} ist kurz." for position in range(sentences)
    )
    document, _ = document_create(
        project=project, title=f"Artikel {number}", text=text, language="de"
    )
    return document


@pytest.fixture
def small(db):
    """A project with an overlap of 2, two short articles and three annotators."""
    project = ProjectFactory(name="Counts", annotations_per_statement=2)
    article(project, 1)
    article(project, 2)
    team = [make_user(name, "Annotators") for name in ("ada", "bea", "cyd")]
    project.annotators.add(*team)
    return project, team


def save(statement, user, status=Annotation.Status.SUBMITTED, annotation=None):
    annotation = annotation or Annotation(statement=statement, annotator=user)
    annotation.source_reliability, annotation.info_credibility = "C", "3"
    annotation.status = status
    return annotation_save(
        annotation=annotation, labels=[label("Bias", "non-biased")], changed_by=user
    )


def test_counts_agree_after_every_kind_of_annotation_write(small):
    project, (ada, bea, cyd) = small
    first, second, third = Statement.objects.filter(document__project=project)[:3]
    assert_counts_agree(project, [ada, bea, cyd])
    save(first, ada)  # submitted
    assert_counts_agree(project, [ada, bea, cyd])
    draft = save(second, ada, Annotation.Status.DRAFT)
    assert_counts_agree(project, [ada, bea, cyd])
    save(first, bea)  # the first statement is full: it leaves cyd's queue
    assert annotation_progress(project=project, user=cyd).total == 5
    assert_counts_agree(project, [ada, bea, cyd])
    over = save(first, cyd)  # a third submission past the overlap (a race in real life)
    assert_counts_agree(project, [ada, bea, cyd])
    submitted = save(second, ada, annotation=draft)  # draft → submitted
    assert_counts_agree(project, [ada, bea, cyd])
    save(second, ada, Annotation.Status.DRAFT, annotation=submitted)  # submitted → draft
    assert_counts_agree(project, [ada, bea, cyd])
    changed = Annotation.objects.get(statement=first, annotator=bea)
    save(first, bea, annotation=changed)  # changed, still submitted
    assert_counts_agree(project, [ada, bea, cyd])
    annotation_delete(annotation=over, changed_by=cyd)
    assert_counts_agree(project, [ada, bea, cyd])
    annotation_delete(annotation=Annotation.objects.get(pk=changed.pk), changed_by=bea)
    assert_counts_agree(project, [ada, bea, cyd])  # the first statement is open again
    save(third, bea)
    save(third, cyd)
    annotations_delete(
        annotations=Annotation.objects.filter(statement__in=[first, third]), changed_by=ada
    )
    assert_counts_agree(project, [ada, bea, cyd])


def test_counts_agree_after_new_and_deleted_documents(small, client_for, lead):
    project, team = small
    save(Statement.objects.filter(document__project=project).first(), team[0])
    added = article(project, 3, sentences=4)
    assert annotation_progress(project=project, user=team[1]).total == 10
    assert_counts_agree(project, team)
    client = client_for(lead)
    response = client.post(
        reverse("admin:annotator_document_delete", args=[added.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not Document.objects.filter(pk=added.pk).exists()
    assert_counts_agree(project, team)
    statement = Statement.objects.filter(document__project=project).last()
    response = client.post(
        reverse("admin:annotator_statement_delete", args=[statement.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert_counts_agree(project, team)


def test_a_changed_overlap_is_counted_not_read_until_recounted(small, client_for, lead):
    project, (ada, bea, cyd) = small
    statement = Statement.objects.filter(document__project=project).first()
    save(statement, ada)
    save(statement, bea)
    project.annotations_per_statement = 3
    project.save()  # not through the admin: the stored counts no longer hold
    assert progress_differences(project=project)
    progress = annotation_progress(project=project, user=cyd)
    assert (progress.done, progress.total) == recounted(project, cyd) == (0, 6)
    progress_recount(project=project)
    assert_counts_agree(project, [ada, bea, cyd])
    # Through the admin, the project's save recounts.
    response = client_for(lead).post(
        reverse("admin:annotator_project_change", args=[project.pk]),
        {
            "name": project.name,
            "guidelines_version": "1.0",
            "annotations_per_statement": 2,
            "annotators": [ada.pk, bea.pk, cyd.pk],
            "schema_entries-TOTAL_FORMS": 0,  # the schema left as it is
            "schema_entries-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert project.annotations_per_statement == 2
    assert ProjectProgress.objects.get(project=project).counted_for == 2
    assert_counts_agree(project, [ada, bea, cyd])


def test_a_dataset_import_is_counted(demo, tmp_path):
    path = tmp_path / "demo.jsonl"
    call_command(
        "export_dataset", "--project", demo.name, "--format", "jsonl", "--output", str(path),
        stdout=io.StringIO(),
    )  # fmt: skip
    call_command("import_dataset", str(path), "--project", "Copy", stdout=io.StringIO())
    copy = Project.objects.get(name="Copy")
    assert AnnotatorProgress.objects.filter(project=copy).exists()
    assert_counts_agree(copy, list(copy.annotators.all()))


def test_the_demo_counts_agree_and_an_empty_queue_costs_one_query(demo, django_assert_num_queries):
    anna = demo.annotators.get(username="anna")
    assert_counts_agree(demo, list(demo.annotators.all()))
    done, total = recounted(demo, anna)
    assert done == total  # anna annotated everything
    # The project's and the annotator's counts, read together.
    with django_assert_num_queries(1):
        assert next_statement(project=demo, user=anna) is None


def test_the_command_finds_a_difference_and_repairs_it(demo):
    out = io.StringIO()
    call_command("progress", stdout=out)
    assert "agree with a recount" in out.getvalue()
    AnnotatorProgress.objects.filter(project=demo).update(submitted=0)
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("progress", stdout=io.StringIO())
    out = io.StringIO()
    call_command("progress", "--repair", stdout=out)
    assert "recounted and stored" in out.getvalue()
    assert progress_differences(project=demo) == []
    with pytest.raises(CommandError, match="No project named"):
        call_command("progress", "--project", "nope", stdout=io.StringIO())


def test_the_migration_fills_the_counts_of_existing_projects(demo):
    AnnotatorProgress.objects.all().delete()
    ProjectProgress.objects.all().delete()
    OpenStatement.objects.all().delete()
    assert progress_differences(project=demo)
    migration = importlib.import_module("annotator.migrations.0012_progress_counts_fill")
    migration.fill(apps, None)
    assert_counts_agree(demo, list(demo.annotators.all()))


@pytest.mark.postgres
def test_concurrent_saves_keep_the_counts_exact(postgres_only, transactional_demo):
    project = ProjectFactory(name="Race", annotations_per_statement=2)
    for number in range(3):
        article(project, number, sentences=4)
    team = [make_user(f"racer{number}", "Annotators") for number in range(4)]
    project.annotators.add(*team)
    statements = list(Statement.objects.filter(document__project=project))
    barrier = threading.Barrier(len(team))
    errors = []

    def work(user):
        try:
            barrier.wait()
            # Everybody on the same statements at the same moment, in another order each.
            order = statements if user.pk % 2 else statements[::-1]
            for statement in order:
                annotation_submit(statement, user)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(user,)) for user in team]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Annotation.objects.filter(statement__in=statements).count() == 4 * len(statements)
    assert_counts_agree(project, team)
    users = get_user_model().objects.filter(pk__in=[user.pk for user in team])
    annotations_delete(
        annotations=Annotation.objects.filter(annotator__in=users[:2]), changed_by=team[0]
    )
    assert_counts_agree(project, team)


def test_annotate_next_jumps_over_full_statements_through_the_index(
    small, django_assert_num_queries
):
    project, (ada, bea, cyd) = small
    first_document, second_document = Document.objects.filter(project=project).order_by("id")
    for statement in first_document.statements.all():
        save(statement, ada)
        save(statement, bea)
    assert_counts_agree(project, [ada, bea, cyd])
    assert not OpenStatement.objects.filter(document=first_document).exists()
    # cyd has no document yet: from any starting point the next open statement is in the
    # second document, found in a fixed number of queries.
    with django_assert_num_queries(5):
        statement = next_statement(project=project, user=cyd)
    assert (statement.document, statement.position) == (second_document, 0)
    # Opened again (a submission withdrawn to a draft): listed again, in queue order.
    withdrawn = Annotation.objects.get(statement__document=first_document, statement__position=1,
                                       annotator=bea)  # fmt: skip
    save(withdrawn.statement, bea, Annotation.Status.DRAFT, annotation=withdrawn)
    assert_counts_agree(project, [ada, bea, cyd])
    assert OpenStatement.objects.filter(statement=withdrawn.statement).exists()
    first_open = progress_open_document_id(
        project_id=project.pk, user_id=cyd.pk, from_document_id=0
    )
    assert first_open == first_document.pk
    assert progress_open_document_id(project_id=project.pk, user_id=ada.pk, from_document_id=0) == (
        second_document.pk  # ada submitted the opened statement: not open to her
    )


def test_a_delete_through_an_older_instance_counts_the_stored_status(small):
    project, (ada, bea, cyd) = small
    statement = Statement.objects.filter(document__project=project).first()
    submitted = save(statement, ada)
    stale = Annotation.objects.get(pk=submitted.pk)  # loaded while submitted
    save(statement, ada, Annotation.Status.DRAFT, annotation=Annotation.objects.get(pk=stale.pk))
    annotation_delete(annotation=stale, changed_by=ada)
    assert_counts_agree(project, [ada, bea, cyd])
