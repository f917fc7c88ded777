"""The annotation form's widgets written in Python (annotation/renderer.py) give exactly the
markup of Django's widget templates, escaping included."""

import copy

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe

from annotator.annotation.renderer import (
    RENDERER,
    NothingChosenAutocompleteMixin,
    rendered_here,
)
from annotator.models import Annotation, Source
from annotator.request_ids import ValidIdsAutocompleteSelect

TEMPLATES = DjangoTemplates()
HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"

WIDGETS = [
    (forms.TextInput(), "source_mention", HOSTILE),
    (forms.TextInput(attrs={"maxlength": 200, "required": True, "disabled": False}), "a", ""),
    (forms.HiddenInput(), "opened", None),
    (forms.HiddenInput(), "seen_version", 0),
    (forms.NumberInput(attrs={"min": 0}), "seconds", 12),
    (forms.Textarea(attrs={"cols": 40, "rows": 10}), "note", HOSTILE),
    (forms.Textarea(), "note", ""),
    (forms.Textarea(), "note", mark_safe("<b>kept as given</b>")),
    (forms.Select(choices=[("", "—"), ("a", "A & B"), ("b", HOSTILE)]), "skip_reason", "b"),
    (forms.Select(choices=[("", "—"), ("g", [("1", "one"), ("2", "<two>")])]), "grouped", "2"),
    (forms.SelectMultiple(choices=[(1, "one"), (2, "two")]), "many", [1, 2]),
    (forms.Select(choices=[]), "empty", None),
]


@pytest.mark.parametrize(("widget", "name", "value"), WIDGETS)
def test_written_widgets_match_the_templates(widget, name, value):
    attrs = {"id": f"id_{name}", "data-x": HOSTILE}
    written = widget.render(name, value, attrs=attrs, renderer=RENDERER)
    assert written == widget.render(name, value, attrs=attrs, renderer=TEMPLATES)
    assert "<script>" not in written


def test_other_templates_are_rendered_by_django():
    widget = forms.CheckboxInput()
    html = widget.render("flag", True, attrs={"id": "id_flag"}, renderer=RENDERER)
    assert html == widget.render("flag", True, attrs={"id": "id_flag"}, renderer=TEMPLATES)
    assert 'type="checkbox"' in html and "checked" in html


def test_a_form_with_errors_renders_its_error_list():
    class Form(forms.Form):
        default_renderer = RENDERER
        note = forms.CharField(max_length=3)

    form = Form(data={"note": "<too long>"})
    assert not form.is_valid()
    assert 'class="errorlist' in str(form["note"].errors)
    assert "&lt;too long&gt;" in str(form["note"])


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    "can", [(False, False, False, False), (False, False, False, True), (True, True, True, True)]
)
@pytest.mark.parametrize("hidden", [False, True])
def test_the_source_pickers_wrapper_matches_its_template(language, can, hidden):
    rel = Annotation._meta.get_field("source").remote_field
    inner = forms.HiddenInput() if hidden else forms.Select(choices=[("", ""), (1, HOSTILE)])
    widget = RelatedFieldWidgetWrapper(inner, rel, admin.site, *can)
    with translation.override(language):
        written = widget.render("source", 1, attrs={"id": "id_source"}, renderer=RENDERER)
        assert written == widget.render("source", 1, attrs={"id": "id_source"}, renderer=TEMPLATES)
    assert ("view_id_source" in written) == (can[3] and not hidden)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [None, "", "abc", "chosen"])
@pytest.mark.parametrize("required", [False, True])
def test_the_source_picker_lists_what_djangos_autocomplete_lists(value, required):
    """With nothing chosen it skips the autocomplete's query for no id: the same options."""
    source = Source.objects.create(name=HOSTILE)
    value = source.pk if value == "chosen" else value
    rel_field = Annotation._meta.get_field("source")
    picker = ValidIdsAutocompleteSelect(rel_field, admin.site)
    field = forms.ModelChoiceField(Source.objects.all(), widget=picker, required=required)
    django_widget = copy.deepcopy(field).widget
    widget = rendered_here(field.widget)
    assert isinstance(widget, NothingChosenAutocompleteMixin)
    attrs = {"id": "id_source"}
    written = widget.render("source", value, attrs=attrs, renderer=TEMPLATES)
    assert written == django_widget.render("source", value, attrs=attrs, renderer=TEMPLATES)
    assert ("&lt;script&gt;" in written) == (value == source.pk)
