"""Bad labels are refused with a clear form error and change nothing; the database enforces
the same rules, so no other path can store them either."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from annotator.annotation.selectors import next_statement
from annotator.models import Annotation, GoldLabel
from tests.helpers import annotation_form_data, group_field, label


@pytest.fixture
def add_url(project, annotator):
    statement = next_statement(project=project, user=annotator)
    return reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"


def post(client, url, **overrides):
    return client.post(url, annotation_form_data(**overrides))


def assert_refused(response, message, annotator):
    assert response.status_code == 200  # the form again, with its errors
    assert message in response.content.decode()
    assert not Annotation.objects.filter(annotator=annotator).exists()


@pytest.mark.parametrize("grade", ["G", "a", "", "AB"])
def test_reliability_outside_a_to_f_is_refused(client_for, annotator, add_url, grade):
    response = post(client_for(annotator), add_url, source_reliability=grade)
    expected = "This field is required." if grade == "" else "Select a valid choice."
    assert_refused(response, expected, annotator)


@pytest.mark.parametrize("grade", ["0", "7", "x"])
def test_credibility_outside_1_to_6_is_refused(client_for, annotator, add_url, grade):
    response = post(client_for(annotator), add_url, info_credibility=grade)
    assert_refused(response, "Select a valid choice.", annotator)


def test_two_labels_in_a_single_choice_group_are_refused(client_for, annotator, add_url):
    data = annotation_form_data()
    data[group_field("Bias")] = [label("Bias", "biased").pk, label("Bias", "non-biased").pk]
    response = client_for(annotator).post(add_url, data)
    assert_refused(response, "Choose a single label in “Bias”.", annotator)


def test_a_missing_required_group_is_refused(client_for, annotator, add_url):
    data = annotation_form_data()
    del data[group_field("Bias")]
    response = client_for(annotator).post(add_url, data)
    assert_refused(response, "This field is required.", annotator)


def test_several_labels_in_a_multiple_choice_group_are_kept(client_for, annotator, add_url):
    data = annotation_form_data()
    techniques = [
        label("Persuasion techniques", "loaded language"),
        label("Persuasion techniques", "doubt"),
    ]
    data[group_field("Persuasion techniques")] = [technique.pk for technique in techniques]
    assert client_for(annotator).post(add_url, data).status_code == 302
    saved = Annotation.objects.get(annotator=annotator)
    assert set(saved.labels.all()) == {*techniques, label("Bias", "non-biased")}


def test_a_second_annotation_of_the_same_statement_is_refused(client_for, annotator, add_url):
    client = client_for(annotator)
    assert post(client, add_url, source_reliability="B").status_code == 302
    response = post(client, add_url, source_reliability="D")
    assert response.status_code == 200
    assert "You have already annotated this statement" in response.content.decode()
    assert Annotation.objects.get(annotator=annotator).source_reliability == "B"


def test_the_database_refuses_a_second_annotation(project, annotator):
    statement = project.documents.first().statements.first()
    Annotation.objects.create(
        statement=statement, annotator=annotator, source_reliability="A", info_credibility="1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(
            statement=statement, annotator=annotator, source_reliability="B", info_credibility="2"
        )


@pytest.mark.parametrize("field,value", [("source_reliability", "G"), ("info_credibility", "7")])
def test_the_database_refuses_grades_outside_the_scale(project, annotator, field, value):
    statement = project.documents.first().statements.first()
    values = {"source_reliability": "A", "info_credibility": "1", field: value}
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(statement=statement, annotator=annotator, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        GoldLabel.objects.create(statement=statement, method="adjudicated", **values)


def test_the_database_allows_one_gold_label_per_statement(project):
    statement = project.documents.first().statements.first()
    GoldLabel.objects.create(
        statement=statement, method="adjudicated", source_reliability="A", info_credibility="1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        GoldLabel.objects.create(
            statement=statement, method="majority", source_reliability="B", info_credibility="2"
        )
