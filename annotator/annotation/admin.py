"""The annotator's loop in the admin: "Annotate next" from a project, the annotation form (the
statement in its paragraph, the suggestion, progress), saving and moving on, and each
annotator's progress on the project page.

Annotators see only their own annotations (the policy narrows every queryset); leads read all
of them, and only the author edits one.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import PolicyAdminMixin, UserProjectFilter, visible_object_or_404
from ..ingestion.selectors import statement_in_context
from ..labelling_admin import LabellingAdminMixin
from ..models import Annotation, Project, Statement
from ..paginators import CappedCountPaginator
from ..registry.selectors import suggestion_acceptance
from ..request_ids import is_valid_id
from .forms import AnnotationForm
from .selectors import annotation_progress, annotation_queue, next_statement
from .services import DuplicateAnnotation, annotation_save, annotations_delete


class ProjectAnnotationAdminMixin:
    """Mixed into ProjectAdmin: the user's progress column, "Annotate next", and on the
    project's page the user's queue (annotators) or every annotator's progress (leads)."""

    def progress_column(self, request):
        def progress(project):
            if not roles.can_annotate(request.user, project):
                return "—"
            progress = annotation_progress(project=project, user=request.user)
            return gettext("%(done)d of %(total)d") % {
                "done": progress.done,
                "total": progress.total,
            }

        progress.short_description = _("your progress")
        return progress

    @admin.display(description="")
    def annotate_link(self, project):
        url = reverse("admin:annotator_project_annotate", args=[project.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, gettext("Annotate next"))

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/annotate/",
                self.admin_site.admin_view(self.annotate_next_view),
                name="annotator_project_annotate",
            ),
        ]
        return custom + super().get_urls()

    def annotate_next_view(self, request: HttpRequest, object_id: str):
        """Send the annotator to the next statement of their queue."""
        project = visible_object_or_404(request.user, Project, object_id)
        if not roles.can_annotate(request.user, project):
            raise PermissionDenied
        statement = next_statement(project=project, user=request.user)
        if statement is None:
            messages.success(
                request,
                gettext("Your queue for “%(project)s” is empty. Thank you!")
                % {"project": project.name},
            )
            return HttpResponseRedirect(
                reverse("admin:annotator_project_change", args=[project.pk])
            )
        draft = Annotation.objects.for_user(request.user).filter(statement=statement).first()
        if draft is not None:
            return HttpResponseRedirect(
                reverse("admin:annotator_annotation_change", args=[draft.pk])
            )
        add_url = reverse("admin:annotator_annotation_add")
        return HttpResponseRedirect(f"{add_url}?{urlencode({'statement': statement.pk})}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        project = self.get_object(request, object_id)
        if project is not None and roles.can_annotate(request.user, project):
            extra_context["progress"] = annotation_progress(project=project, user=request.user)
            extra_context["queue_preview"] = annotation_queue(
                project=project, user=request.user
            ).select_related("document")[:10]
        if project is not None and roles.can_view_agreement(request.user):
            extra_context["annotator_progress"] = [
                (user, annotation_progress(project=project, user=user))
                for user in project.annotators.order_by("username")
            ]
            extra_context["suggestion_acceptance"] = suggestion_acceptance(project=project)
        return super().change_view(request, object_id, form_url, extra_context)


class AnnotationAdmin(PolicyAdminMixin, LabellingAdminMixin, admin.ModelAdmin):
    labelling_form = AnnotationForm
    list_select_related = ("statement__document", "annotator", "source")
    search_fields = ("statement__text", "source__name", "source_mention", "note")
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-id",)
    list_per_page = 50
    # The filters an annotator sees (get_list_filter), and nothing else.
    annotator_lookups = frozenset(
        {
            UserProjectFilter.parameter_name,
            "status__exact",
            "source_reliability__exact",
            "info_credibility__exact",
        }
    )

    # Blind annotation: every lookup of an annotation starts from the policy's queryset.
    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_list_display(self, request):
        columns = ["statement_preview", "document", "admiralty", "source", "status", "updated_at"]
        if roles.is_lead(request.user):
            columns.insert(2, "annotator")
        return columns

    def get_list_filter(self, request):
        filters = [UserProjectFilter, "status", "source_reliability", "info_credibility"]
        if roles.is_lead(request.user):
            filters += ["annotator", "source"]
        return filters

    @admin.display(description=_("statement"), ordering="statement__position")
    def statement_preview(self, annotation):
        return Truncator(annotation.statement.text).chars(90)

    @admin.display(description=_("document"), ordering="statement__document")
    def document(self, annotation):
        return annotation.statement.document.title

    @admin.display(description=_("Admiralty code"))
    def admiralty(self, annotation):
        return annotation.admiralty_code

    # --- which statement, and who may annotate it ---------------------------------------

    def statement_from_request(self, request) -> Statement:
        statement_id = request.GET.get("statement", "")
        if not is_valid_id(Statement, statement_id):
            raise Http404(gettext("Open a statement from your queue to annotate it."))
        statement = (
            Statement.objects.select_related("document__project", "suggested_source")
            .filter(pk=statement_id)
            .first()
        )
        if statement is None:
            raise Http404(gettext("Open a statement from your queue to annotate it."))
        if not roles.can_annotate_statement(request.user, statement):
            raise PermissionDenied
        return statement

    def add_view(self, request, form_url="", extra_context=None):
        statement = self.statement_from_request(request)
        existing = Annotation.objects.for_user(request.user).filter(statement=statement).first()
        if existing is not None and request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:annotator_annotation_change", args=[existing.pk])
            )
        request.annotator_statement = statement
        try:
            return super().add_view(request, form_url, extra_context)
        except DuplicateAnnotation as duplicate:
            return self.response_duplicate(request, duplicate)

    def response_duplicate(self, request, duplicate: DuplicateAnnotation):
        """A second submission for a statement already saved: never an error page."""
        if duplicate.same_content:
            return self.response_after_save(request, duplicate.existing) or (
                HttpResponseRedirect(
                    reverse("admin:annotator_annotation_change", args=[duplicate.existing.pk])
                )
            )
        messages.warning(
            request,
            gettext(
                "You had already annotated this statement (in another window?). This is the "
                "annotation that was saved; change it here if needed."
            ),
        )
        return HttpResponseRedirect(
            reverse("admin:annotator_annotation_change", args=[duplicate.existing.pk])
        )

    def has_add_permission(self, request, obj=None):
        # Annotations are added from the queue, one statement at a time; a bare "Add" button
        # without a statement would lead nowhere.
        return "statement" in request.GET and super().has_add_permission(request)

    # --- the form --------------------------------------------------------------------------

    def current_statement(self, request, obj) -> Statement:
        return obj.statement if obj is not None else request.annotator_statement

    def get_form(self, request, obj=None, change=False, **kwargs):
        preset = {}
        if obj is None:
            preset = {"statement": request.annotator_statement, "annotator": request.user}
        project = self.current_statement(request, obj).document.project
        kwargs["form"] = self.labelling_form_class(request, project, preset_values=preset)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.labelling_fieldsets(
            request, self.current_statement(request, obj).document.project, obj
        )

    def get_changeform_initial_data(self, request):
        statement = request.annotator_statement
        return {
            "source": statement.suggested_source_id,
            "source_mention": statement.suggested_mention,
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        statement = self.current_statement(request, obj)
        project = statement.document.project
        context.update(
            statement=statement,
            statement_context=statement_in_context(statement),
            project=project,
            is_own_annotation=obj is None or obj.annotator_id == request.user.pk,
            can_view_label_history=roles.can_view_label_history(request.user),
        )
        if roles.can_annotate(request.user, project):
            context["progress"] = annotation_progress(project=project, user=request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.statement = request.annotator_statement
            obj.annotator = request.user
        obj.status = (
            Annotation.Status.DRAFT
            if "_save_draft" in request.POST
            else Annotation.Status.SUBMITTED
        )
        annotation_save(
            annotation=obj,
            labels=form.chosen_labels(),
            changed_by=request.user,
            expected_version=form.expected_version(),
        )

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_after_save(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self.response_after_save(request, obj) or super().response_change(request, obj)

    def response_after_save(self, request, obj):
        if "_annotate_next" not in request.POST and "_save_draft" not in request.POST:
            return None
        project_id = obj.statement.document.project_id
        return HttpResponseRedirect(reverse("admin:annotator_project_annotate", args=[project_id]))

    # Deleted one by one into the label history, re-checking the automatic gold label.
    def delete_model(self, request, obj):
        annotations_delete(annotations=[obj], changed_by=request.user)

    def delete_queryset(self, request, queryset):
        annotations_delete(
            annotations=queryset.select_related("statement", "source"), changed_by=request.user
        )
