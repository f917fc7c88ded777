"""The agreement pages' filters: a document, annotators, the submission dates."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ..models import Document, Project
from ..request_ids import ValidIdsModelMultipleChoiceField
from .data import Filters


class DateInput(forms.DateInput):
    input_type = "date"


class ManyOptionsSelect(forms.Select):
    """A select rendered in Python: Django's widget templates render each option separately,
    which for a filter over a thousand documents takes most of a second."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == chosen else "", label)
                for key, label in self.choices
            ),
        )
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(attrs), options)


class AgreementFilterForm(forms.Form):
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        required=False,
        label=_("document"),
        widget=ManyOptionsSelect,
    )
    annotator = ValidIdsModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label=_("annotators"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everybody."),
    )
    submitted_from = forms.DateField(required=False, label=_("submitted from"), widget=DateInput)
    submitted_to = forms.DateField(required=False, label=_("submitted until"), widget=DateInput)

    def __init__(self, data, *, project: Project):
        super().__init__(data)
        self.fields["document"].queryset = project.documents.only("pk", "title", "project_id")
        self.fields["annotator"].queryset = project.annotators.order_by("username")

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            document=data["document"].pk if data["document"] else None,
            annotators=tuple(user.pk for user in data["annotator"]),
            submitted_from=data["submitted_from"],
            submitted_to=data["submitted_to"],
        )
