"""The label vocabularies in the admin: label groups with their labels inline, and labels. Leads
edit them, annotators read them. Labels and label groups in use are retired instead of deleted
(single delete, the bulk delete action and the group's inline): their delete pages say so in
place of the admin's list of what would be deleted, and a message reports what was done."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as admin_delete_selected
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..admin_policy import PolicyAdminMixin
from ..models import Label
from . import services
from .forms import ChoiceCheckedForm
from .selectors import label_groups_in_use, labels_holders, labels_in_use


class RetireInUseAdminMixin:
    """Delete what is unused; retire (hide from new annotations, keep everywhere else) what
    annotations or gold labels already use. Subclasses name the two services."""

    actions = ["delete_selected"]

    def in_use(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError

    def delete_or_retire(self, queryset: QuerySet) -> services.Outcome:
        raise NotImplementedError

    def labels_of(self, queryset: QuerySet) -> QuerySet[Label]:
        raise NotImplementedError

    @admin.action(
        permissions=["delete"],
        description=_("Delete selected %(verbose_name_plural)s (those in use are retired)"),
    )
    def delete_selected(self, request, queryset):
        response = admin_delete_selected(self, request, queryset)
        in_use = self.in_use(queryset)
        if isinstance(response, TemplateResponse) and in_use.exists():
            # The admin's page would list the labels given as deleted: say what happens.
            response.template_name = "admin/annotator/retire_selected_confirmation.html"
            response.context_data.update(
                title=gettext("Retire instead of delete"),
                retired=[self.in_use_line(item) for item in in_use],
                deleted=[str(item) for item in queryset.exclude(pk__in=in_use.values("pk"))],
            )
        return response

    def render_delete_form(self, request, context):
        response = super().render_delete_form(request, context)
        item = context["object"]
        if self.in_use(self.model.objects.filter(pk=item.pk)).exists():
            response.template_name = "admin/annotator/retire_confirmation.html"
            response.context_data.update(
                title=gettext("Retire instead of delete"),
                holders=self.in_use_line(item)["holders"],
                already_retired=item.retired_at is not None,
            )
        return response

    def in_use_line(self, item) -> dict:
        """The item and what has it: “12 annotations and 3 gold labels”."""
        counted = labels_holders(self.labels_of(self.model.objects.filter(pk=item.pk)))
        return {"name": str(item), "holders": services.holders_phrase(*counted)}

    def delete_model(self, request, obj):
        self.outcome_report(request, self.delete_or_retire(self.model.objects.filter(pk=obj.pk)))

    def delete_queryset(self, request, queryset):
        self.outcome_report(request, self.delete_or_retire(queryset))

    def outcome_report(self, request, outcome: services.Outcome) -> None:
        request.delete_outcome = outcome
        if outcome.deleted:
            messages.success(
                request, gettext("Deleted: %(names)s.") % {"names": ", ".join(outcome.deleted)}
            )
        if outcome.retired:
            messages.warning(
                request,
                gettext(
                    "Retired, not deleted, because annotations or gold labels use them: "
                    "%(names)s. They are no longer offered for new annotations and stay in "
                    "the history, exports and agreement."
                )
                % {"names": ", ".join(outcome.retired)},
            )

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        # The admin's own "Successfully deleted …" would be wrong for what was retired: the
        # outcome was reported above.
        if getattr(request, "delete_outcome", None) is not None and level == messages.SUCCESS:
            return
        super().message_user(request, message, level, *args, **kwargs)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "delete_outcome", None) is None:
            return super().response_delete(request, obj_display, obj_id)
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    @admin.display(description=_("retired"), boolean=True, ordering="retired_at")
    def retired(self, obj) -> bool:
        return obj.retired_at is not None


class LabelRetireAdminMixin(RetireInUseAdminMixin):
    def in_use(self, queryset):
        return labels_in_use(queryset)

    def labels_of(self, queryset):
        return queryset

    def delete_or_retire(self, queryset):
        return services.labels_delete_or_retire(labels=queryset)


class LabelGroupRetireAdminMixin(RetireInUseAdminMixin):
    def in_use(self, queryset):
        return label_groups_in_use(queryset)

    def labels_of(self, queryset):
        return Label.objects.filter(group__in=queryset)

    def delete_or_retire(self, queryset):
        return services.label_groups_delete_or_retire(groups=queryset)


class RetiringLabelFormSet(BaseInlineFormSet):
    """A label ticked for deletion in its group's form is retired if it is in use."""

    def delete_existing(self, obj, commit=True):
        if commit:
            services.labels_delete_or_retire(labels=Label.objects.filter(pk=obj.pk))


class LabelInline(PolicyAdminMixin, admin.TabularInline):
    model = Label
    formset = RetiringLabelFormSet
    extra = 1
    fields = ("name", "key", "name_de", "name_en", "position", "hotkey", "retired_at")


class LabelGroupAdmin(PolicyAdminMixin, LabelGroupRetireAdminMixin, admin.ModelAdmin):
    form = ChoiceCheckedForm
    list_display = ("name", "key", "multiple", "required", "position", "retired", "label_names")
    list_editable = ("position",)
    search_fields = ("name",)
    inlines = [LabelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("labels")

    @admin.display(description=_("labels"))
    def label_names(self, group):
        return ", ".join(label.name for label in group.labels.all())


class LabelAdmin(PolicyAdminMixin, LabelRetireAdminMixin, admin.ModelAdmin):
    list_display = ("name", "key", "group", "position", "hotkey", "retired")
    list_filter = ("group", "retired_at")
    annotator_lookups = frozenset(
        {"group__id__exact", "retired_at__gte", "retired_at__lt", "retired_at__isnull"}
    )
    list_select_related = ("group",)
    search_fields = ("name", "group__name")
