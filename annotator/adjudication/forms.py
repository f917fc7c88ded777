"""The lead's forms: the gold label (in the admin's gold-label page and on the adjudication page,
pre-filled from what the annotators agree on) and the filters of the disagreement queue."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from ..agreement.forms import ManyOptionsSelect
from ..labelling import (
    LABELLING_FIELDS,
    MENTION_SPAN_FIELDS,
    label_groups_offered,
    project_label_groups,
)
from ..labelling_admin import LabellingForm, label_group_field_name, labellingform_class
from ..models import Document, GoldLabel, Project, Source
from ..request_ids import ValidIdsAutocompleteSelect
from .consensus import Consensus
from .queue import QueueFilters


class GoldLabelForm(LabellingForm):
    class Meta:
        model = GoldLabel
        fields = [*LABELLING_FIELDS, "method", "rationale"]


class GoldDecisionForm(GoldLabelForm):
    """The gold label form of the adjudication page: the grades and the method as radio
    buttons, as in the annotation form; the mention's span from a selection in the paragraph
    (or the annotators' most selected span, pre-filled)."""

    class Meta(GoldLabelForm.Meta):
        fields = [*GoldLabelForm.Meta.fields, *MENTION_SPAN_FIELDS]
        widgets = {
            "source_mention_start": forms.HiddenInput,
            "source_mention_end": forms.HiddenInput,
            "source_reliability": forms.RadioSelect,
            "info_credibility": forms.RadioSelect,
            "method": forms.RadioSelect,
            "rationale": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The same source picker as in the annotation form (searches names and aliases).
        source = self.fields["source"]
        source.widget = ValidIdsAutocompleteSelect(
            GoldLabel._meta.get_field("source"), admin_site or admin.site
        )
        source.widget.choices = source.choices
        self.fields["method"].initial = GoldLabel.Method.ADJUDICATED
        for name in ("source_reliability", "info_credibility", "method"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]

    def given_spans(self) -> set[tuple]:
        initial = (self.initial.get("source_mention_start"), self.initial.get("source_mention_end"))
        return super().given_spans() | {initial}


def gold_form_class(project: Project) -> type[GoldDecisionForm]:
    """The gold-label form of the project's schema (the groups it offers)."""
    groups = label_groups_offered(project)
    prefetch_related_objects(groups, "labels")
    return labellingform_class(GoldDecisionForm, groups)


def gold_form_initial(gold: GoldLabel | None, agreed: Consensus) -> dict:
    """An existing gold label as it is; otherwise the annotators' majority (plurality)."""
    if gold is not None:
        return {}
    values = agreed.plurality
    initial = {
        "source": values.get("source_id"),
        "source_mention": values.get("source_mention", ""),
        "source_mention_start": values.get("source_mention_start"),
        "source_mention_end": values.get("source_mention_end"),
        "source_reliability": values.get("source_reliability"),
        "info_credibility": values.get("info_credibility"),
        "method": GoldLabel.Method.ADJUDICATED,
    }
    return {key: value for key, value in initial.items() if value is not None}


def gold_form_label_initial(form_class, labels: set[int]) -> dict:
    """Initial values of the label-group fields for the chosen label ids."""
    initial = {}
    for group in form_class.label_groups:
        in_group = [label.pk for label in group.labels.all() if label.pk in labels]
        name = label_group_field_name(group)
        if group.multiple:
            initial[name] = in_group
        elif in_group:
            initial[name] = in_group[0]
    return initial


def gold_fieldsets(form: GoldDecisionForm) -> list[tuple[str, dict]]:
    """The form's fields grouped as in the annotation form, the decision last (the admin's
    fieldsets, for helpers.AdminForm)."""
    return [
        (_("Who says it"), {"fields": ["source", "source_mention"]}),
        (_("Admiralty grading"), {"fields": ["source_reliability", "info_credibility"]}),
        (_("Labels"), {"fields": [label_group_field_name(group) for group in form.label_groups]}),
        (_("Decision"), {"fields": ["method", "rationale", "note"]}),
    ]


class QueueFilterForm(forms.Form):
    field = forms.ChoiceField(required=False, label=_("field"))
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        required=False,
        label=_("document"),
        widget=ManyOptionsSelect,
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(), required=False, label=_("source"), widget=ManyOptionsSelect
    )
    decided = forms.BooleanField(required=False, label=_("also statements with a gold label"))

    def __init__(self, data, *, project: Project):
        super().__init__(data)
        groups = [group.name for group in project_label_groups(project)]
        self.fields["field"].choices = [
            ("", _("any field")),
            ("source", _("source")),
            ("source_reliability", _("source reliability")),
            ("info_credibility", _("information credibility")),
            *[(name, name) for name in groups],
        ]
        self.fields["document"].queryset = project.documents.only("pk", "title", "project_id")

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            field=data["field"],
            document=data["document"].pk if data["document"] else None,
            source=data["source"].pk if data["source"] else None,
            decided=data["decided"],
        )
