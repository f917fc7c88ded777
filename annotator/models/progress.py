"""Maintained counts behind the annotator's progress and queue, so that reading them costs the
same at any size: written by the annotation services under the locks the save already takes
(annotator/progress.py), recomputed and compared by `manage.py progress`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .projects import Document, Project, Statement


class AnnotatorProgress(models.Model):
    """Per project and annotator: submitted annotations, how many of them are on statements
    that are still open, and the document of the latest save (where the queue continues)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("annotator"),
    )
    submitted = models.IntegerField(_("submitted"), default=0)
    submitted_open = models.IntegerField(_("submitted, statement still open"), default=0)
    current_document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current document"),
    )

    class Meta:
        verbose_name = _("annotator progress")
        verbose_name_plural = _("annotator progress")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "annotator"], name="annotatorprogress_one_per_annotator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} / {self.annotator_id}: {self.submitted}"


class OpenStatement(models.Model):
    """A statement still open (fewer submitted annotations than the project's
    `annotations_per_statement`), in queue order: "Annotate next" finds the next open statement
    through this table's index instead of walking past every full one."""

    statement = models.OneToOneField(
        Statement,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("statement"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="+", verbose_name=_("document")
    )
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("open statement")
        verbose_name_plural = _("open statements")
        indexes = [
            models.Index(fields=["project", "document", "position"], name="openstatement_queue")
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} (open)"
