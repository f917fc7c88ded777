"""The admin site: each model's admin, assembled from the capabilities that own it, registered.

Every ModelAdmin is written in its capability (annotation, adjudication, ingestion, registry,
vocabulary) and asks the permission policy (roles.py, through admin_policy.PolicyAdminMixin);
here django-import-export's import and export (leads only, datasets.admin) is added to those
that have a resource, and the Project page gets the pages of every capability. Nothing else.
"""

from django.contrib import admin
from django.db.models import Count
from django.template.defaultfilters import linebreaksbr
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django_tasks_db import admin as _tasks_admin  # noqa: F401  (registers DBTaskResult)
from django_tasks_db.models import DBTaskResult

from . import roles
from .adjudication.admin import AdjudicationAdminMixin
from .adjudication.admin import GoldLabelAdmin as GoldLabelPages
from .admin_policy import PolicyAdminMixin, register_with_policy
from .annotation.admin import AnnotationAdmin as AnnotationPages
from .annotation.admin import ProjectAnnotationAdminMixin
from .datasets.admin import DatasetExportAdminMixin, LeadImportExportMixin
from .datasets.resources import (
    AnnotationResource,
    DocumentResource,
    GoldLabelResource,
    LabelGroupResource,
    LabelResource,
    SourceResource,
    StatementResource,
)
from .datasets.schema_resources import ProjectSchemaResource
from .ingestion.admin import DocumentAdmin as DocumentPages
from .ingestion.admin import StatementAdmin as StatementPages
from .jobs_admin import JobAdmin
from .labelling_admin import LabelRevisionAdmin
from .models import (
    Annotation,
    Document,
    GoldLabel,
    Job,
    Label,
    LabelGroup,
    LabelRevision,
    Project,
    ProjectLabelGroup,
    Source,
    Statement,
)
from .registry.admin import SourceAdmin as SourcePages
from .registry.admin import picker_autocomplete_view
from .vocabulary.admin import LabelAdmin as LabelPages
from .vocabulary.admin import LabelGroupAdmin as LabelGroupPages
from .vocabulary.schema_admin import ProjectLabelGroupAdmin as ProjectLabelGroupPages
from .vocabulary.schema_admin import ProjectSchemaAdminMixin

admin.site.site_header = _("Source credibility annotation")
admin.site.site_title = _("Source credibility annotation")
admin.site.index_title = _("Projects, statements and labels")
# Sources in the picker under their display names (read when the site's URLs are built).
admin.site.autocomplete_view = picker_autocomplete_view(admin.site)


def lazy_app_list(site: admin.AdminSite):
    """`site.get_app_list`, built when a page first uses it: every admin page's context
    carries the list for the navigation sidebar, and it asks every model admin for the user's
    permissions, while the annotation page (opened most) shows no sidebar."""
    build = site.get_app_list

    def get_app_list(request, app_label=None):
        return SimpleLazyObject(lambda: build(request, app_label))

    return get_app_list


admin.site.get_app_list = lazy_app_list(admin.site)


@admin.register(Project)
class ProjectAdmin(
    PolicyAdminMixin,
    ProjectSchemaAdminMixin,
    ProjectAnnotationAdminMixin,
    AdjudicationAdminMixin,
    DatasetExportAdminMixin,
    admin.ModelAdmin,
):
    """Where the capabilities meet: annotators' progress and "Annotate next" (annotation), the
    agreement and adjudication pages (agreement, adjudication), the dataset export (datasets)."""

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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = self.schema_form(request, obj)
        if form is not None:
            kwargs["form"] = form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if roles.is_lead(request.user):
            fields = [name for name in super().get_fields(request, obj) if name != "schema_from"]
            return [*fields, *self.schema_fields(request, obj)]
        return ("name", "description", "your_guidelines", "guidelines_version")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if roles.is_lead(request.user) else (*readonly, "your_guidelines")

    @admin.display(description=_("guidelines"))
    def your_guidelines(self, project):
        """The guidelines in the annotator's interface language."""
        return linebreaksbr(project.display_guidelines)

    def get_list_display(self, request):
        return (
            "name",
            "annotations_per_statement",
            "documents",
            self.progress_column(request),
            self.annotate_column(request),
            *self.lead_columns(request),
        )

    @admin.display(description=_("documents"), ordering="document_count")
    def documents(self, project):
        return project.document_count


# Import and export (leads only) come first, so that their pages are added to the capability's.


@admin.register(Source)
class SourceAdmin(LeadImportExportMixin, SourcePages):
    resource_classes = [SourceResource]


@admin.register(Document)
class DocumentAdmin(LeadImportExportMixin, DocumentPages):
    resource_classes = [DocumentResource]


@admin.register(Statement)
class StatementAdmin(LeadImportExportMixin, StatementPages):
    resource_classes = [StatementResource]


@admin.register(Annotation)
class AnnotationAdmin(LeadImportExportMixin, AnnotationPages):
    resource_classes = [AnnotationResource]  # every annotator's labels: leads only


@admin.register(GoldLabel)
class GoldLabelAdmin(LeadImportExportMixin, GoldLabelPages):
    resource_classes = [GoldLabelResource]


@admin.register(LabelGroup)
class LabelGroupAdmin(LeadImportExportMixin, LabelGroupPages):
    resource_classes = [LabelGroupResource]


@admin.register(Label)
class LabelAdmin(LeadImportExportMixin, LabelPages):
    resource_classes = [LabelResource]


@admin.register(ProjectLabelGroup)
class ProjectLabelGroupAdmin(LeadImportExportMixin, ProjectLabelGroupPages):
    resource_classes = [ProjectSchemaResource]


admin.site.register(LabelRevision, LabelRevisionAdmin)
admin.site.register(Job, JobAdmin)

# The task backend's own table (django_tasks_db) stays out of the admin: a lead follows the
# work through the Job pages, which the policy covers. (Its admin module is imported here, before
# the admin's autodiscovery would register it after this module.)
if DBTaskResult in admin.site._registry:
    admin.site.unregister(DBTaskResult)

# Last: Django's and django-axes' ModelAdmins ask the policy too.
register_with_policy(admin.site)
