"""The annotator's three requests (the form, the save, "annotate next") run the same number of
queries at any size of project: nothing is counted per statement, annotation or label."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.annotation.selectors import next_statement
from annotator.ingestion.services import document_create
from annotator.models import Annotation, Statement
from annotator.progress import progress_differences, progress_recount
from tests.factories import ProjectFactory
from tests.helpers import annotation_form_data, make_user


def project_of_size(name: str, documents: int, annotators: int):
    """A project of `documents` articles of 8 sentences; every statement but those of the last
    article annotated by `annotators` other people (written in bulk, then recounted)."""
    project = ProjectFactory(name=name, annotations_per_statement=3)
    for number in range(documents):
        text = " ".join(f"Satz {position} aus Text {number} steht hier." for position in range(8))
        document_create(project=project, title=f"{name} {number}", text=text, language="de")
    others = [make_user(f"{name}-other{number}", "Annotators") for number in range(annotators)]
    statements = Statement.objects.filter(document__project=project).order_by("document_id")
    last_document = statements.last().document_id
    Annotation.objects.bulk_create(
        Annotation(
            statement=statement,
            annotator=other,
            source_reliability="C",
            info_credibility="3",
            status=Annotation.Status.SUBMITTED,
        )
        for statement in statements.exclude(document_id=last_document)
        for other in others
    )
    progress_recount(project=project)
    user = make_user(f"{name}-me", "Annotators")
    project.annotators.add(user, *others)
    return project, user


def requests_queries(client, project, user) -> dict[str, int]:
    """Query counts of the form, the save, and the redirect that follows it."""
    statement = next_statement(project=project, user=user)
    add_url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    data = annotation_form_data(source_reliability="B")
    counts = {}
    with CaptureQueriesContext(connection) as queries:
        assert client.get(add_url).status_code == 200
    counts["form"] = len(queries)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(add_url, data)
    assert response.status_code == 302
    counts["save"] = len(queries)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(response["Location"])
    assert response.status_code == 302 and "statement=" in response["Location"]
    counts["next"] = len(queries)
    assert progress_differences(project=project) == []
    return counts


@pytest.mark.parametrize("other_annotators", [1, 3])
def test_the_annotators_requests_cost_the_same_number_of_queries_at_any_size(
    db, client, other_annotators
):
    small_project, small_user = project_of_size("small", 2, other_annotators)
    big_project, big_user = project_of_size("big", 40, other_annotators)
    assert Statement.objects.filter(document__project=big_project).count() == 320
    client.force_login(small_user)
    requests_queries(client, small_project, small_user)  # warm: the first save of a user
    small = requests_queries(client, small_project, small_user)
    client.force_login(big_user)
    requests_queries(client, big_project, big_user)
    big = requests_queries(client, big_project, big_user)
    assert small == big
    # Fixed numbers: a query added to these requests is a decision, made here. The keyboard page
    # added the form's statement neighbours (2) and one read of the offered labels of every
    # group, for their hotkeys and the definitions panel (1); the schema is read once per
    # request (1); each group's field lists the labels read for the hotkeys, not its own query
    # per group; the save stores the guidelines version and checks the mention span against the
    # statement. The save reads no labels for hotkeys (only a shown form has them) and checks
    # the mention span in Python, not by a query (with its savepoint); the unanimity check
    # reads the number of annotations required with its lock on the statement. "Annotate
    # next" looks for the user's annotation of the statement only where the queue may have
    # kept one (a draft, a skip). Since then: the maintained counts (project and annotator)
    # are read in one query, and so are the two neighbours (form 12 -> 10, next 8 -> 7); the
    # save takes its statement's lock once, for the counts and the unanimity check, and
    # writes no admin log entry beside the label history (26 -> 24); whether the user
    # annotates the project is read with the statement or the project (one query less each).
    # The save runs outside the admin's transaction (annotation_save is atomic itself) and
    # the unanimity check takes no savepoint of its own: two savepoints (4 statements) less.
    # The statement's query reads the user's annotation of it (the form's redirect, the
    # save's duplicate check) and its two neighbours (the form's links) too (form 9 -> 7,
    # save 19 -> 18). The user's role groups are read with the statement too (form 7 -> 6,
    # save 18 -> 17). The unanimity check reads the gold label's state with the votes, one
    # query (save 17 -> 16). The INSERT of a new annotation takes no savepoint of its own: a
    # duplicate is looked for after the save's transaction is rolled back (save 16 -> 14).
    assert small == {"form": 6, "save": 14, "next": 6}, small


def test_a_save_takes_no_savepoint_of_its_own(db, client):
    """Every savepoint is a round trip to create it and one to release it. The last one
    guarded the insert, whose unique constraint may meet a save of the same annotator in
    another tab; the annotation that won is now read after the save's transaction is rolled
    back (tests/annotation/test_concurrent_saves.py). Inside the test's own transaction the
    save's transaction is a savepoint: one here, where the admin's transaction, the unanimity
    check's savepoint and the insert's made four."""
    project, user = project_of_size("savepoints", 2, 1)
    client.force_login(user)
    statement = next_statement(project=project, user=user)
    add_url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    with CaptureQueriesContext(connection) as queries:
        assert client.post(add_url, annotation_form_data()).status_code == 302
    savepoints = [query["sql"] for query in queries if query["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1, savepoints
    assert Annotation.objects.filter(statement=statement, annotator=user).exists()


def test_a_save_with_more_labels_runs_no_more_queries(db, client):
    """The label history names each label with its group: read with the labels, not per label."""
    from tests.helpers import group_field, label

    project, user = project_of_size("labels", 2, 1)
    client.force_login(user)
    requests_queries(client, project, user)  # the user's first save creates their counts
    names = ("loaded language", "name calling/labelling", "exaggeration or minimisation")
    counts = []
    for chosen in (names[:1], names):
        statement = next_statement(project=project, user=user)
        add_url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
        persuasion = [label("Persuasion techniques", name).pk for name in chosen]
        data = annotation_form_data(**{group_field("Persuasion techniques"): persuasion})
        client.get(add_url)
        with CaptureQueriesContext(connection) as queries:
            assert client.post(add_url, data).status_code == 302
        counts.append(len(queries))
        saved = Annotation.objects.get(statement=statement, annotator=user)
        assert saved.labels.count() == 1 + len(chosen)
    assert counts[0] == counts[1]


def test_the_role_groups_read_with_the_statement_count_from_the_next_request(db, client):
    """The user's groups come with the statement's query, not from an earlier request: a user
    taken out of the Annotators group is refused the form and the save at once, and a lead
    who also annotates the project keeps the form."""
    from django.contrib.auth.models import Group

    project, user = project_of_size("roles", 2, 1)
    client.force_login(user)
    statement = next_statement(project=project, user=user)
    add_url = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
    assert client.get(add_url).status_code == 200
    user.groups.remove(Group.objects.get(name="Annotators"))
    assert client.get(add_url).status_code == 403
    assert client.post(add_url, annotation_form_data()).status_code == 403
    assert not Annotation.objects.filter(statement=statement, annotator=user).exists()
    user.groups.add(Group.objects.get(name="Leads"))
    assert client.get(add_url).status_code == 200
