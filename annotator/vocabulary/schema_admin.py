"""A project's label schema on the project's page (leads edit it, annotators read it): the
groups it offers as an inline, and, for a new project, where its schema starts (the template
of every label group, a copy of another project's, or only the groups chosen below). A group in
use that is taken out is retired there, never deleted; every change is recorded with its date."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import PolicyAdminMixin
from ..models import Project, ProjectLabelGroup, SchemaChange
from . import services
from .forms import ChoiceCheckedForm

TEMPLATE = "template"


class ChoiceKindSelect(forms.NullBooleanSelect):
    """A schema entry's `multiple`: the group's own choice (empty), or the project's."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [
            ("unknown", _("as the label group defines")),
            ("true", _("multiple choice")),
            ("false", _("single choice")),
        ]


class ProjectLabelGroupInline(PolicyAdminMixin, admin.TabularInline):
    model = ProjectLabelGroup
    form = ChoiceCheckedForm
    fields = ("group", "position", "required", "multiple", "retired_at")
    readonly_fields = ("retired_at",)
    extra = 0
    verbose_name = _("label group of the project")
    verbose_name_plural = _("label schema (the label groups this project offers)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "multiple":
            kwargs["widget"] = ChoiceKindSelect
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ProjectSchemaForm(forms.ModelForm):
    schema_from = forms.ChoiceField(
        label=_("start the label schema from"),
        required=False,
        help_text=_(
            "The template offers every label group of the vocabulary; a copy takes another "
            "project's groups, order and rules. Groups chosen below are added too."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schema_from"].choices = [
            (TEMPLATE, gettext("the template: every label group")),
            ("", gettext("only the groups chosen below")),
            *[
                (str(project.pk), gettext("a copy of “%(project)s”") % {"project": project.name})
                for project in Project.objects.order_by("name").only("pk", "name")
            ],
        ]


class ProjectSchemaAdminMixin:
    """Mixed into ProjectAdmin: the schema inline and the new project's starting schema."""

    schema_inlines = [ProjectLabelGroupInline]

    def get_inlines(self, request, obj):
        return [*super().get_inlines(request, obj), *self.schema_inlines]

    def schema_form(self, request, obj):
        """The form with the "start from" choice, for a lead adding a project."""
        return ProjectSchemaForm if obj is None and roles.is_lead(request.user) else None

    def schema_fields(self, request, obj) -> tuple[str, ...]:
        return ("schema_from",) if self.schema_form(request, obj) else ()

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProjectLabelGroup:
            return super().save_formset(request, form, formset, change)
        project = form.instance
        formset.save(commit=False)
        if formset.deleted_objects:
            outcome = services.schema_entries_remove(
                entries=ProjectLabelGroup.objects.filter(
                    pk__in=[entry.pk for entry in formset.deleted_objects]
                ),
                changed_by=request.user,
            )
            if outcome.retired:
                messages.warning(
                    request,
                    gettext(
                        "Retired in this project, not removed, because its annotations or gold "
                        "labels use them: %(names)s."
                    )
                    % {"names": ", ".join(outcome.retired)},
                )
        for entry in formset.new_objects:
            services.schema_entry_add(
                project=project,
                group=entry.group,
                position=entry.position,
                required=entry.required,
                multiple=entry.multiple,
                changed_by=request.user,
            )
        for entry, changed in formset.changed_objects:
            entry.save()
            services.schema_change_record(
                project=project,
                action=SchemaChange.Action.CHANGED,
                group=entry.group,
                changed_by=request.user,
                detail=", ".join(changed),
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        choice = form.cleaned_data.get("schema_from") if not change else None
        if choice:
            source = None if choice == TEMPLATE else Project.objects.filter(pk=choice).first()
            if choice == TEMPLATE or source is not None:
                services.schema_copy(project=form.instance, source=source, changed_by=request.user)


class ProjectLabelGroupAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Every project's schema entries in one list, for import and export between
    installations (leads); a schema is edited on its project's page, where taking out a group
    in use retires it and every change is recorded."""

    list_display = ("project", "group", "position", "required", "multiple", "retired_at")
    list_select_related = ("project", "group")
    search_fields = ("project__name", "group__name", "group__key")
    ordering = ("project__name", "position")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # Deleting (leads, the policy decides; also when a label group is deleted) retires an
    # entry in use instead, and records every change.
    def delete_model(self, request, obj):
        self.delete_queryset(request, ProjectLabelGroup.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.schema_entries_remove(entries=queryset, changed_by=request.user)
