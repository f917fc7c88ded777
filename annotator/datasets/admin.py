"""The admin side of imports and exports, mixed into the ModelAdmins in admin.py.

- ``LeadImportExportMixin``: django-import-export's import and export for leads only
  (``roles.can_import``/``can_export``): an annotator sees no button, and a typed-in URL
  answers 403. Formats: csv,
  xlsx, json, yaml, tsv (spreadsheet formats neutralise formulas, see resources.py).
- ``DatasetExportAdminMixin``: the project's "Export dataset" page; the download is one zip with
  the data, ``.documents.jsonl`` and the dataset card, exactly what ``export_dataset`` writes,
  streamed while it is produced (jsonl and csv never wait for the whole file).
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from import_export.admin import ImportExportMixin

from .. import roles
from ..admin_policy import visible_object_or_404
from ..models import Annotation, Project, Statement
from .bundle import zip_stream
from .forms import DatasetExportForm
from .resources import FORMATS
from .selection import DatasetExport


class LeadImportExportMixin(ImportExportMixin):
    formats = FORMATS
    import_template_name = "admin/annotator/export/import.html"

    def has_import_permission(self, request) -> bool:
        return roles.can_import(request.user)

    def has_export_permission(self, request) -> bool:
        return roles.can_export(request.user)

    def process_result(self, result, request):
        """After "Confirm import": if rows turned invalid since the preview (someone changed
        the data meanwhile), the resource rolled everything back; say so, not "finished"."""
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        lines = sorted(
            {row.number + 1 for row in result.invalid_rows}
            | {error.number + 1 for error in result.error_rows}
        )
        messages.error(
            request,
            gettext(
                "Nothing was imported: since the preview, the data changed and line(s) "
                "%(lines)s of the file are no longer valid. Upload it again to see why."
            )
            % {"lines": ", ".join(map(str, lines)) or "?"},
        )
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info)))


class DatasetExportAdminMixin:
    """Mixed into ProjectAdmin: the project's "Export dataset" page (leads only); the download is
    one zip with the data, ``.documents.jsonl`` and the dataset card, exactly what
    ``export_dataset`` writes, streamed while it is produced."""

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/export-dataset/",
                self.admin_site.admin_view(self.dataset_export_view),
                name="annotator_project_export_dataset",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": roles.can_export(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def dataset_export_view(self, request: HttpRequest, object_id: str):
        if not roles.can_export(request.user):
            raise PermissionDenied
        project = visible_object_or_404(request.user, Project, object_id)
        form = DatasetExportForm(request.GET if "format" in request.GET else None)
        if form.is_bound and form.is_valid():
            since = form.cleaned_data["since"]
            export = DatasetExport(
                project=project,
                gold_only=form.cleaned_data["gold_only"],
                since=timezone.make_aware(datetime.combine(since, time.min)) if since else None,
                real_names=form.cleaned_data["real_names"],
            )
            fmt = form.cleaned_data["format"]
            name = f"{slugify(project.name) or 'dataset'}-{timezone.localdate():%Y-%m-%d}"
            response = StreamingHttpResponse(
                zip_stream(export=export, fmt=fmt, data_name=f"{name}.{fmt}"),
                content_type="application/zip",
            )
            response["Content-Disposition"] = f'attachment; filename="{name}-{fmt}.zip"'
            response["X-Accel-Buffering"] = "no"  # let a proxy pass the stream on as it comes
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Export dataset: %(project)s") % {"project": project.name},
            "opts": self.opts,
            "original": project,
            "form": form,
            "statement_count": Statement.objects.filter(document__project=project).count(),
            "annotation_count": Annotation.objects.submitted().in_project(project).count(),
        }
        return TemplateResponse(request, "admin/annotator/export/dataset.html", context)
