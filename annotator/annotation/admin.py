"""The annotator's loop in the admin: "Annotate next" from a project, the annotation form (the
statement in its paragraph, the suggestion, progress), saving and moving on, and each
annotator's progress on the project page.

Annotators see only their own annotations (the policy narrows every queryset); leads read all
of them, and only the author edits one.
"""

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import PolicyAdminMixin, UserProjectFilter, visible_object_or_404
from ..ingestion.selectors import paragraph_start, statement_in_context
from ..labelling_admin import LabellingAdminMixin
from ..models import Annotation, Label, Project, Statement
from ..paginators import CappedCountPaginator
from ..progress import progress_recount
from ..registry.selectors import suggestion_acceptance
from ..request_ids import is_valid_id
from .fieldsets import definitions_html, fieldsets_html
from .flags_admin import ProjectFlagsAdminMixin
from .form_classes import form_class_key, kept_form_class
from .forms import AnnotationForm, opened_token, suggested_span, unfinished_action
from .hotkeys import ACTION_HOTKEYS, action_keys_shown
from .renderer import media_html
from .selectors import (
    Activity,
    annotation_progress,
    annotation_queue,
    annotator_activity,
    annotators_progress,
    document_neighbours,
    label_definitions,
    next_statement,
    statement_for_annotation,
)
from .services import DuplicateAnnotation, annotation_save, annotations_delete
from .statement_box import statement_box_html, submit_row_html


class ProjectAnnotationAdminMixin(ProjectFlagsAdminMixin):
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

    def annotate_column(self, request):
        """ "Annotate next", only for those who annotate the project."""

        def annotate_link(project):
            if not roles.can_annotate(request.user, project):
                return ""
            url = reverse("admin:annotator_project_annotate", args=[project.pk])
            return format_html('<a class="button" href="{}">{}</a>', url, gettext("Annotate next"))

        annotate_link.short_description = ""
        return annotate_link

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
        # Whether the user annotates it, in the same query.
        annotates = roles.annotates_expression(request.user, "pk")
        project = visible_object_or_404(
            request.user, Project.objects.annotate(user_annotates=annotates), object_id
        )
        roles.annotates_known(request.user, project.pk, project.user_annotates)
        if not roles.can_annotate(request.user, project):
            raise PermissionDenied
        statement = next_statement(
            project=project, user=request.user, drafts="drafts" in request.GET
        )
        if statement is None:
            messages.success(
                request,
                gettext("Your queue for “%(project)s” is empty. Thank you!")
                % {"project": project.name},
            )
            return HttpResponseRedirect(
                reverse("admin:annotator_project_change", args=[project.pk])
            )
        draft = (
            None
            if getattr(statement, "untouched", False)
            else Annotation.objects.for_user(request.user).filter(statement=statement).first()
        )
        if draft is not None:
            return HttpResponseRedirect(
                reverse("admin:annotator_annotation_change", args=[draft.pk])
            )
        add_url = reverse("admin:annotator_annotation_add")
        return HttpResponseRedirect(f"{add_url}?{urlencode({'statement': statement.pk})}")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "annotations_per_statement" in form.changed_data:
            progress_recount(project=obj)  # which statements are open changed

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        project = self.get_object(request, object_id)
        if project is not None and roles.can_annotate(request.user, project):
            extra_context["progress"] = annotation_progress(project=project, user=request.user)
            extra_context["queue_preview"] = annotation_queue(
                project=project, user=request.user
            ).select_related("document")[:10]
        if project is not None and roles.can_view_agreement(request.user):
            activity = annotator_activity(project=project)
            extra_context["annotator_progress"] = [
                (user, progress, activity.get(user.pk, Activity()))
                for user, progress in annotators_progress(project=project)
            ]
            extra_context.update(self.flags_context(request, project))
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
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .prefetch_related(Prefetch("labels", Label.objects.select_related("group")))
        )

    def get_list_display(self, request):
        columns = [
            "statement_number",
            "statement_preview",
            "document",
            "admiralty",
            "source",
            "label_list",
            "status",
            "updated_at",
        ]
        if roles.is_lead(request.user):
            columns.insert(3, "annotator")
        return columns

    @admin.display(description=_("no."), ordering="statement__position")
    def statement_number(self, annotation):
        return annotation.statement.position + 1

    @admin.display(description=_("labels"))
    def label_list(self, annotation):
        return ", ".join(label.name for label in annotation.labels.all()) or "—"

    @admin.display(description=_("labels"))
    def labels_by_group(self, annotation):
        """The labels under their groups, for reading (a lead's view of an annotation)."""
        labels = sorted(annotation.labels.all(), key=lambda label: label.position)
        groups = {}
        for label in labels:
            groups.setdefault(label.group, []).append(label.name)
        if not groups:
            return "—"
        return format_html_join(
            "",
            "<div><strong>{}:</strong> {}</div>",
            (
                (group.name, ", ".join(names))
                for group, names in sorted(groups.items(), key=lambda item: item[0].position)
            ),
        )

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
        if annotation.status != Annotation.Status.SUBMITTED and not (
            annotation.source_reliability or annotation.info_credibility
        ):
            return "—"
        return annotation.admiralty_code

    # --- which statement, and who may annotate it ---------------------------------------

    def statement_from_request(self, request) -> Statement:
        statement_id = request.GET.get("statement", "")
        if not is_valid_id(Statement, statement_id):
            raise Http404(gettext("Open a statement from your queue to annotate it."))
        statement = statement_for_annotation(statement_id=statement_id, user=request.user)
        if statement is None:
            raise Http404(gettext("Open a statement from your queue to annotate it."))
        roles.annotates_known(request.user, statement.document.project_id, statement.user_annotates)
        if not roles.can_annotate_statement(request.user, statement):
            raise PermissionDenied
        return statement

    def add_view(self, request, form_url="", extra_context=None):
        statement = self.statement_from_request(request)
        # A POST is checked for a duplicate once, by the form. The user's annotation of the
        # statement was read with it.
        if request.method != "POST" and statement.own_annotation_id is not None:
            return HttpResponseRedirect(
                reverse("admin:annotator_annotation_change", args=[statement.own_annotation_id])
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
        """The form class of the project's schema, made once per process for every statement
        of the schema (form_classes.py), given this request's groups and preset values."""
        preset = {}
        if obj is None:
            preset = {"statement": request.annotator_statement, "annotator": request.user}
        project = self.current_statement(request, obj).document.project
        groups = self.label_groups(request, project)
        key = None  # a page the user only reads: made for it
        if obj is None or self.has_change_permission(request, obj):
            key = form_class_key(request.user, change, groups, kwargs)

        def make():
            kwargs["form"] = self.labelling_form_class(request, project)
            return super(AnnotationAdmin, self).get_form(request, obj, change=change, **kwargs)

        form_class = kept_form_class(key, make)
        return partial(form_class, label_groups=groups, preset_values=preset)

    def get_fieldsets(self, request, obj=None):
        project = self.current_statement(request, obj).document.project
        fieldsets = self.labelling_fieldsets(request, project)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only (a lead): the labels under their groups, not one empty field per group.
            return [
                (name, {**options, "fields": ["labels_by_group"]})
                if options["fields"] and str(options["fields"][0]).startswith("label_group_")
                else (name, options)
                for name, options in fieldsets
            ] + [
                (
                    _("Time and guidelines"),
                    {"fields": [("status", "skip_reason", "seconds_spent", "guidelines_version")]},
                )
            ]
        who, grades, labels, *rest = fieldsets
        who_fields = [
            ("source", "source_mention"),
            *(name for name in who[1]["fields"] if name not in ("source", "source_mention")),
            "source_mention_start",
            "source_mention_end",
            "opened",
        ]
        return [
            (who[0], {**who[1], "fields": who_fields, "classes": ["annotation-who"]}),
            (grades[0], {**grades[1], "classes": ["annotation-grades"]}),
            (labels[0], {**labels[1], "classes": ["annotation-labels"]}),
            *rest,
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                "labels_by_group",
                "status",
                "skip_reason",
                "seconds_spent",
                "guidelines_version",
            ]
        return []

    def get_changeform_initial_data(self, request):
        statement = request.annotator_statement
        start, end = suggested_span(statement) or (None, None)
        return {
            "source": statement.suggested_source_id,
            "source_mention": statement.suggested_mention,
            "source_mention_start": start,
            "source_mention_end": end,
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        statement = self.current_statement(request, obj)
        project = statement.document.project
        adminform = context["adminform"]
        form = adminform.form
        form.hotkeys_apply()
        form.sources_known(statement.suggested_source, obj.source if obj is not None else None)
        if not adminform.readonly_fields:  # the annotator's own form (a lead reads it)
            context["annotation_fieldsets"] = fieldsets_html(adminform)
        context.update(
            statement=statement,
            statement_context=statement_in_context(statement),
            paragraph_start=paragraph_start(statement),
            project=project,
            is_own_annotation=obj is None or obj.annotator_id == request.user.pk,
            can_view_label_history=roles.can_view_label_history(request.user),
            hotkeys=ACTION_HOTKEYS,
            keys_shown=action_keys_shown(),
            suggested_span=suggested_span(statement),
            suggested_source_name=(
                statement.suggested_source.picker_name if statement.suggested_source else ""
            ),
            neighbours=document_neighbours(statement),
            label_definitions=definitions_html(
                label_definitions(self.label_groups(request, project), form.offered_labels)
            ),
            # One screen: the statement, the choices and the buttons without the sidebar.
            is_nav_sidebar_enabled=False,
            may_skip=obj is None or obj.status != Annotation.Status.SUBMITTED,
            may_autosave=obj is None or obj.status == Annotation.Status.DRAFT,
        )
        if roles.can_annotate(request.user, project):
            context["progress"] = annotation_progress(project=project, user=request.user)
        context["media"] = media_html(context["media"])
        response = super().render_change_form(request, context, add, change, form_url, obj)
        self.page_parts_write(response.context_data)
        return response

    def page_parts_write(self, context: dict) -> None:
        """The statement box and the annotator's submit row, written in Python
        (statement_box.py) from the context the admin completed (its permissions)."""
        context["add_url"] = reverse("admin:annotator_annotation_add")
        context["statement_box"] = statement_box_html(context)
        if context["is_own_annotation"] and (
            context["has_add_permission"] or context["has_change_permission"]
        ):
            context["annotation_submit_row"] = submit_row_html(context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.statement = request.annotator_statement
            obj.annotator = request.user
        if "_skip" in request.POST:
            obj.status = Annotation.Status.SKIPPED
            obj.skip_reason = form.cleaned_data.get("skip_reason") or ""
        elif unfinished_action(request.POST):
            obj.status = Annotation.Status.DRAFT
        else:
            obj.status = Annotation.Status.SUBMITTED
        annotation_save(
            annotation=obj,
            labels=form.chosen_labels(),
            changed_by=request.user,
            expected_version=form.expected_version(),
            groups=self.all_label_groups(request, obj.statement.document.project),
            seconds_spent=form.seconds_spent(),
        )

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_autosave" in request.POST:
            stored = self.get_object(request, object_id) if object_id else None
            # An automatic save never turns a submitted annotation back into a draft.
            if stored is not None and stored.status == Annotation.Status.SUBMITTED:
                return JsonResponse({"saved": False}, status=409)
        # Without the admin's transaction around a save: the only write is annotation_save,
        # atomic itself (the admin's log and save_related write nothing here), and inside the
        # admin's transaction its own was a savepoint, two more round trips on every save.
        return self._changeform_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_after_save(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self.response_after_save(request, obj) or super().response_change(request, obj)

    def response_after_save(self, request, obj):
        if "_autosave" in request.POST:
            return JsonResponse(
                {
                    "saved": True,
                    "url": reverse("admin:annotator_annotation_change", args=[obj.pk]),
                    "version": obj.version,
                    "opened": opened_token(),
                }
            )
        if not any(name in request.POST for name in ("_annotate_next", "_save_draft", "_skip")):
            return None
        project_id = obj.statement.document.project_id
        return HttpResponseRedirect(reverse("admin:annotator_project_annotate", args=[project_id]))

    # Every save is recorded in the label history (who, when, before and after), which leads
    # read; the admin's own log of additions and changes would repeat it with less, at a
    # query (and the change message built for it) per save.
    def construct_change_message(self, request, form, formsets, add=False):
        return []

    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    # Deleted one by one into the label history, re-checking the automatic gold label.
    def delete_model(self, request, obj):
        annotations_delete(annotations=[obj], changed_by=request.user)

    def delete_queryset(self, request, queryset):
        annotations_delete(
            annotations=queryset.select_related("statement", "source"), changed_by=request.user
        )
