"""The labelling schema on a page, shared by the annotation and the gold-label pages:

- `LabellingForm`: the Admiralty grades as radio buttons with their meanings, one field per
  label group (radio buttons for single choice, checkboxes for multiple choice), and the version
  check that turns a save over a newer version into a side-by-side comparison;
- `LabellingAdminMixin`: its fieldsets in the admin, and the answer to a save that lost the
  race against another tab or lead;
- `LabelRevisionAdmin`: the label history, for leads.
"""

from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpResponseRedirect
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin_policy import PolicyAdminMixin
from .compiled_queries import CompiledQuery
from .labelling import MENTION_SPAN_FIELDS, project_label_groups
from .models import Label, LabelGroup, LabelRevision, Project
from .paginators import CappedCountPaginator
from .request_ids import ValidIdsModelMultipleChoiceField, is_valid_id
from .revisions import LabellingConflict


def label_group_field_name(group: LabelGroup) -> str:
    return f"label_group_{group.pk}"


class LabelNameMixin:
    """Show a label by its name alone: the group is already the field's label."""

    def label_from_instance(self, label: Label) -> str:
        return label.display_name


class LabelChoiceField(LabelNameMixin, forms.ModelChoiceField):
    # The group whose offered labels the queryset lists, as label_group_field made it (None
    # once offer_retired_labels widens it): the chosen label is then read by a query
    # compiled once, on every save, instead of the queryset's get().
    offered_group_id: int | None = None

    def to_python(self, value):
        if (
            self.offered_group_id is None
            or value in self.empty_values
            or not is_valid_id(Label, value)  # the field's own message for it
        ):
            return super().to_python(value)
        label = _OFFERED_LABEL.first(group_id=self.offered_group_id, label_id=int(value))
        if label is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return label


_OFFERED_LABEL = CompiledQuery(
    lambda group_id, label_id: Label.objects.filter(
        group_id=group_id, retired_at__isnull=True, pk=label_id
    ).select_related("group"),
    group_id=-918_273_650,
    label_id=-918_273_651,
)


class LabelMultipleChoiceField(LabelNameMixin, ValidIdsModelMultipleChoiceField):
    pass


def label_group_field(group: LabelGroup) -> forms.Field:
    # Retired labels are not offered; LabellingForm adds back those the instance already has.
    labels = (
        Label.objects.filter(group=group, retired_at__isnull=True)
        .select_related("group")  # the label history names a label with its group
        .order_by("position", "name")
    )
    # The admin renders help_text as HTML (it is meant for the developer's own markup): a
    # description typed by a lead, or imported from a file, must arrive escaped.
    common = {
        "queryset": labels,
        "required": group.required,
        "help_text": escape(group.display_description),
    }
    if group.multiple:
        return LabelMultipleChoiceField(
            widget=forms.CheckboxSelectMultiple, label=group.display_name, **common
        )
    field = LabelChoiceField(
        widget=forms.RadioSelect,
        label=group.display_name,
        empty_label=None if group.required else _("none"),
        **common,
    )
    field.offered_group_id = group.pk
    return field


class LabellingForm(forms.ModelForm):
    """Base form; `labellingform_class` adds one declared field per label group."""

    label_groups: list[LabelGroup] = []
    # Fields the view decides, not the user (the statement, the annotator); set on a new
    # instance before validation so the duplicate check sees them.
    preset_values: dict = {}

    # The version of the annotation or gold label this form showed (see revisions: a save whose
    # version is no longer the stored one is a conflict).
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, label_groups=None, preset_values=None, **kwargs):
        # A form class kept for many requests (annotation.admin) is given the groups and the
        # preset values of this request here rather than as class attributes.
        if label_groups is not None:
            self.label_groups = label_groups
        if preset_values is not None:
            self.preset_values = preset_values
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            for field, value in self.preset_values.items():
                setattr(self.instance, field, value)
        self.initial["seen_version"] = self.instance.version if self.instance.pk else 0
        if "source" in self.fields:  # the chosen source, as the picker lists it
            self.fields["source"].label_from_instance = lambda source: source.picker_name
        self.stored_labels = (
            list(self.instance.labels.select_related("group")) if self.instance.pk else []
        )
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
        field.offered_group_id = None  # the queryset below decides
        field.queryset = (
            Label.objects.filter(
                Q(group=group, retired_at__isnull=True) | Q(pk__in=[label.pk for label in in_group])
            )
            .select_related("group")
            .order_by("position", "name")
        )

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
                    name, _("Choose a single label in “%(group)s”.") % {"group": group.display_name}
                )
        self.version_check()
        self.stale_span_drop(cleaned_data)
        return cleaned_data

    def given_spans(self) -> set[tuple]:
        """The mention spans this form was given to show (the stored one; forms that pre-fill
        another add it)."""
        return {(self.instance.source_mention_start, self.instance.source_mention_end)}

    def stale_span_drop(self, cleaned_data: dict) -> None:
        """A mention typed beside the span the form was given: offsets posted back as they
        were shown (a page without its script), or the stored span of a form that does not
        offer it (the admin's gold-label page). The words were not selected, so the mention
        has no span. Offsets of a new selection are checked by the model."""
        mention = cleaned_data.get("source_mention")
        if mention is None or not self.instance.statement_id:
            return
        offered = MENTION_SPAN_FIELDS[0] in self.fields
        if offered:
            span = tuple(cleaned_data.get(name) for name in MENTION_SPAN_FIELDS)
        else:
            span = (self.instance.source_mention_start, self.instance.source_mention_end)
        if None in span or span not in self.given_spans():
            return
        if self.instance.statement.document.text[span[0] : span[1]] == mention:
            return
        if offered:
            cleaned_data["source_mention_start"] = cleaned_data["source_mention_end"] = None
        else:
            self.instance.source_mention_start = self.instance.source_mention_end = None

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
                labels.extend(multiple_choice_labels(value))
            elif value is not None:
                labels.append(value)
        return labels


def multiple_choice_labels(value) -> Iterable[Label]:
    """A multiple-choice group's cleaned value: the chosen labels (a queryset already read by
    the field's validation), or, with nothing chosen, the queryset's none(), which is not
    read: testing it for truth would still build its SQL (the group joined) to find it empty,
    on every save."""
    if value is None or (isinstance(value, QuerySet) and value.query.is_empty()):
        return []
    return value


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


def labellingform_class(
    base: type[LabellingForm], groups: list[LabelGroup], **attrs
) -> type[LabellingForm]:
    """A subclass of `base` with one declared field per label group of the project's schema
    (label_groups_offered), so the admin's modelform_factory accepts the group fields listed
    in its fieldsets."""
    fields = {label_group_field_name(group): label_group_field(group) for group in groups}
    return type(base.__name__, (base,), {**fields, **attrs, "label_groups": groups})


# --------------------------------------------------------------------------------------------
# In the admin
# --------------------------------------------------------------------------------------------


class LabellingAdminMixin:
    """Shared by annotations and gold labels: the form with one field per label group."""

    labelling_form: type[LabellingForm] = LabellingForm
    radio_fields = {
        "source_reliability": admin.VERTICAL,
        "info_credibility": admin.VERTICAL,
    }
    autocomplete_fields = ("source",)

    def label_groups(self, request, project: Project | None) -> list[LabelGroup]:
        """The groups of the project's schema the form offers (retired ones are not), read once
        per request with the retired ones: the admin asks for the form and for its fieldsets,
        and the save validates the labels against the whole schema (`all_label_groups`)."""
        if not hasattr(request, "label_groups"):
            request.all_label_groups = project_label_groups(project)
            request.label_groups = [
                group for group in request.all_label_groups if group.retired_at is None
            ]
        return request.label_groups

    def all_label_groups(self, request, project: Project | None) -> list[LabelGroup]:
        self.label_groups(request, project)
        return request.all_label_groups

    def labelling_form_class(
        self, request, project: Project | None, **attrs
    ) -> type[LabellingForm]:
        groups = self.label_groups(request, project)
        return labellingform_class(self.labelling_form, groups, **attrs)

    def labelling_fieldsets(self, request, project: Project | None, obj=None) -> list:
        """The form's fieldsets; a page the user may only read shows each group's chosen
        labels (in the interface language) instead of the form's fields."""
        groups = self.label_groups(request, project)
        read_only = obj is not None and not self.has_change_permission(request, obj)
        if read_only:
            group_fields = [chosen_labels_display(group) for group in groups]
            who = ["source", "source_mention"]
        else:
            group_fields = [label_group_field_name(group) for group in groups]
            who = ["source", "source_mention", "seen_version"]
        return [
            (gettext_lazy("Who says it"), {"fields": who}),
            (
                gettext_lazy("Admiralty grading"),
                {
                    "fields": [("source_reliability", "info_credibility")],
                    "description": gettext_lazy(
                        "Judge the source and the information independently. F and 6 mean "
                        "“cannot be judged”, not “worst”."
                    ),
                },
            ),
            (gettext_lazy("Labels"), {"fields": group_fields}),
            (gettext_lazy("Note"), {"fields": ["note"], "classes": ["collapse"]}),
        ]

    # The form reports a newer version when it validates; a save that loses the race after
    # that (the service compares under the row lock) is answered here, and nothing is written.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except LabellingConflict:
            messages.error(
                request,
                _(
                    "This was saved in another window or tab (or by someone else) while you "
                    "were saving; nothing was overwritten. Here is the saved version: make "
                    "your change again if it is still needed."
                ),
            )
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        """Labels were saved with the annotation or gold label by its service."""


def chosen_labels_display(group: LabelGroup):
    """A read-only column: the labels of `group` a labelling has."""

    def chosen(labelling) -> str:
        names = [
            label.display_name for label in labelling.labels.all() if label.group_id == group.pk
        ]
        return ", ".join(names) or "—"

    chosen.short_description = group.display_name
    return chosen


class LabelRevisionAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """The full history of labels, for leads: who changed what, when, before and after."""

    list_display = (
        "changed_at",
        "kind",
        "object_id",
        "action",
        "statement",
        "annotator",
        "changed_by",
        "changes",
    )
    list_filter = ("kind", "action", "changed_by")
    list_select_related = ("statement", "annotator", "changed_by")
    search_fields = ("statement__text",)
    readonly_fields = [
        *(f.name for f in LabelRevision._meta.fields if f.name not in ("before", "after")),
        "before_shown",
        "after_shown",
    ]
    fields = readonly_fields
    raw_id_fields = ("statement",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    date_hierarchy = "changed_at"

    @admin.display(description=gettext_lazy("changes"))
    def changes(self, revision):
        """Only what differs, e.g. “source reliability: C → E”."""
        before, after = revision.before or {}, revision.after or {}
        return "; ".join(
            f"{snapshot_name(key)}: {shown(before.get(key, '—'))} → {shown(after.get(key, '—'))}"
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        )

    @admin.display(description=gettext_lazy("before"))
    def before_shown(self, revision):
        return snapshot_lines(revision.before)

    @admin.display(description=gettext_lazy("after"))
    def after_shown(self, revision):
        return snapshot_lines(revision.after)


# The fields of a label history snapshot (labelling.labelling_snapshot), by their names on a page.
SNAPSHOT_NAMES = {
    "source": gettext_lazy("source"),
    "source_mention": gettext_lazy("source as written"),
    "source_reliability": gettext_lazy("source reliability"),
    "info_credibility": gettext_lazy("information credibility"),
    "labels": gettext_lazy("labels"),
    "note": gettext_lazy("note"),
    "status": gettext_lazy("status"),
    "method": gettext_lazy("decision"),
    "rationale": gettext_lazy("rationale"),
}


def snapshot_name(key: str) -> str:
    return str(SNAPSHOT_NAMES.get(key, key))


def shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return "—" if value in (None, "") else str(value)


def snapshot_lines(snapshot: dict | None):
    """A snapshot as "name: value" lines, escaped."""
    if not snapshot:
        return "—"
    return format_html_join(
        "", "{}: {}<br>", ((snapshot_name(key), shown(value)) for key, value in snapshot.items())
    )
