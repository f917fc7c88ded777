"""Annotations and gold labels, and the history of every change to them.

Annotation and GoldLabel share their label fields through `Labelling`, so a gold label is exactly
an annotation that a lead (or a unanimous vote) settled. What the fields mean, how they are
validated and compared is the labelling schema (annotator/labelling.py).
"""

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
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
MENTION_SPAN = ("source_mention_start", "source_mention_end")


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


def mention_span_problem(statement, mention: str, start: int | None, end: int | None):
    """What is wrong with a mention span (the offsets of "source as written" in the document),
    or None: both offsets or neither; inside the statement's paragraph; exactly the words of
    `mention` there."""
    if start is None and end is None:
        return None
    if start is None or end is None or start < 0 or end <= start:
        return _("The position of the source as written is incomplete; select the words again.")
    if statement is None:
        return None
    text = statement.document.text
    if end > len(text):
        return _("The selected words are not in this document; select them again.")
    # The statement's paragraph: its line of the document text.
    paragraph_start = text.rfind("\n", 0, statement.start) + 1
    paragraph_end = text.find("\n", statement.end)
    paragraph_end = len(text) if paragraph_end == -1 else paragraph_end
    if start < paragraph_start or end > paragraph_end:
        return _("Select the source as written inside the statement’s paragraph.")
    if text[start:end] != mention:
        return _(
            "“Source as written” no longer matches the selected words (“%(words)s”); select "
            "them again or clear the selection."
        ) % {"words": text[start:end]}
    return None


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
    # Where the mention stands in the document text (document.text[start:end] ==
    # source_mention, inside the statement's paragraph); empty when it was typed, not selected.
    source_mention_start = models.PositiveIntegerField(
        _("source as written: start"), null=True, blank=True
    )
    source_mention_end = models.PositiveIntegerField(
        _("source as written: end"), null=True, blank=True
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

    def validate_constraints(self, exclude=None) -> None:
        """The grade constraints say what the grade fields' choices say, which clean_fields
        checks without a query (a CheckConstraint is validated by one), and the mention span's
        what `clean` checks (mention_span_problem, with a message that says what to do); the
        database still enforces them. The other constraints are validated as usual."""
        exclude = {*(exclude or ()), *NOT_VALIDATED}
        super().validate_constraints(exclude=exclude)

    def get_constraints(self):
        """The constraints validate_constraints validates: not the CheckConstraints on the
        fields it always excludes, which a CheckConstraint would only find out after building
        a query with every field of the row (0.3 ms each, on every save)."""
        return _constraints_validated(type(self))

    def clean(self) -> None:
        super().clean()
        problem = mention_span_problem(
            getattr(self, "statement", None) if self.statement_id else None,
            self.source_mention,
            self.source_mention_start,
            self.source_mention_end,
        )
        if problem:
            raise ValidationError({"source_mention": problem})

    @property
    def admiralty_code(self) -> str:
        """The two grades shown together, e.g. "E4"."""
        return f"{self.source_reliability or '?'}{self.info_credibility or '?'}"


# Validated by the form's fields and Labelling.clean instead (see validate_constraints).
NOT_VALIDATED = frozenset({"source_reliability", "info_credibility", *MENTION_SPAN})


@functools.cache
def _constraints_validated(model: type[models.Model]) -> list[tuple]:
    return [
        (
            model_class,
            [
                constraint
                for constraint in constraints
                if not (
                    isinstance(constraint, models.CheckConstraint)
                    and Q(constraint.condition).referenced_base_fields & NOT_VALIDATED
                )
            ],
        )
        # Model.get_constraints: the model's own, then its parents'.
        for model_class, constraints in [
            (model, model._meta.constraints),
            *((parent, parent._meta.constraints) for parent in model._meta.all_parents),
        ]
    ]


def grade_constraints(prefix: str, unfinished: Q | None = None) -> list[models.CheckConstraint]:
    """The grades are A–F and 1–6; `unfinished`: rows that may leave them empty (drafts)."""
    reliability = Q(source_reliability__in=SourceReliability.values)
    credibility = Q(info_credibility__in=InfoCredibility.values)
    if unfinished is not None:
        reliability |= unfinished & Q(source_reliability="")
        credibility |= unfinished & Q(info_credibility="")
    return [
        models.CheckConstraint(condition=reliability, name=f"{prefix}_reliability_a_to_f"),
        models.CheckConstraint(condition=credibility, name=f"{prefix}_credibility_1_to_6"),
        models.CheckConstraint(
            condition=Q(source_mention_start__isnull=True, source_mention_end__isnull=True)
            | Q(source_mention_end__gt=models.F("source_mention_start")),
            name=f"{prefix}_mention_span",
        ),
    ]


class Annotation(Labelling):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        SKIPPED = "skipped", _("skipped")

    class SkipReason(models.TextChoices):
        """Why a statement was skipped: the lead sees it as a flag on the project page."""

        UNCLEAR = "unclear", _("unclear")
        SEGMENTATION = "segmentation", _("segmentation error")
        OFF_TOPIC = "off_topic", _("off-topic")

    # No index of their own: the unique (statement, annotator) and the (annotator, ...) indexes
    # below lead with these columns and serve every lookup by either; one index fewer each is
    # less work on every annotation written (an import writes hundreds of thousands).
    statement = models.ForeignKey(
        Statement,
        # Labels are the research record: a statement (document, project) with annotations is
        # not deleted by a cascade; annotations are deleted one by one, into the history.
        on_delete=models.PROTECT,
        related_name="annotations",
        verbose_name=_("statement"),
        db_index=False,
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="annotations",
        verbose_name=_("annotator"),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Kept after the statement is annotated later: the flag tells the lead what was wrong.
    skip_reason = models.CharField(
        _("reason for skipping"), max_length=20, choices=SkipReason.choices, blank=True
    )
    seconds_spent = models.PositiveIntegerField(
        _("seconds spent"),
        default=0,
        editable=False,
        help_text=_("From opening the statement to saving it, summed over every save."),
    )
    guidelines_version = models.CharField(
        _("guidelines version"), max_length=50, blank=True, editable=False
    )

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
            *grade_constraints("annotation", unfinished=~Q(status="submitted")),
        ]
        indexes = [
            models.Index(fields=["annotator", "status"], name="annotation_annotator_status"),
            # An annotator's own list, newest first, and the lead's filter by annotator.
            models.Index(fields=["annotator", "-id"], name="annotation_annotator_recent"),
            models.Index(fields=["statement", "status"], name="annotation_statement_status"),
            models.Index(fields=["-updated_at"], name="annotation_updated"),
        ]

    def __str__(self) -> str:
        return _("Annotation of statement %(number)s (%(code)s)") % {
            "number": self.statement.position + 1 if self.statement_id else "?",
            "code": self.admiralty_code,
        }


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


def label_links_name(model: type[Labelling]) -> None:
    """Name the table linking an annotation or gold label to its labels (Django's own, which
    calls it "Annotation-label relationship" in every language and each row "Annotation_labels
    object (1)"): the delete confirmation lists these rows."""
    through = model.labels.through
    owner = model._meta.model_name
    through._meta.verbose_name = _("label given")
    through._meta.verbose_name_plural = _("labels given")
    through.__str__ = lambda link: f"{getattr(link, owner)}: {link.label}"


label_links_name(Annotation)
label_links_name(GoldLabel)
