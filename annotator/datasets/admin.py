"""The admin side of imports and exports, mixed into the ModelAdmins in admin.py.

- ``LeadImportExportMixin``: django-import-export's import and export for leads only
  (``roles.can_import``/``can_export``): an annotator sees no button, and a typed-in URL
  answers 403. Formats: csv,
  xlsx, json, yaml, tsv (spreadsheet formats neutralise formulas, see resources.py).
- ``dataset_export_view``: the project's "Export dataset" page; the download is one zip with
  the data, ``.documents.jsonl`` and the dataset card, exactly what ``export_dataset`` writes,
  streamed while it is produced (jsonl and csv never wait for the whole file).
"""

from __future__ import annotations

import importlib.util
from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from . import roles
from .admin_policy import visible_object_or_404
from .exporting import FORMATS as DATASET_FORMATS
from .exporting import DatasetExport, zip_stream
from .models import Annotation, Project, Statement
from .resources import FORMATS


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


def dataset_formats() -> list[tuple[str, str]]:
    labels = {
        "jsonl": _("jsonl: one record per statement (NLP, datasets library)"),
        "csv": _("csv: one row per annotation (pandas, R, spreadsheets)"),
        "xlsx": _("xlsx: sheets of statements, annotations and sources"),
        "parquet": _("parquet: the jsonl records as a typed table"),
    }
    has_pyarrow = importlib.util.find_spec("pyarrow") is not None
    return [(fmt, labels[fmt]) for fmt in DATASET_FORMATS if fmt != "parquet" or has_pyarrow]


class DatasetExportForm(forms.Form):
    format = forms.ChoiceField(label=_("format"), choices=dataset_formats, initial="jsonl")
    gold_only = forms.BooleanField(label=_("only statements with a gold label"), required=False)
    since = forms.DateField(
        label=_("only statements labelled since"),
        required=False,
        help_text=_("A date such as 2026-03-01; empty for every statement."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    real_names = forms.BooleanField(
        label=_("real usernames"),
        required=False,
        help_text=_("Otherwise annotators are annotator_1, annotator_2, …"),
    )


def dataset_export_view(model_admin, request: HttpRequest, object_id: str):
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
        **model_admin.admin_site.each_context(request),
        "title": gettext("Export dataset: %(project)s") % {"project": project.name},
        "opts": model_admin.opts,
        "original": project,
        "form": form,
        "statement_count": Statement.objects.filter(document__project=project).count(),
        "annotation_count": Annotation.objects.filter(
            statement__document__project=project, status=Annotation.Status.SUBMITTED
        ).count(),
    }
    return TemplateResponse(request, "admin/annotator/export/dataset.html", context)
