"""The annotation form's fieldsets written in Python (annotation/fieldsets.py), and the fields
kept per process among them (the choice fields shown empty, the source picker), give what the
admin's own fieldset template (admin/includes/fieldset.html) gives."""

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.template import engines

from annotator.annotation import fieldsets
from annotator.annotation.selectors import next_statement
from annotator.models import Annotation, Source, Statement
from tests.helpers import annotation_add_url, assert_same_page

# The page's template, with the admin's fieldsets in place of the ones written in Python.
ADMIN_FIELDSETS = (
    Path(__file__)
    .with_name("reference_change_form.html")
    .read_text()
    .replace(
        "{% block field_sets %}{% if annotation_fieldsets %}{{ annotation_fieldsets }}"
        "{% else %}{{ block.super }}{% endif %}{% endblock %}",
        "{% block field_sets %}{{ block.super }}{% endblock %}",
    )
)
BETWEEN_TAGS = re.compile(r">\s*<")
# What differs between two renderings of one page: the masked CSRF token, the signed time.
VARYING = re.compile(r'(name="csrfmiddlewaretoken" value=|name="opened" value=)"[^"]*"')


def fieldsets_of(page: str) -> str:
    """The form's fieldsets (from the first to the last), the white space between tags
    dropped (the template's indentation) and each tag on a line of its own, for the diff."""
    page = VARYING.sub(r"\1''", page)
    start, end = page.index("<fieldset"), page.rindex("</fieldset>") + len("</fieldset>")
    return BETWEEN_TAGS.sub(">\n<", page[start:end])


def both_fieldsets(client, url: str, **kwargs) -> tuple[str, str]:
    annotation_admin = admin.site._registry[Annotation]
    served = client.get(url, **kwargs)
    annotation_admin.change_form_template = engines["django"].from_string(ADMIN_FIELDSETS)
    try:
        reference = client.get(url, **kwargs)
    finally:
        annotation_admin.change_form_template = None
    assert served.status_code == reference.status_code == 200
    return fieldsets_of(served.content.decode()), fieldsets_of(reference.content.decode())


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_fieldsets_are_the_admins_on_every_statement_twice(
    client_for, project, annotator, language
):
    """Twice: the second time from what the first kept."""
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    statements = list(Statement.objects.filter(document=first.document).order_by("position"))
    assert any(s.suggested_source_id for s in statements)
    assert any(not s.suggested_source_id for s in statements)
    for statement in statements * 2:
        served, reference = both_fieldsets(
            client, annotation_add_url(statement), HTTP_ACCEPT_LANGUAGE=language
        )
        assert_same_page(served, reference)


def test_the_kept_source_picker_follows_the_suggestion_its_name_and_the_language(
    client_for, project, annotator
):
    client = client_for(annotator)
    statement = next_statement(project=project, user=annotator)
    kcna, other = Source.objects.order_by("pk")[:2]
    url = annotation_add_url(statement)
    for source, language in ((kcna, "en"), (other, "en"), (None, "en"), (kcna, "de")):
        Statement.objects.filter(pk=statement.pk).update(suggested_source=source)
        for _twice in range(2):
            served, reference = both_fieldsets(client, url, HTTP_ACCEPT_LANGUAGE=language)
            assert_same_page(served, reference)
        chosen = f'<option value="{source.pk}" selected>' if source else "selected>"
        assert (chosen in served) == (source is not None)
        # The second page's picker came from the one kept.
        assert any(
            'id="id_source"' in html and (chosen in html) == (source is not None)
            for html in fieldsets._empty_choices.values()
        )
    # A renamed source is shown by its new name, not the one kept before.
    Source.objects.filter(pk=kcna.pk).update(display_name_en="<Renamed> & Co")
    Statement.objects.filter(pk=statement.pk).update(suggested_source=kcna)
    served, reference = both_fieldsets(client, url, HTTP_ACCEPT_LANGUAGE="en")
    assert_same_page(served, reference)
    assert "&lt;Renamed&gt; &amp; Co (KCNA)</option>" in served
