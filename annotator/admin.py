"""The admin is the tool's interface. Every ModelAdmin is built for a big table and asks the
permission policy (roles.py, through admin_policy.PolicyAdminMixin) who may see and do what:
every queryset an annotator can reach is narrowed to their own work, and their lists answer
only the lookups named in `annotator_lookups`."""

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import roles, selectors, services
from .admin_export import LeadImportExportMixin, dataset_export_view
from .admin_policy import PolicyAdminMixin, register_with_policy, visible_object_or_404
from .agreement_admin import AgreementAdminMixin
from .forms import (
    AnnotationForm,
    GoldLabelForm,
    LabellingForm,
    label_group_field_name,
    label_groups_ordered,
    labellingform_class,
)
from .ingestion_admin import ArticleImportAdminMixin, SourceFromMentionAdminMixin
from .integrity_admin import (
    DocumentTextAdminMixin,
    LabelGroupRetireAdminMixin,
    LabellingConflictAdminMixin,
    LabellingDeleteAdminMixin,
    LabelRetireAdminMixin,
    RetiringLabelFormSet,
)
from .models import (
    Annotation,
    Document,
    GoldLabel,
    Label,
    LabelGroup,
    LabelRevision,
    Project,
    Source,
    Statement,
)
from .paginators import CappedCountPaginator
from .request_ids import is_valid_id
from .resources import (
    AnnotationResource,
    DocumentResource,
    GoldLabelResource,
    LabelGroupResource,
    LabelResource,
    SourceResource,
    StatementResource,
)

admin.site.site_header = _("Source credibility annotation")
admin.site.site_title = _("Source credibility annotation")
admin.site.index_title = _("Projects, statements and labels")


def shorten(text: str, length: int = 90) -> str:
    return Truncator(text).chars(length)


class UserProjectFilter(admin.SimpleListFilter):
    """Filter by project, offering only the projects the user belongs to."""

    title = _("project")
    parameter_name = "project"
    project_lookup = "statement__document__project"

    def lookups(self, request, model_admin):
        return [(project.pk, project.name) for project in roles.visible_projects(request.user)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not is_valid_id(Project, self.value()):
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(**{self.project_lookup: self.value()})


class DocumentProjectFilter(UserProjectFilter):
    project_lookup = "document__project"


class LabellingAdminMixin:
    """Shared by annotations and gold labels: the form with one field per label group."""

    labelling_form: type[LabellingForm] = LabellingForm
    radio_fields = {
        "source_reliability": admin.VERTICAL,
        "info_credibility": admin.VERTICAL,
    }
    autocomplete_fields = ("source",)

    def label_groups(self, request) -> list[LabelGroup]:
        """Read once per request: the admin asks for the form and for its fieldsets."""
        if not hasattr(request, "label_groups"):
            request.label_groups = label_groups_ordered()
        return request.label_groups

    def labelling_form_class(self, request, **attrs) -> type[LabellingForm]:
        return labellingform_class(self.labelling_form, self.label_groups(request), **attrs)

    def labelling_fieldsets(self, request) -> list:
        group_fields = [label_group_field_name(group) for group in self.label_groups(request)]
        return [
            (_("Who says it"), {"fields": ["source", "source_mention", "seen_version"]}),
            (
                _("Admiralty grading"),
                {
                    "fields": [("source_reliability", "info_credibility")],
                    "description": _(
                        "Judge the source and the information independently. F and 6 mean "
                        "“cannot be judged”, not “worst”."
                    ),
                },
            ),
            (_("Labels"), {"fields": group_fields}),
            (_("Note"), {"fields": ["note"], "classes": ["collapse"]}),
        ]


@admin.register(Project)
class ProjectAdmin(PolicyAdminMixin, AgreementAdminMixin, admin.ModelAdmin):
    search_fields = ("name", "description")
    filter_horizontal = ("annotators",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        # A GROUP BY drops the model's default ordering; autocomplete pages need one.
        return (
            super()
            .get_queryset(request)
            .annotate(document_count=Count("documents"))
            .order_by("name")
        )

    def get_fields(self, request, obj=None):
        if roles.is_lead(request.user):
            return super().get_fields(request, obj)
        return ("name", "description", "guidelines", "guidelines_version")

    def get_list_display(self, request):
        def progress(project):
            if not roles.can_annotate(request.user, project):
                return "—"
            progress = selectors.annotation_progress(project=project, user=request.user)
            return gettext("%(done)d of %(total)d") % {
                "done": progress.done,
                "total": progress.total,
            }

        progress.short_description = _("your progress")
        return (
            "name",
            "annotations_per_statement",
            "documents",
            progress,
            "annotate_link",
            *self.lead_columns(request),
        )

    @admin.display(description=_("documents"), ordering="document_count")
    def documents(self, project):
        return project.document_count

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
            path(
                "<path:object_id>/export-dataset/",
                self.admin_site.admin_view(partial(dataset_export_view, self)),
                name="annotator_project_export_dataset",
            ),
        ]
        return custom + super().get_urls()

    def annotate_next_view(self, request: HttpRequest, object_id: str):
        """Send the annotator to the next statement of their queue."""
        project = visible_object_or_404(request.user, Project, object_id)
        if not roles.can_annotate(request.user, project):
            raise PermissionDenied
        statement = selectors.next_statement(project=project, user=request.user)
        if statement is None:
            messages.success(
                request,
                gettext("Your queue for “%(project)s” is empty. Thank you!")
                % {"project": project.name},
            )
            return HttpResponseRedirect(
                reverse("admin:annotator_project_change", args=[project.pk])
            )
        draft = Annotation.objects.filter(statement=statement, annotator=request.user).first()
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
            extra_context["progress"] = selectors.annotation_progress(
                project=project, user=request.user
            )
            extra_context["queue_preview"] = selectors.annotation_queue(
                project=project, user=request.user
            ).select_related("document")[:10]
        if project is not None:
            extra_context["can_export"] = roles.can_export(request.user)
        if project is not None and roles.can_view_agreement(request.user):
            extra_context["annotator_progress"] = [
                (user, selectors.annotation_progress(project=project, user=user))
                for user in project.annotators.order_by("username")
            ]
            extra_context["suggestion_acceptance"] = selectors.suggestion_acceptance(
                project=project
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Source)
class SourceAdmin(PolicyAdminMixin, LeadImportExportMixin, admin.ModelAdmin):
    resource_classes = [SourceResource]
    list_display = ("name", "kind", "country", "alias_preview")
    list_filter = ("kind",)
    annotator_lookups = frozenset({"kind__exact"})
    search_fields = ("name", "aliases", "country")

    @admin.display(description=_("aliases"))
    def alias_preview(self, source):
        return shorten(", ".join(source.alias_list), 100)


@admin.register(Document)
class DocumentAdmin(
    PolicyAdminMixin,
    DocumentTextAdminMixin,
    ArticleImportAdminMixin,
    LeadImportExportMixin,
    admin.ModelAdmin,
):
    resource_classes = [DocumentResource]
    list_display = ("title", "project", "language", "place", "published_at", "statements")
    list_filter = ("project", "language")
    list_select_related = ("project",)
    search_fields = ("title", "external_id", "url", "outlet")
    readonly_fields = ("content_hash", "created_at")
    date_hierarchy = "published_at"
    # Django 6's default, chosen now: a URL typed without a scheme means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_count=Count("statements"))

    @admin.display(description=_("statements"), ordering="statement_count")
    def statements(self, document):
        url = reverse("admin:annotator_statement_changelist")
        return format_html(
            '<a href="{}?{}">{}</a>',
            url,
            urlencode({"document__id__exact": document.pk}),
            document.statement_count,
        )


@admin.register(Statement)
class StatementAdmin(
    PolicyAdminMixin, SourceFromMentionAdminMixin, LeadImportExportMixin, admin.ModelAdmin
):
    resource_classes = [StatementResource]
    list_display = (
        "position",
        "text_preview",
        "document",
        "suggested_source",
        "suggested_cue",
        "annotation_count",
    )
    # No filter by document: it would list every document of every project in the sidebar.
    # The document list links to its statements (?document__id__exact=...) instead.
    list_filter = (DocumentProjectFilter, "suggested_source")
    list_select_related = ("document", "suggested_source")
    search_fields = ("text", "suggested_mention")
    raw_id_fields = ("document",)
    autocomplete_fields = ("suggested_source",)
    readonly_fields = (
        "document",
        "position",
        "paragraph",
        "text",
        "start",
        "end",
        "in_context",
        "source_from_mention_link",
    )
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ("sources_create_from_mentions",)
    fields = (
        "document",
        "position",
        "paragraph",
        "in_context",
        "text",
        ("start", "end"),
        "suggested_source",
        "suggested_mention",
        "source_from_mention_link",
        "suggested_cue",
    )

    def get_queryset(self, request):
        # A correlated count is computed for the rows of the page only; a JOIN + GROUP BY
        # would aggregate the whole annotation table first.
        per_statement = (
            Annotation.objects.filter(statement=OuterRef("pk"))
            .order_by()
            .values("statement")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(annotations_total=Coalesce(Subquery(per_statement), 0))
        )

    @admin.display(description=_("text"))
    def text_preview(self, statement):
        return shorten(statement.text)

    @admin.display(description=_("annotations"), ordering="annotations_total")
    def annotation_count(self, statement):
        return statement.annotations_total

    @admin.display(description=_("in context"))
    def in_context(self, statement):
        return selectors.statement_in_context(statement)


@admin.register(Annotation)
class AnnotationAdmin(
    PolicyAdminMixin,
    LabellingConflictAdminMixin,
    LabellingDeleteAdminMixin,
    LabellingAdminMixin,
    LeadImportExportMixin,
    admin.ModelAdmin,
):
    resource_classes = [AnnotationResource]  # leads only: see LeadImportExportMixin
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
        return shorten(annotation.statement.text)

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
        existing = Annotation.objects.filter(statement=statement, annotator=request.user).first()
        if existing is not None and request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:annotator_annotation_change", args=[existing.pk])
            )
        request.annotator_statement = statement
        try:
            return super().add_view(request, form_url, extra_context)
        except services.DuplicateAnnotation as duplicate:
            return self.response_duplicate(request, duplicate)

    def response_duplicate(self, request, duplicate: services.DuplicateAnnotation):
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
        kwargs["form"] = self.labelling_form_class(request, preset_values=preset)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.labelling_fieldsets(request)

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
            statement_context=selectors.statement_in_context(statement),
            project=project,
            is_own_annotation=obj is None or obj.annotator_id == request.user.pk,
            can_view_label_history=roles.can_view_label_history(request.user),
        )
        if roles.can_annotate(request.user, project):
            context["progress"] = selectors.annotation_progress(project=project, user=request.user)
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
        services.annotation_save(
            annotation=obj,
            labels=form.chosen_labels(),
            changed_by=request.user,
            expected_version=form.expected_version(),
        )

    def save_related(self, request, form, formsets, change):
        """Labels were saved with the annotation by the service."""

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


@admin.register(GoldLabel)
class GoldLabelAdmin(
    PolicyAdminMixin,
    LabellingConflictAdminMixin,
    LabellingDeleteAdminMixin,
    LabellingAdminMixin,
    LeadImportExportMixin,
    admin.ModelAdmin,
):
    resource_classes = [GoldLabelResource]
    labelling_form = GoldLabelForm
    list_display = (
        "statement_preview",
        "admiralty",
        "source",
        "method",
        "decided_by",
        "updated_at",
    )
    list_filter = ("method", "source_reliability", "info_credibility", "decided_by")
    list_select_related = ("statement__document", "source", "decided_by")
    search_fields = ("statement__text", "source__name", "rationale")
    raw_id_fields = ("statement",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-id",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self.labelling_form_class(request)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.labelling_fieldsets(request)
        decision = (_("Decision"), {"fields": ["statement", "method", "rationale"]})
        return [decision, *fieldsets]

    @admin.display(description=_("statement"))
    def statement_preview(self, gold):
        return shorten(gold.statement.text)

    @admin.display(description=_("Admiralty code"))
    def admiralty(self, gold):
        return gold.admiralty_code

    def save_model(self, request, obj, form, change):
        obj.decided_by = request.user
        services.gold_label_save(
            gold=obj,
            labels=form.chosen_labels(),
            changed_by=request.user,
            expected_version=form.expected_version(),
        )

    def save_related(self, request, form, formsets, change):
        """Labels were saved with the gold label by the service."""


class LabelInline(PolicyAdminMixin, admin.TabularInline):
    model = Label
    formset = RetiringLabelFormSet
    extra = 1
    fields = ("name", "description", "position", "retired_at")


@admin.register(LabelGroup)
class LabelGroupAdmin(
    PolicyAdminMixin, LabelGroupRetireAdminMixin, LeadImportExportMixin, admin.ModelAdmin
):
    resource_classes = [LabelGroupResource]
    list_display = ("name", "multiple", "required", "position", "retired", "label_names")
    list_editable = ("position",)
    search_fields = ("name",)
    inlines = [LabelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("labels")

    @admin.display(description=_("labels"))
    def label_names(self, group):
        return ", ".join(label.name for label in group.labels.all())


@admin.register(Label)
class LabelAdmin(PolicyAdminMixin, LabelRetireAdminMixin, LeadImportExportMixin, admin.ModelAdmin):
    resource_classes = [LabelResource]
    list_display = ("name", "group", "position", "retired")
    list_filter = ("group", "retired_at")
    annotator_lookups = frozenset(
        {"group__id__exact", "retired_at__gte", "retired_at__lt", "retired_at__isnull"}
    )
    list_select_related = ("group",)
    search_fields = ("name", "group__name")


@admin.register(LabelRevision)
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
    readonly_fields = [field.name for field in LabelRevision._meta.fields]
    raw_id_fields = ("statement",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    date_hierarchy = "changed_at"

    @admin.display(description=_("changes"))
    def changes(self, revision):
        """Only what differs, e.g. “source_reliability: C → E”."""
        before, after = revision.before or {}, revision.after or {}
        return "; ".join(
            f"{key}: {before.get(key, '—')} → {after.get(key, '—')}"
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        )


# Last: Django's and django-axes' ModelAdmins ask the policy too.
register_with_policy(admin.site)
