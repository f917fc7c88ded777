"""The annotator's queue: what is left to do, in which order, and when a statement is full."""

from django.urls import reverse

from annotator.annotation.selectors import annotation_progress, annotation_queue, next_statement
from annotator.annotation.services import annotation_save
from annotator.ingestion.services import document_create
from annotator.models import Annotation, Document, Statement
from tests.helpers import annotation_form_data, annotation_submit, label, make_user


def test_a_new_annotator_has_every_statement_in_the_queue(project, annotator):
    statements = Statement.objects.filter(document__project=project).count()
    progress = annotation_progress(project=project, user=annotator)
    assert statements > 10
    assert (progress.done, progress.total) == (0, statements)


def test_queue_starts_at_the_first_statement_and_moves_on(project, annotator):
    first = next_statement(project=project, user=annotator)
    assert first.position == 0
    annotation_submit(first, annotator)
    assert next_statement(project=project, user=annotator).position == 1
    progress = annotation_progress(project=project, user=annotator)
    assert progress.done == 1


def test_a_statement_with_enough_submissions_leaves_everyone_elses_queue(
    project, annotator, second_annotator
):
    # The demo's three annotators have annotated every statement; with an overlap of 3 nothing
    # is left for anybody else.
    project.annotations_per_statement = 3
    project.save()
    assert next_statement(project=project, user=annotator) is None
    project.annotations_per_statement = 4
    project.save()
    statement = next_statement(project=project, user=annotator)
    annotation_submit(statement, annotator)
    # The fourth annotation filled it: bob no longer gets it, alice's progress counts it.
    assert next_statement(project=project, user=second_annotator) != statement
    assert statement not in annotation_queue(project=project, user=second_annotator)
    assert annotation_progress(project=project, user=annotator).done == 1


def test_a_draft_stays_in_the_queue_until_submitted(project, annotator):
    statement = next_statement(project=project, user=annotator)
    draft = Annotation(
        statement=statement,
        annotator=annotator,
        source_reliability="C",
        info_credibility="3",
        status=Annotation.Status.DRAFT,
    )
    annotation_save(annotation=draft, labels=[label("Bias", "biased")], changed_by=annotator)
    # Still to do (the queue, the progress), but "next" is the next untouched statement...
    assert statement in annotation_queue(project=project, user=annotator)
    assert next_statement(project=project, user=annotator) != statement
    # ...unless the drafts are asked for.
    assert next_statement(project=project, user=annotator, drafts=True) == statement


def test_queue_prefers_finishing_a_started_document(project, annotator):
    first_document = Document.objects.get(project=project)
    second, _ = document_create(
        project=project,
        title="Zweiter Artikel",
        text="Das ist der erste Satz. Das ist der zweite Satz. Und ein dritter Satz.",
        language="de",
    )
    assert second.statements.count() == 3
    annotation_submit(second.statements.get(position=0), annotator)
    next_up = next_statement(project=project, user=annotator)
    assert next_up.document == second and next_up.position == 1
    assert first_document.statements.exists()


def test_annotate_next_sends_the_annotator_to_the_add_form(client_for, project, annotator):
    client = client_for(annotator)
    response = client.get(reverse("admin:annotator_project_annotate", args=[project.pk]))
    first = next_statement(project=project, user=annotator)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?statement={first.pk}")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"0 of {Statement.objects.filter(document__project=project).count()}" in (
        page.content.decode()
    )


def test_annotate_next_with_an_empty_queue_says_so(client_for, project, annotator):
    project.annotations_per_statement = 3
    project.save()
    client = client_for(annotator)
    response = client.get(
        reverse("admin:annotator_project_annotate", args=[project.pk]), follow=True
    )
    assert "queue" in response.content.decode()
    assert "is empty" in response.content.decode()


def test_save_and_annotate_next_walks_the_queue(client_for, project, annotator):

    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    add_url = reverse("admin:annotator_annotation_add") + f"?statement={first.pk}"
    response = client.post(add_url, annotation_form_data(source_reliability="B"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:annotator_project_annotate", args=[project.pk])
    saved = Annotation.objects.get(statement=first, annotator=annotator)
    assert saved.source_reliability == "B" and saved.status == Annotation.Status.SUBMITTED
    assert saved.submitted_at is not None
    follow = client.get(response["Location"])
    second = next_statement(project=project, user=annotator)
    assert second.position == first.position + 1
    assert follow["Location"].endswith(f"?statement={second.pk}")


def test_a_team_starting_together_spreads_over_the_documents(db, project):
    from annotator.models import Project

    team_project = Project.objects.create(name="Spread", annotations_per_statement=2)
    for number in range(6):
        document_create(
            project=team_project,
            title=f"Artikel {number}",
            text=f"Erster Satz von Artikel {number}. Zweiter Satz von Artikel {number}.",
            language="de",
        )
    team = [make_user(f"member{number}", "Annotators") for number in range(4)]
    team_project.annotators.add(*team)
    first_statements = [next_statement(project=team_project, user=member) for member in team]
    assert all(statement.position == 0 for statement in first_statements)
    assert len({statement.document_id for statement in first_statements}) >= 3
    # The spread is stable: asking again gives the same statement.
    assert next_statement(project=team_project, user=team[0]) == first_statements[0]
