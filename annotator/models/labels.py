"""Annotations and gold labels, and the history of every change to them.

Annotation and GoldLabel share their label fields through `Labelling`, so a gold label is exactly
an annotation that a lead (or a unanimous vote) settled. What the fields mean, how they are
validated and compared is the labelling schema (annotator/labelling.py).
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .projects import Statement
from .querysets import AnnotationQuerySet
from .sources import Source
from .vocabulary import Label

# Notes and rationales are a few sentences; a limit keeps a pasted megabyte out of every export.
NOTE_MAX_LENGTH = 5000


class SourceReliability(models.TextChoices):
    """Admiralty (NATO STANAG 2511 / AJP-2.1) source reliability."""

    A = "A", _("A – completely reliable")
    B = "B", _("B – usually reliable")
    C = "C", _("C – fairly reliable")
    D = "D", _("D – not usually reliable")
    E = "E", _("E – unreliable")
    F = "F", _("F – reliability cannot be judged")


class InfoCredibility(models.TextChoices):
    """Admiralty information credibility, judged independently of the source."""

    CONFIRMED = "1", _("1 – confirmed by other sources")
    PROBABLE = "2", _("2 – probably true")
    POSSIBLE = "3", _("3 – possibly true")
    DOUBTFUL = "4", _("4 – doubtful")
    IMPROBABLE = "5", _("5 – improbable")
    CANNOT_JUDGE = "6", _("6 – truth cannot be judged")


class Labelling(models.Model):
    """The label schema, shared by annotations and gold labels."""

    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("source"),
        help_text=_("Empty: no attributed source, the author's own voice."),
    )
    source_mention = models.CharField(
        _("source as written"),
        max_length=500,
        blank=True,
        help_text=_("The words naming the source, e.g. “laut KCNA”."),
    )
    source_reliability = models.CharField(
        _("source reliability"), max_length=1, choices=SourceReliability.choices
    )
    info_credibility = models.CharField(
        _("information credibility"), max_length=1, choices=InfoCredibility.choices
    )
    labels = models.ManyToManyField(
        Label, blank=True, related_name="%(class)ss", verbose_name=_("labels")
    )
    note = models.TextField(
        _("note"),
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTE_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Incremented by every save (services): a form carries the version it showed, and a save
    # whose version is no longer the stored one is a conflict, never a silent overwrite.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def admiralty_code(self) -> str:
        """The two grades shown together, e.g. "E4"."""
        return f"{self.source_reliability}{self.info_credibility}"


def grade_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(source_reliability__in=SourceReliability.values),
            name=f"{prefix}_reliability_a_to_f",
        ),
        models.CheckConstraint(
            condition=Q(info_credibility__in=InfoCredibility.values),
            name=f"{prefix}_credibility_1_to_6",
        ),
    ]


class Annotation(Labelling):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")

    statement = models.ForeignKey(
        Statement,
        # Labels are the research record: a statement (document, project) with annotations is
        # not deleted by a cascade; annotations are deleted one by one, into the history.
        on_delete=models.PROTECT,
        related_name="annotations",
        verbose_name=_("statement"),
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="annotations",
        verbose_name=_("annotator"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["statement_id", "annotator_id"]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        permissions = [
            ("import_annotation", _("Can import annotations")),
            ("export_annotation", _("Can export annotations")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "annotator"], name="annotation_one_per_annotator"
            ),
            *grade_constraints("annotation"),
        ]
        indexes = [
            models.Index(fields=["annotator", "status"], name="annotation_annotator_status"),
            # An annotator's own list, newest first, and the lead's filter by annotator.
            models.Index(fields=["annotator", "-id"], name="annotation_annotator_recent"),
            models.Index(fields=["statement", "status"], name="annotation_statement_status"),
            models.Index(fields=["-updated_at"], name="annotation_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} / {self.annotator_id}: {self.admiralty_code}"


class GoldLabel(Labelling):
    class Method(models.TextChoices):
        UNANIMOUS = "unanimous", _("unanimous")
        MAJORITY = "majority", _("majority")
        ADJUDICATED = "adjudicated", _("adjudicated")

    statement = models.OneToOneField(
        Statement, on_delete=models.PROTECT, related_name="gold", verbose_name=_("statement")
    )
    method = models.CharField(_("decision"), max_length=12, choices=Method.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gold_labels",
        verbose_name=_("decided by"),
    )
    rationale = models.TextField(
        _("rationale"),
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTE_MAX_LENGTH)],
    )

    class Meta:
        ordering = ["statement_id"]
        verbose_name = _("gold label")
        verbose_name_plural = _("gold labels")
        permissions = [
            ("import_goldlabel", _("Can import gold labels")),
            ("export_goldlabel", _("Can export gold labels")),
        ]
        constraints = grade_constraints("goldlabel")

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.admiralty_code} ({self.method})"


class LabelRevision(models.Model):
    """Every change to an annotation or gold label, kept so nothing an annotator did is lost."""

    class Kind(models.TextChoices):
        ANNOTATION = "annotation", _("annotation")
        GOLD = "gold", _("gold label")

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    # The history outlives nothing it describes: its statement and people cannot be deleted.
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("statement")
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annotator"),
        help_text=_("Whose annotation this is (empty for gold labels)."),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("label revision")
        verbose_name_plural = _("label revisions")
        indexes = [models.Index(fields=["kind", "object_id"], name="revision_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.action} {self.changed_at:%Y-%m-%d %H:%M}"
