"""Documents and statements in the admin, and the lead's article import:

- ``ArticleImportAdminMixin`` (Document list): "Import articles" -> upload form -> preview of
  what would be imported (nothing written) -> "Confirm import" writes it (a large upload as a
  background job, tasks.py). Between preview and confirm the uploaded bytes stay on the server
  (`uploads`); confirm reads and checks them again.
- ``DocumentTextAdminMixin``: a segmented document's text is read-only.
- ``DocumentAdmin`` and ``StatementAdmin`` (the statement's page makes a suggested mention a
  registry source: registry.admin.SourceFromMentionAdminMixin).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import DocumentProjectFilter, PolicyAdminMixin, visible_object_or_404
from ..models import Annotation, Document, Project
from ..paginators import CappedCountPaginator
from ..progress import progress_recount
from ..registry.admin import SourceFromMentionAdminMixin
from .forms import ArticleUploadForm
from .reading import article_file_read
from .running import ImportSummary, article_files_preview, articles_import
from .selectors import statement_in_context
from .tasks import import_enqueue, import_is_large
from .uploads import upload_load, upload_max_bytes, upload_store

UPLOAD_SESSION_KEY = "article_import_uploads"


def summary_messages(request, summary: ImportSummary, limit: int = 10) -> None:
    level = messages.SUCCESS if summary.ok else messages.WARNING
    messages.add_message(request, level, " ".join(summary.lines()))
    for issue in summary.issues[:limit]:
        messages.error(request, gettext("Not imported: %(issue)s") % {"issue": issue})
    if len(summary.issues) > limit:
        messages.error(
            request,
            gettext("… and %(count)d more errors.") % {"count": len(summary.issues) - limit},
        )


class ArticleImportAdminMixin:
    """For DocumentAdmin. The per-model change list template adds the "Import articles" button;
    it is set here so that django-import-export, if mixed in too, extends it (it takes a
    ModelAdmin's change_list_template as its base) and the page shows both buttons."""

    change_list_template = "admin/annotator/document/change_list.html"
    articles_upload_template = "admin/annotator/document/import_articles.html"
    articles_preview_template = "admin/annotator/document/import_articles_preview.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "import-articles/",
                self.admin_site.admin_view(self.articles_upload_view),
                name="{}_{}_import_articles".format(*info),
            ),
            path(
                "import-articles/<str:token>/",
                self.admin_site.admin_view(self.articles_preview_view),
                name="{}_{}_import_articles_preview".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def has_articles_import_permission(self, request) -> bool:
        return roles.can_import(request.user)

    def changelist_view(self, request, extra_context=None):
        import_url = self.articles_url("import_articles")
        if request.GET.get("project__id__exact", "").isdigit():
            import_url += "?" + urlencode({"project": request.GET["project__id__exact"]})
        extra_context = {
            **(extra_context or {}),
            "has_articles_import_permission": self.has_articles_import_permission(request),
            "articles_import_url": import_url,
        }
        return super().changelist_view(request, extra_context)

    def articles_context(self, request, **context) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import articles"),
            **context,
        }

    def articles_upload_view(self, request):
        if not self.has_articles_import_permission(request):
            raise PermissionDenied
        projects = roles.visible_projects(request.user)
        initial = {"project": request.GET.get("project")}
        if request.method == "POST":
            form = ArticleUploadForm(request.POST, request.FILES, projects=projects)
        else:
            form = ArticleUploadForm(projects=projects, initial=initial)
        if form.is_valid():
            files = [(f.name, b"".join(f.chunks())) for f in form.cleaned_data["files"]]
            token = upload_store(
                user_id=request.user.pk,
                project_id=form.cleaned_data["project"].pk,
                language=form.cleaned_data["language"],
                files=files,
            )
            # The session names the uploads this user may preview and confirm; a token from
            # anywhere else is a 404.
            request.session[UPLOAD_SESSION_KEY] = [
                *request.session.get(UPLOAD_SESSION_KEY, [])[-9:],
                token,
            ]
            return HttpResponseRedirect(self.articles_url("import_articles_preview", token))
        context = self.articles_context(
            request,
            form=form,
            max_size=filesizeformat(upload_max_bytes()),
            media=self.media + form.media,
        )
        return TemplateResponse(request, self.articles_upload_template, context)

    def articles_url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def articles_preview_view(self, request, token: str):
        if not self.has_articles_import_permission(request):
            raise PermissionDenied
        if token not in request.session.get(UPLOAD_SESSION_KEY, []):
            raise Http404
        upload = upload_load(token, claim=request.method == "POST")
        if upload is None or upload[0]["user"] != request.user.pk:
            raise Http404(gettext("This upload has expired; please upload the files again."))
        manifest, stored = upload
        project = visible_object_or_404(request.user, Project, manifest["project"])
        files = [
            article_file_read(name=name, data=data, language=manifest["language"])
            for name, data in stored
        ]
        if request.method == "POST":
            return self.articles_confirm(request, token, project, files, stored, manifest)
        previews = article_files_preview(project=project, files=files)
        records = [record for preview in previews for record in preview.records]
        context = self.articles_context(
            request,
            project=project,
            language=dict(Document._meta.get_field("language").choices)[manifest["language"]],
            previews=previews,
            new_count=sum(record.new for record in records),
            duplicate_count=sum(not record.new for record in records),
            failed_files=sum(bool(preview.issues) for preview in previews),
            upload_url=self.articles_url("import_articles"),
        )
        return TemplateResponse(request, self.articles_preview_template, context)

    def articles_confirm(self, request, token: str, project, files, stored, manifest):
        request.session[UPLOAD_SESSION_KEY] = [
            known for known in request.session.get(UPLOAD_SESSION_KEY, []) if known != token
        ]
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if "_cancel" in request.POST:
            messages.info(request, gettext("The import was cancelled; nothing was written."))
            return HttpResponseRedirect(changelist)
        if import_is_large(stored):
            job = import_enqueue(
                project=project, user=request.user, language=manifest["language"], stored=stored
            )
            messages.success(
                request,
                gettext(
                    "The import runs in the background; this page shows its progress and, "
                    "when it is finished, its summary."
                ),
            )
            return HttpResponseRedirect(reverse("admin:annotator_job_change", args=[job.pk]))
        summary = articles_import(project=project, files=files, files_total=len(files))
        summary_messages(request, summary)
        return HttpResponseRedirect(f"{changelist}?{urlencode({'project__id__exact': project.pk})}")


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


class ProgressRecountOnDeleteMixin:
    """Deleted documents or statements (never annotated: annotations protect them) leave their
    projects' progress counts to be counted again."""

    progress_project_path = "project"

    def delete_model(self, request, obj):
        projects = self.progress_projects([obj])
        super().delete_model(request, obj)
        for project in projects:
            progress_recount(project=project)

    def delete_queryset(self, request, queryset):
        projects = self.progress_projects(queryset)
        super().delete_queryset(request, queryset)
        for project in projects:
            progress_recount(project=project)

    def progress_projects(self, objects) -> list[Project]:
        ids = set()
        for obj in objects:
            for step in self.progress_project_path.split("."):
                obj = getattr(obj, step)
            ids.add(obj.pk)
        return list(Project.objects.filter(pk__in=ids))


class DocumentAdmin(
    PolicyAdminMixin,
    ProgressRecountOnDeleteMixin,
    DocumentTextAdminMixin,
    ArticleImportAdminMixin,
    admin.ModelAdmin,
):
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


class StatementAdmin(
    PolicyAdminMixin, ProgressRecountOnDeleteMixin, SourceFromMentionAdminMixin, admin.ModelAdmin
):
    progress_project_path = "document.project"

    list_display = (
        "number",
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
        "number",
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
        "number",
        "paragraph",
        "in_context",
        "text",
        ("start", "end"),
        "suggested_source",
        "suggested_mention",
        "source_from_mention_link",
        "suggested_cue",
    )

    @admin.display(description=_("no."), ordering="position")
    def number(self, statement):
        """The statement's number in its document, counted from 1 as on every page."""
        return "—" if statement.position is None else statement.position + 1

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
        return Truncator(statement.text).chars(90)

    @admin.display(description=_("annotations"), ordering="annotations_total")
    def annotation_count(self, statement):
        return statement.annotations_total

    @admin.display(description=_("in context"))
    def in_context(self, statement):
        return statement_in_context(statement)
