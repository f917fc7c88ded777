"""The admin side of imports and exports, mixed into the ModelAdmins in admin.py.

- ``LeadImportExportMixin``: django-import-export's import and export for leads only
  (``roles.can_import``/``can_export``): an annotator sees no button, and a typed-in URL
  answers 403. Formats: csv,
  xlsx, json, yaml, tsv (spreadsheet formats neutralise formulas, see resources.py).
- ``DatasetExportAdminMixin``: the project's "Export dataset" page; it starts a background job
  (tasks.py) that writes one zip with the data, ``.documents.jsonl`` and the dataset card,
  exactly what ``export_dataset`` writes; the lead downloads it from the job's page.
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from import_export.admin import ImportExportMixin

from .. import roles
from ..admin_policy import visible_object_or_404
from ..jobs import job_enqueue
from ..models import Annotation, Job, Project, Statement
from .forms import DatasetExportForm
from .resources import FORMATS
from .tasks import dataset_export_task, export_params


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
    """Mixed into ProjectAdmin: the project's "Export dataset" page (leads only), which starts
    the export as a background job and lists the project's recent exports."""

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
        form = DatasetExportForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            since = form.cleaned_data["since"]
            job = job_enqueue(
                dataset_export_task,
                kind=Job.Kind.EXPORT,
                project=project,
                user=request.user,
                params=export_params(
                    fmt=form.cleaned_data["format"],
                    gold_only=form.cleaned_data["gold_only"],
                    since=timezone.make_aware(datetime.combine(since, time.min)) if since else None,
                    real_names=form.cleaned_data["real_names"],
                ),
            )
            messages.success(
                request,
                gettext(
                    "The export runs in the background. This page shows its progress; "
                    "download the file here when it is finished."
                ),
            )
            return HttpResponseRedirect(reverse("admin:annotator_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Export dataset: %(project)s") % {"project": project.name},
            "opts": self.opts,
            "original": project,
            "form": form,
            "statement_count": Statement.objects.filter(document__project=project).count(),
            "annotation_count": Annotation.objects.submitted().in_project(project).count(),
            "jobs": Job.objects.filter(project=project, kind=Job.Kind.EXPORT)[:10],
        }
        return TemplateResponse(request, "admin/annotator/export/dataset.html", context)
