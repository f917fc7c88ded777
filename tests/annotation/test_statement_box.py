"""The annotation page's statement box and submit row, written in Python
(annotation/statement_box.py), give the page its template gave: every statement of the demo
article (with and without a suggestion, a resolved pronoun, a cue, neighbours), in German and
English, a form with errors, an annotation's own page, a lead reading it, and hostile text."""

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.template import engines
from django.urls import reverse

from annotator.annotation.selectors import next_statement
from annotator.models import Annotation, Statement
from tests.helpers import (
    annotation_add_url,
    annotation_form_data,
    annotation_submit,
    assert_same_page,
)

# The page's template as it was, every part of it written by the template engine.
REFERENCE = Path(__file__).with_name("reference_change_form.html")
# What differs between two renderings of one page: the masked CSRF token, the signed time.
VARYING = re.compile(r'(name="csrfmiddlewaretoken" value=|name="opened" value=)"[^"]*"')
HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


def both_renderings(client, url: str, method: str = "get", **kwargs) -> tuple[str, str]:
    """The page as served, then as the reference template renders the same context."""
    annotation_admin = admin.site._registry[Annotation]
    served = getattr(client, method)(url, **kwargs)
    annotation_admin.change_form_template = engines["django"].from_string(REFERENCE.read_text())
    try:
        reference = getattr(client, method)(url, **kwargs)
    finally:
        annotation_admin.change_form_template = None
    assert served.status_code == reference.status_code == 200
    return (
        VARYING.sub(r"\1''", served.content.decode()),
        VARYING.sub(r"\1''", reference.content.decode()),
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_statement_of_the_demo_shows_the_templates_page(
    client_for, project, annotator, language
):
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    statements = Statement.objects.filter(document=first.document).order_by("position")
    assert statements.exclude(suggested_mention="").exists()
    assert statements.filter(suggested_mention="").exists()
    for statement in statements:
        served, reference = both_renderings(
            client, annotation_add_url(statement), HTTP_ACCEPT_LANGUAGE=language
        )
        assert_same_page(served, reference)
    assert 'id="statement-box"' in served and 'id="annotation-submit"' in served


def test_a_form_with_errors_shows_the_templates_page(client_for, project, annotator):
    client = client_for(annotator)
    statement = next_statement(project=project, user=annotator)
    data = annotation_form_data(info_credibility="")
    served, reference = both_renderings(client, annotation_add_url(statement), "post", data=data)
    assert_same_page(served, reference)
    assert 'id="error-summary"' in served


def test_an_annotations_page_shows_the_templates_page_to_its_author_and_a_lead(
    client_for, project, annotator, lead
):
    statement = next_statement(project=project, user=annotator)
    annotation = annotation_submit(statement, annotator)
    url = reverse("admin:annotator_annotation_change", args=[annotation.pk])
    served, reference = both_renderings(client_for(annotator), url)
    assert_same_page(served, reference)
    assert 'id="skip-button"' not in served  # a submitted annotation is not skipped
    served, reference = both_renderings(client_for(lead), url)
    assert_same_page(served, reference)
    assert 'id="label-history"' in served and 'id="annotation-actions"' not in served


def test_hostile_text_is_escaped_as_the_template_escaped_it(client_for, project, annotator):
    statement = next_statement(project=project, user=annotator)
    document = statement.document
    document.title, document.place = HOSTILE, HOSTILE
    document.save()
    project.name, project.guidelines, project.guidelines_version = HOSTILE, HOSTILE, "1<2"
    project.save()
    Statement.objects.filter(pk=statement.pk).update(
        suggested_mention=HOSTILE, suggested_cue=HOSTILE, suggested_mention_resolved=HOSTILE
    )
    served, reference = both_renderings(client_for(annotator), annotation_add_url(statement))
    assert_same_page(served, reference)
    assert "<script>alert" not in served and "&lt;script&gt;alert" in served
