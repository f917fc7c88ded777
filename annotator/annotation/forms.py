"""The annotation form: the labelling form, plus the mention span (the offsets of the words
selected in the paragraph), the reason for a skip, the time since the page was opened, and the
check that an annotator annotates a statement once (a repeated submission of the same labels is
let through as a double click)."""

import time

from django import forms
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..labelling import GRADE_FIELDS, LABELLING_FIELDS, MENTION_SPAN_FIELDS, labelling_content
from ..labelling_admin import LabellingForm, label_group_field_name
from ..models import Annotation, Statement
from .hotkeys import GRADE_HOTKEYS, label_hotkeys, with_hotkeys
from .renderer import RENDERER, NothingChosenAutocompleteMixin, RenderedHereMixin, rendered_here
from .selectors import labels_offered, own_annotation_of_statement

# The buttons (and the automatic save) that keep an unfinished annotation.
UNFINISHED_ACTIONS = ("_save_draft", "_skip", "_autosave")
OPENED_SALT = "annotator.annotation.opened"


def opened_token() -> str:
    """When the page was shown, signed: the seconds spent are measured by the server."""
    return signing.dumps(int(time.time()), salt=OPENED_SALT)


def seconds_since(token: str) -> int:
    try:
        opened = signing.loads(token, salt=OPENED_SALT, max_age=24 * 3600)
    except (signing.BadSignature, TypeError, ValueError):
        return 0
    return max(0, int(time.time()) - int(opened))


def unfinished_action(data) -> bool:
    return any(action in data for action in UNFINISHED_ACTIONS)


def suggested_span(statement: Statement) -> tuple[int, int] | None:
    """The suggested mention's place in the document text (stored relative to the statement)."""
    start, end = statement.suggested_mention_start, statement.suggested_mention_end
    if start is None or end is None or not statement.suggested_mention:
        return None
    if statement.text[start:end] != statement.suggested_mention:
        return None
    return statement.start + start, statement.start + end


def label_choices(field: forms.ModelChoiceField, labels: list) -> list[tuple]:
    """What the field's ModelChoiceIterator lists: its empty choice, if any, then each label."""
    empty = getattr(field, "empty_label", None)
    return [
        *([("", empty)] if empty is not None else []),
        *((label.pk, field.label_from_instance(label)) for label in labels),
    ]


class AnnotationForm(LabellingForm):
    default_renderer = RENDERER
    opened = forms.CharField(widget=forms.HiddenInput, required=False)
    # Posted with the "Skip" button; not a model field of the form (the view stores it).
    skip_reason = forms.ChoiceField(
        label=gettext_lazy("reason"),
        choices=[("", "—"), *Annotation.SkipReason.choices],
        required=False,
    )

    class Meta:
        model = Annotation
        fields = [*LABELLING_FIELDS, *MENTION_SPAN_FIELDS]
        widgets = {
            "source_mention_start": forms.HiddenInput,
            "source_mention_end": forms.HiddenInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["opened"] = opened_token()
        for field in self.fields.values():
            inner = getattr(field.widget, "widget", None)  # inside the admin's related wrapper
            if inner is not None and not isinstance(inner, RenderedHereMixin):
                rendered_here(inner)
        if self.is_bound and unfinished_action(self.data):
            self.instance.status = (
                Annotation.Status.SKIPPED if "_skip" in self.data else Annotation.Status.DRAFT
            )
            # A draft or a skip keeps whatever is filled in: nothing is required.
            for name in GRADE_FIELDS:
                self.fields[name].required = False
            for group in self.label_groups:
                self.fields[label_group_field_name(group)].required = False

    def sources_known(self, *sources) -> None:
        """Sources the page read already (the suggestion, the annotation's own): the picker
        shows the chosen one of them without reading it again (NothingChosenAutocompleteMixin)."""
        field = self.fields.get("source")
        picker = getattr(field.widget, "widget", None) if field is not None else None
        if isinstance(picker, NothingChosenAutocompleteMixin):
            picker.known_choices = {
                str(source.pk): source for source in sources if source is not None
            }

    def hotkeys_apply(self) -> None:
        """Hotkeys and definitions on every choice, for showing the form (a save that
        succeeds never shows it, and skips this). The labels of all groups are read in one
        query (kept as `offered_labels` for the definitions panel), with the retired labels the
        instance already has (offer_retired_labels), as each group's field lists them."""
        for name, keys in GRADE_HOTKEYS.items():
            if name in self.fields:
                with_hotkeys(self.fields[name].widget, keys)
        # Every group's labels (a read-only page has no label fields, but the panel lists them).
        self.offered_labels = labels_offered(self.label_groups)
        groups = [
            group for group in self.label_groups if label_group_field_name(group) in self.fields
        ]
        labels = {group.pk: list(self.offered_labels[group.pk]) for group in groups}
        for label in self.stored_labels:
            if label.retired_at is not None and label.group_id in labels:
                labels[label.group_id].append(label)
        for in_group in labels.values():
            in_group.sort(key=lambda label: (label.position, label.name))
        keys = label_hotkeys(groups, labels=labels)
        for group in groups:
            field = self.fields[label_group_field_name(group)]
            # Listed from the labels read above: the field's queryset would read them again.
            field.widget.choices = label_choices(field, labels[group.pk])
            with_hotkeys(
                field.widget,
                {str(label.pk): keys[label.pk] for label in labels[group.pk] if label.pk in keys},
                {str(label.pk): label.display_description for label in labels[group.pk]},
            )

    def seconds_spent(self) -> int:
        return seconds_since(self.cleaned_data.get("opened") or "")

    def clean(self):
        cleaned_data = super().clean()
        annotation = self.instance
        if annotation.statement_id and annotation.annotator_id and not self.errors:
            duplicate = own_annotation_of_statement(annotation.statement, annotation.annotator_id)
            if duplicate is not None and duplicate.pk == annotation.pk:
                duplicate = None  # the annotation itself
            # The same labels posted twice (a double click) are let through: saving then meets
            # the existing annotation and the view answers as if this request had saved it.
            if duplicate is not None and not self.repeats(duplicate):
                raise forms.ValidationError(
                    _("You have already annotated this statement; edit your annotation instead."),
                    code="duplicate",
                )
        return cleaned_data

    def given_spans(self) -> set[tuple]:
        """The stored span, and the suggestion's the form pre-fills for a new annotation."""
        return super().given_spans() | {suggested_span(self.instance.statement)}

    def repeats(self, existing: Annotation) -> bool:
        posted = Annotation(
            source=self.cleaned_data.get("source"),
            source_mention=self.cleaned_data.get("source_mention", ""),
            source_mention_start=self.cleaned_data.get("source_mention_start"),
            source_mention_end=self.cleaned_data.get("source_mention_end"),
            source_reliability=self.cleaned_data.get("source_reliability"),
            info_credibility=self.cleaned_data.get("info_credibility"),
            note=self.cleaned_data.get("note", ""),
        )
        return labelling_content(existing, existing.labels.all()) == labelling_content(
            posted, self.chosen_labels()
        )
