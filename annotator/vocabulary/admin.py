"""Admin pieces that keep the data whole, mixed into the ModelAdmins of admin.py:

- labels and label groups in use are retired instead of deleted (single delete, the bulk
  delete action and the group's inline), with a message that says so;
- annotations and gold labels are deleted through the services, into the label history;
- a save that meets a newer version (another tab, another lead) is a conflict, never an
  overwrite;
- a segmented document's text is read-only.
"""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as admin_delete_selected
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import deleting, services
from .models import Label


class RetireInUseAdminMixin:
    """Delete what is unused; retire (hide from new annotations, keep everywhere else) what
    annotations or gold labels already use. Subclasses name the two services."""

    actions = ["delete_selected"]

    def in_use(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError

    def delete_or_retire(self, queryset: QuerySet) -> deleting.Outcome:
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

    def outcome_report(self, request, outcome: deleting.Outcome) -> None:
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
        return deleting.labels_in_use(queryset)

    def delete_or_retire(self, queryset):
        return deleting.labels_delete_or_retire(labels=queryset)


class LabelGroupRetireAdminMixin(RetireInUseAdminMixin):
    def in_use(self, queryset):
        return deleting.label_groups_in_use(queryset)

    def delete_or_retire(self, queryset):
        return deleting.label_groups_delete_or_retire(groups=queryset)


class RetiringLabelFormSet(BaseInlineFormSet):
    """A label ticked for deletion in its group's form is retired if it is in use."""

    def delete_existing(self, obj, commit=True):
        if commit:
            deleting.labels_delete_or_retire(labels=Label.objects.filter(pk=obj.pk))


class LabellingDeleteAdminMixin:
    """Annotations and gold labels are deleted one by one through the services: each delete is
    a revision in the label history, and automatic gold labels are checked again."""

    def delete_model(self, request, obj):
        self.labellings_delete([obj], changed_by=request.user)

    def delete_queryset(self, request, queryset):
        self.labellings_delete(queryset.select_related("statement", "source"), request.user)

    def labellings_delete(self, labellings, changed_by) -> None:
        if self.model._meta.model_name == "annotation":
            deleting.annotations_delete(annotations=labellings, changed_by=changed_by)
        else:
            deleting.gold_labels_delete(gold_labels=labellings, changed_by=changed_by)


class LabellingConflictAdminMixin:
    """The form reports a newer version when it validates; a save that loses the race after
    that (the service compares under the row lock) is answered here, and nothing is written."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except services.LabellingConflict:
            messages.error(
                request,
                gettext(
                    "This was saved in another window or tab (or by someone else) while you "
                    "were saving; nothing was overwritten. Here is the saved version: make "
                    "your change again if it is still needed."
                ),
            )
            return HttpResponseRedirect(request.get_full_path())


class DocumentTextAdminMixin:
    """Once a document is segmented, its statements' offsets point into its text: the text is
    read-only in the change form, with the reason next to it."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.statements.exists():
            fields += ["text", "text_read_only_reason"]
        return fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "text_read_only_reason" in fields:
            fields.remove("text_read_only_reason")
            fields.insert(fields.index("text") + 1, "text_read_only_reason")
        return fields

    @admin.display(description=_("why the text is read-only"))
    def text_read_only_reason(self, document) -> str:
        return gettext(
            "%(count)d statements point into this text by their character offsets, so it "
            "cannot change here. To correct the article, import the corrected text as a new "
            "document."
        ) % {"count": document.statements.count()}
