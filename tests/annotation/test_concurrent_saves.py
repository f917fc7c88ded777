"""Saving under concurrency: a double click on "Save and annotate next" and two annotators
saving the same statement at the same moment give no error page, no duplicate and no lost
annotation."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotator.annotation.selectors import next_statement
from annotator.annotation.services import DuplicateAnnotation
from annotator.models import Annotation, LabelRevision
from tests.helpers import annotation_add_url, annotation_form_data, annotation_submit


def test_a_repeated_identical_submission_counts_once(client_for, project, annotator):
    client = client_for(annotator)
    statement = next_statement(project=project, user=annotator)
    first = client.post(annotation_add_url(statement), annotation_form_data(source_reliability="D"))
    second = client.post(
        annotation_add_url(statement), annotation_form_data(source_reliability="D")
    )
    next_url = reverse("admin:annotator_project_annotate", args=[project.pk])
    assert (first.status_code, first["Location"]) == (302, next_url)
    assert (second.status_code, second["Location"]) == (302, next_url)
    assert Annotation.objects.filter(annotator=annotator, statement=statement).count() == 1


def post_at_once(requests: list[tuple]) -> list:
    """Send each (user, url, data) from its own thread and connection, released together."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(index, user, url, data):
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            responses[index] = client.post(url, data)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(index, *request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.fixture
def live_demo(postgres_only, transactional_demo):
    project = transactional_demo
    users = get_user_model().objects
    return project, users.get(username="dora"), users.get(username="lead")


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_a_double_click_saves_one_annotation(live_demo, attempt):
    project, dora, _ = live_demo
    statement = next_statement(project=project, user=dora)
    data = annotation_form_data(source_reliability="B", info_credibility="2")
    responses = post_at_once([(dora, annotation_add_url(statement), data)] * 2)
    next_url = reverse("admin:annotator_project_annotate", args=[project.pk])
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, next_url)] * 2
    saved = Annotation.objects.get(annotator=dora, statement=statement)
    assert saved.admiralty_code == "B2"
    assert Annotation.objects.filter(annotator=dora).count() == 1


@pytest.mark.postgres
def test_two_annotators_saving_one_statement_both_keep_their_annotation(live_demo):
    project, dora, lead = live_demo
    project.annotators.add(lead)
    statement = next_statement(project=project, user=dora)
    responses = post_at_once(
        [
            (dora, annotation_add_url(statement), annotation_form_data(source_reliability="A")),
            (lead, annotation_add_url(statement), annotation_form_data(source_reliability="E")),
        ]
    )
    assert [response.status_code for response in responses] == [302, 302]
    codes = dict(
        Annotation.objects.filter(statement=statement, annotator__in=[dora, lead]).values_list(
            "annotator__username", "source_reliability"
        )
    )
    assert codes == {"dora": "A", "lead": "E"}


@pytest.mark.parametrize("reliability, same", [("C", True), ("E", False)])
def test_a_save_that_loses_the_race_meets_the_annotation_that_won(
    project, annotator, reliability, same
):
    """The request that checked for a duplicate before the other one saved: its INSERT meets
    the unique constraint, its transaction is rolled back (nothing of it stays), and the
    annotation that won is given to the view, with whether it holds the same labels."""
    statement = next_statement(project=project, user=annotator)
    won = annotation_submit(statement, annotator)
    revisions = LabelRevision.objects.count()
    with pytest.raises(DuplicateAnnotation) as raised:
        annotation_submit(statement, annotator, reliability=reliability)
    assert raised.value.existing == won
    assert raised.value.same_content is same
    stored = Annotation.objects.get(statement=statement, annotator=annotator)
    assert stored.source_reliability == "C"
    assert LabelRevision.objects.count() == revisions  # the transaction goes on, unchanged
