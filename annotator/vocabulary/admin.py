"""The label vocabularies in the admin: label groups with their labels inline, and labels. Leads
edit them, annotators read them. Labels and label groups in use are retired instead of deleted
(single delete, the bulk delete action and the group's inline), with a message that says so."""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as admin_delete_selected
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..admin_policy import PolicyAdminMixin
from ..models import Label
from . import services
from .forms import ChoiceCheckedForm
from .selectors import label_groups_in_use, labels_in_use


class RetireInUseAdminMixin:
    """Delete what is unused; retire (hide from new annotations, keep everywhere else) what
    annotations or gold labels already use. Subclasses name the two services."""

    actions = ["delete_selected"]

    def in_use(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError

    def delete_or_retire(self, queryset: QuerySet) -> services.Outcome:
        raise NotImplementedError

    @admin.action(
        permissions=["delete"],
        description=_("Delete selected %(verbose_name_plural)s (those in use are retired)"),
    )
    def delete_selected(self, request, queryset):
        if not request.POST.get("post"):
            self.warn_in_use(request, self.in_use(queryset))
        return admin_delete_selected(self, request, queryset)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "GET" and str(object_id).isdigit():
            self.warn_in_use(request, self.in_use(self.model.objects.filter(pk=object_id)))
        return super().delete_view(request, object_id, extra_context)

    def warn_in_use(self, request, in_use: QuerySet) -> None:
        names = [str(item) for item in in_use[:20]]
        if names:
            messages.warning(
                request,
                gettext(
                    "In use by annotations or gold labels, so retired instead of deleted "
                    "(no longer offered to annotators; kept in the history, exports and "
                    "agreement): %(names)s."
                )
                % {"names": ", ".join(names)},
            )

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

    def delete_or_retire(self, queryset):
        return services.labels_delete_or_retire(labels=queryset)


class LabelGroupRetireAdminMixin(RetireInUseAdminMixin):
    def in_use(self, queryset):
        return label_groups_in_use(queryset)

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
