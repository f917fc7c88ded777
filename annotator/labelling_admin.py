"""The labelling form: Admiralty grades as radio buttons with their meanings, one field per label
group (radio buttons for single choice, checkboxes for multiple choice)."""

from django import forms
from django.db.models import Q
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext as _

from .models import Annotation, GoldLabel, Label, LabelGroup
from .request_ids import ValidIdsModelMultipleChoiceField

LABELLING_FIELDS = ["source", "source_mention", "source_reliability", "info_credibility"]


def label_group_field_name(group: LabelGroup) -> str:
    return f"label_group_{group.pk}"


class LabelNameMixin:
    """Show a label by its name alone: the group is already the field's label."""

    def label_from_instance(self, label: Label) -> str:
        return label.name


class LabelChoiceField(LabelNameMixin, forms.ModelChoiceField):
    pass


class LabelMultipleChoiceField(LabelNameMixin, ValidIdsModelMultipleChoiceField):
    pass


def label_group_field(group: LabelGroup) -> forms.Field:
    # Retired labels are not offered; LabellingForm adds back those the instance already has.
    labels = Label.objects.filter(group=group, retired_at__isnull=True).order_by("position", "name")
    # The admin renders help_text as HTML (it is meant for the developer's own markup): a
    # description typed by a lead, or imported from a file, must arrive escaped.
    common = {
        "queryset": labels,
        "required": group.required,
        "help_text": escape(group.description),
    }
    if group.multiple:
        return LabelMultipleChoiceField(
            widget=forms.CheckboxSelectMultiple, label=group.name, **common
        )
    return LabelChoiceField(
        widget=forms.RadioSelect,
        label=group.name,
        empty_label=None if group.required else _("none"),
        **common,
    )


class LabellingForm(forms.ModelForm):
    """Base form; `labellingform_class` adds one declared field per label group."""

    label_groups: list[LabelGroup] = []
    # Fields the view decides, not the user (the statement, the annotator); set on a new
    # instance before validation so the duplicate check sees them.
    preset_values: dict = {}

    # The version of the annotation or gold label this form showed (see services: a save whose
    # version is no longer the stored one is a conflict).
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            for field, value in self.preset_values.items():
                setattr(self.instance, field, value)
        self.initial["seen_version"] = self.instance.version if self.instance.pk else 0
        self.stored_labels = list(self.instance.labels.all()) if self.instance.pk else []
        if self.instance.pk:
            for group in self.label_groups:
                in_group = [label for label in self.stored_labels if label.group_id == group.pk]
                self.initial[label_group_field_name(group)] = (
                    in_group if group.multiple else (in_group[0] if in_group else None)
                )
                self.offer_retired_labels(group, in_group)

    def offer_retired_labels(self, group: LabelGroup, in_group: list[Label]) -> None:
        """A retired label the instance already has stays a choice, so a re-save keeps it."""
        field = self.fields[label_group_field_name(group)]
        field.queryset = Label.objects.filter(
            Q(group=group, retired_at__isnull=True) | Q(pk__in=[label.pk for label in in_group])
        ).order_by("position", "name")

    def expected_version(self) -> int | None:
        return self.cleaned_data.get("seen_version")

    def clean(self):
        cleaned_data = super().clean()
        for group in self.label_groups:
            name = label_group_field_name(group)
            # A radio group posts one value; two values can only come from a crafted request,
            # which must be refused rather than silently keeping the last one.
            posted = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            if not group.multiple and len(posted) > 1:
                self.add_error(
                    name, _("Choose a single label in “%(group)s”.") % {"group": group.name}
                )
        self.version_check()
        return cleaned_data

    def version_check(self) -> None:
        """Another tab (or another lead) saved since this form was shown: say so, show both
        versions, and let the next save (with the stored version) decide."""
        posted = self.cleaned_data.get("seen_version")
        if not self.instance.pk or posted is None or posted == self.instance.version:
            return
        self.conflict_report(self.instance, self.stored_labels)

    def conflict_report(self, stored, stored_labels) -> None:
        # The next submission of this form means "keep mine": it carries the stored version.
        self.data = self.data.copy()
        self.data[self.add_prefix("seen_version")] = str(stored.version)
        yours = summary_rows(self.cleaned_data, self.chosen_labels() if not self.errors else [])
        theirs = summary_rows(stored.__dict__ | {"source": stored.source}, stored_labels)
        raise forms.ValidationError(
            format_html(
                '{}<table class="conflict"><tr><th></th><th>{}</th><th>{}</th></tr>{}</table>',
                _(
                    "This was saved in another window or tab (or by someone else) after you "
                    "opened it; nothing was overwritten. Compare the saved version with yours, "
                    "then save again to keep yours, or reload to keep the saved one."
                ),
                _("saved (theirs)"),
                _("yours (not saved)"),
                format_html_join(
                    "",
                    "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                    ((name, theirs[name], yours[name]) for name in theirs if name in yours),
                ),
            ),
            code="conflict",
        )

    def chosen_labels(self) -> list[Label]:
        # Labels of retired groups (no longer on the form) stay as they were.
        shown = {group.pk for group in self.label_groups}
        labels = [label for label in self.stored_labels if label.group_id not in shown]
        for group in self.label_groups:
            value = self.cleaned_data.get(label_group_field_name(group))
            if group.multiple:
                labels.extend(value or [])
            elif value is not None:
                labels.append(value)
        return labels


class AnnotationForm(LabellingForm):
    class Meta:
        model = Annotation
        fields = [*LABELLING_FIELDS, "note"]

    def clean(self):
        cleaned_data = super().clean()
        annotation = self.instance
        if annotation.statement_id and annotation.annotator_id and not self.errors:
            duplicate = (
                Annotation.objects.filter(
                    statement_id=annotation.statement_id, annotator_id=annotation.annotator_id
                )
                .exclude(pk=annotation.pk)
                .first()
            )
            # The same labels posted twice (a double click) are let through: saving then meets
            # the existing annotation and the view answers as if this request had saved it.
            if duplicate is not None and not self.repeats(duplicate):
                raise forms.ValidationError(
                    _("You have already annotated this statement; edit your annotation instead."),
                    code="duplicate",
                )
        return cleaned_data

    def repeats(self, existing: Annotation) -> bool:
        from .services import annotation_content  # services imports the forms' module chain

        posted = Annotation(
            source=self.cleaned_data.get("source"),
            source_mention=self.cleaned_data.get("source_mention", ""),
            source_reliability=self.cleaned_data.get("source_reliability"),
            info_credibility=self.cleaned_data.get("info_credibility"),
            note=self.cleaned_data.get("note", ""),
        )
        return annotation_content(existing, existing.labels.all()) == annotation_content(
            posted, self.chosen_labels()
        )


class GoldLabelForm(LabellingForm):
    class Meta:
        model = GoldLabel
        fields = [*LABELLING_FIELDS, "note", "method", "rationale"]


def summary_rows(values: dict, labels: list[Label]) -> dict[str, str]:
    """The fields of one version of an annotation or gold label, as short text."""
    source = values.get("source")
    return {
        _("source"): str(source) if source else _("none"),
        _("source as written"): values.get("source_mention") or "",
        _("Admiralty code"): f"{values.get('source_reliability') or '?'}"
        f"{values.get('info_credibility') or '?'}",
        _("labels"): "; ".join(sorted(str(label) for label in labels)),
        _("note"): (values.get("note") or "")[:300],
    }


def label_groups_ordered() -> list[LabelGroup]:
    """The groups offered on forms: retired ones are not."""
    return list(LabelGroup.objects.filter(retired_at__isnull=True).order_by("position", "name"))


def labellingform_class(
    base: type[LabellingForm], groups: list[LabelGroup] | None = None, **attrs
) -> type[LabellingForm]:
    """A subclass of `base` with one declared field per label group, so the admin's
    modelform_factory accepts the group fields listed in its fieldsets."""
    groups = label_groups_ordered() if groups is None else groups
    fields = {label_group_field_name(group): label_group_field(group) for group in groups}
    return type(base.__name__, (base,), {**fields, **attrs, "label_groups": groups})
