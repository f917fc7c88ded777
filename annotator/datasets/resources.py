"""django-import-export resources: one ModelResource per shape, with readable columns (project,
document, source, label group, label and user names, not raw ids), used by the admin.

Imports are all or nothing: the admin previews every file first (a dry run), every bad row is
reported with its row and the reason (an unknown name is a row error, never a crash), and the
confirmed import runs in one transaction that is rolled back if any row fails. Rows that would
change nothing are skipped, so importing the same file twice changes nothing; sources and label
vocabularies are matched by name.

Annotations and gold labels are saved through `annotation_save` / `gold_label_save`,
so imports are validated like the admin form (grades, label group rules) and recorded in the
label history.

Spreadsheet safety: the csv, tsv and xlsx formats here neutralise cells a spreadsheet would
evaluate (see `safety.neutralise`) on export and undo that on import; json and yaml keep
text verbatim.
"""

from __future__ import annotations

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from ..adjudication.services import gold_label_save
from ..annotation.services import annotation_save
from ..ingestion.services import content_hash
from ..labelling import labelling_project, labels_validate
from ..models import (
    Annotation,
    Document,
    GoldLabel,
    Label,
    LabelGroup,
    Project,
    Source,
    Statement,
)
from ..progress import progress_recount
from .resource_widgets import (
    DocumentWidget,
    IsoDateTimeWidget,
    LabelsWidget,
    NameWidget,
    StatementWidget,
    username_widget,
)
from .safety import neutralise, unneutralise

# --------------------------------------------------------------------------------------------
# Formats: csv, tsv and xlsx safe for spreadsheets, json and yaml verbatim
# --------------------------------------------------------------------------------------------


def dataset_map(dataset: tablib.Dataset, function) -> tablib.Dataset:
    """A copy of a tablib dataset with `function` applied to every cell and header."""
    headers = [function(header) for header in dataset.headers] if dataset.headers else None
    rows = [[function(value) for value in row] for row in dataset]
    return tablib.Dataset(*rows, headers=headers, title=dataset.title)


class SpreadsheetSafe:
    """Neutralise formula-like cells on export; undo it on import."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_map(dataset, neutralise), **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return dataset_map(super().create_dataset(in_stream, **kwargs), unneutralise)


class SafeCSV(SpreadsheetSafe, base_formats.CSV):
    pass


class SafeTSV(SpreadsheetSafe, base_formats.TSV):
    pass


class SafeXLSX(SpreadsheetSafe, base_formats.XLSX):
    """Characters a spreadsheet cannot hold become "\N{REPLACEMENT CHARACTER}" (the library's
    IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT, set in settings)."""


FORMATS = [SafeCSV, SafeXLSX, base_formats.JSON, base_formats.YAML, SafeTSV]


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


class AllOrNothingResource(resources.ModelResource):
    """Validation errors instead of crashes, and no partial imports."""

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def import_data(self, dataset, *args, **kwargs):
        # A confirmed import whose data turned invalid since the preview writes nothing.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def before_import(self, dataset, **kwargs):
        self.import_user = kwargs.get("user")

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class SourceResource(AllOrNothingResource):
    class Meta:
        model = Source
        fields = ("name", "kind", "country", "aliases", "description")
        export_order = fields
        import_id_fields = ("name",)
        name = "Sources (matched by name)"


BILINGUAL = ("key", "name_de", "name_en", "description_de", "description_en")


class LabelGroupResource(AllOrNothingResource):
    class Meta:
        model = LabelGroup
        fields = ("name", "description", "multiple", "required", "position", *BILINGUAL)
        export_order = fields
        import_id_fields = ("name",)
        name = "Label groups (matched by name)"


class EmptyIsNoneWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return str(value).strip() or None if value is not None else None


class LabelResource(AllOrNothingResource):
    group = fields.Field(
        attribute="group", column_name="group", widget=NameWidget(LabelGroup, "name", "label group")
    )
    # No hotkey is None (an empty cell), never "": unchanged rows stay unchanged.
    hotkey = fields.Field(attribute="hotkey", column_name="hotkey", widget=EmptyIsNoneWidget())

    class Meta:
        model = Label
        fields = ("group", "name", "description", "position", "hotkey", *BILINGUAL)
        export_order = fields
        import_id_fields = ("group", "name")
        name = "Labels (matched by group and name)"

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("group")


class DocumentResource(AllOrNothingResource):
    """Documents with their full text; matched by external id (or by content without one).
    Statements come with the statement import (or the article import, which segments)."""

    project = fields.Field(
        attribute="project", column_name="project", widget=NameWidget(Project, "name", "project")
    )

    class Meta:
        model = Document
        fields = (
            "project", "external_id", "title", "text", "language", "url", "place",
            "published_at", "outlet", "listed_sources",
        )  # fmt: skip
        export_order = fields
        import_id_fields = ("project", "external_id")
        name = "Documents (matched by project and external id, or by content)"

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("project")

    def get_instance(self, instance_loader, row):
        try:
            project = self.fields["project"].clean(row)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        documents = Document.objects.filter(project=project)
        external_id = str(row.get("external_id") or "").strip()
        if external_id:
            return documents.filter(external_id=external_id).first()
        digest = content_hash(str(row.get("title") or ""), str(row.get("text") or ""))
        return documents.filter(content_hash=digest).first()

    def import_instance(self, instance, row, **kwargs):
        old_text = instance.text if instance.pk else None
        super().import_instance(instance, row, **kwargs)
        if old_text is not None and instance.text != old_text and instance.statements.exists():
            raise ValidationError(
                {
                    "text": "The text changed, but the document has statements whose offsets "
                    "point into the old text."
                }  # fmt: skip
            )
        instance.content_hash = content_hash(instance.title, instance.text)


class StatementResource(AllOrNothingResource):
    """Statements with their offsets: a row whose text is not document.text[start:end] is
    refused."""

    project = fields.Field(column_name="project", readonly=True)
    document = fields.Field(attribute="document", column_name="document", widget=DocumentWidget())
    suggested_source = fields.Field(
        attribute="suggested_source",
        column_name="suggested_source",
        widget=NameWidget(Source, "name", "source"),
    )

    class Meta:
        model = Statement
        fields = (
            "project", "document", "position", "paragraph", "text", "start", "end",
            "suggested_source", "suggested_mention", "suggested_cue", "suggested_cue_start",
            "suggested_cue_end", "suggested_mention_start", "suggested_mention_end",
        )  # fmt: skip
        export_order = fields
        import_id_fields = ("document", "position")
        name = "Statements (matched by project, document and position)"

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("document__project", "suggested_source")

    def dehydrate_project(self, statement):
        return statement.document.project.name

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.changed_project_ids = set()

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        self.changed_project_ids.add(instance.document.project_id)

    def after_import(self, dataset, result, **kwargs):
        """Statements written in bulk change which statements are open: the queue and the
        progress counts of their projects are recounted (a dry run is rolled back anyway)."""
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        for project in Project.objects.filter(pk__in=self.changed_project_ids).order_by("pk"):
            progress_recount(project=project)


class LabellingResource(AllOrNothingResource):
    """Annotations and gold labels: the statement by project, document and position."""

    project = fields.Field(column_name="project", readonly=True)
    document = fields.Field(column_name="document", readonly=True)
    statement = fields.Field(
        attribute="statement", column_name="position", widget=StatementWidget()
    )
    statement_text = fields.Field(column_name="statement_text", readonly=True)
    source = fields.Field(
        attribute="source", column_name="source", widget=NameWidget(Source, "name", "source")
    )
    labels = fields.Field(attribute="labels", column_name="labels", widget=LabelsWidget())

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("statement__document__project", "source").prefetch_related(
            "labels__group"
        )

    def dehydrate_project(self, labelling):
        return labelling.statement.document.project.name

    def dehydrate_document(self, labelling):
        return DocumentWidget().render(labelling.statement.document)

    def dehydrate_statement_text(self, labelling):
        return labelling.statement.text

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        text = row.get("statement_text")
        if text and instance.statement_id and text != instance.statement.text:
            errors["statement"] = [
                "statement_text differs from the statement at this position: the file does not "
                "match the document's statements."
            ]
        try:
            instance.import_labels = self.row_labels(instance, row)
            project = labelling_project(instance)
            labels_validate(instance.import_labels, project=project)
        except ValueError as error:
            errors["labels"] = [str(error)]
        except ValidationError as error:
            errors["labels"] = error.messages
        if errors:
            raise ValidationError(errors)

    def row_labels(self, instance, row) -> list[Label]:
        if "labels" in row:
            return self.fields["labels"].clean(row)
        return list(instance.labels.all()) if instance.pk else []

    def save_m2m(self, instance, row, **kwargs):
        """The service saved the labels with the object."""


class AnnotationResource(LabellingResource):
    """Every annotator's labels: leads only (blind annotation)."""

    annotator = fields.Field(
        attribute="annotator", column_name="annotator", widget=username_widget("user")
    )
    submitted_at = fields.Field(
        attribute="submitted_at", column_name="submitted_at", widget=IsoDateTimeWidget()
    )

    # Measured by the server and stamped from the project on every save (annotation_save):
    # exported for the researcher, never taken from a file.
    seconds_spent = fields.Field(
        attribute="seconds_spent", column_name="seconds_spent", readonly=True
    )
    guidelines_version = fields.Field(
        attribute="guidelines_version", column_name="guidelines_version", readonly=True
    )

    class Meta:
        model = Annotation
        fields = (
            "project", "document", "statement", "statement_text", "annotator", "source",
            "source_mention", "source_mention_start", "source_mention_end",
            "source_reliability", "info_credibility", "labels", "note", "status",
            "skip_reason", "submitted_at", "seconds_spent", "guidelines_version",
        )  # fmt: skip
        export_order = fields
        import_id_fields = ("statement", "annotator")
        name = "Annotations (matched by statement and annotator)"

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset).select_related("annotator")

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        project = instance.statement.document.project
        if not project.has_annotator(instance.annotator):
            raise ValidationError(
                {"annotator": f"{instance.annotator} is not an annotator of “{project}”."}
            )

    def do_instance_save(self, instance, is_create):
        annotation_save(
            annotation=instance, labels=instance.import_labels, changed_by=self.import_user
        )


class GoldLabelResource(LabellingResource):
    decided_by = fields.Field(
        attribute="decided_by", column_name="decided_by", widget=username_widget("user")
    )

    class Meta:
        model = GoldLabel
        fields = (
            "project", "document", "statement", "statement_text", "source", "source_mention",
            "source_mention_start", "source_mention_end", "source_reliability",
            "info_credibility", "labels", "note", "method", "decided_by", "rationale",
        )  # fmt: skip
        export_order = fields
        import_id_fields = ("statement",)
        name = "Gold labels (matched by statement)"

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset).select_related("decided_by")

    def do_instance_save(self, instance, is_create):
        gold_label_save(gold=instance, labels=instance.import_labels, changed_by=self.import_user)
