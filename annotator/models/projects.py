"""The data model: projects, the shared Source registry, documents split into statements, label
vocabularies, annotations and gold labels.

Annotation and GoldLabel share their label fields through `Labelling`, so a gold label is exactly
an annotation that a lead (or a unanimous vote) settled.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Notes and rationales are a few sentences; a limit keeps a pasted megabyte out of every export.
NOTE_MAX_LENGTH = 5000


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    guidelines = models.TextField(_("guidelines"), blank=True)
    guidelines_version = models.CharField(_("guidelines version"), max_length=50, default="1.0")
    annotations_per_statement = models.PositiveSmallIntegerField(
        _("annotations per statement"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("How many annotators label each statement (the overlap)."),
    )
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="annotator_projects",
        blank=True,
        verbose_name=_("annotators"),
    )
    # No per-project leads: leadership is the global Leads role (roles.py).
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        permissions = [
            ("view_agreement", _("Can view agreement figures")),
            ("adjudicate", _("Can decide gold labels")),
            ("import_articles", _("Can import articles")),
            ("export_dataset", _("Can export datasets")),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    class Kind(models.TextChoices):
        STATE_MEDIA = "state_media", _("state media")
        GOVERNMENT = "government", _("government")
        MILITARY = "military", _("military")
        INTELLIGENCE = "intelligence", _("intelligence service")
        EXPERT = "expert", _("expert")
        NGO = "ngo", _("NGO")
        MEDIA = "media", _("media outlet")
        ANONYMOUS = "anonymous", _("anonymous")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(_("country or affiliation"), max_length=200, blank=True)
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_("How texts name this source, one per line (German and English)."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        permissions = [
            ("import_source", _("Can import sources")),
            ("export_source", _("Can export sources")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class Document(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="documents", verbose_name=_("project")
    )
    title = models.CharField(_("title"), max_length=500)
    text = models.TextField(_("text"))
    language = models.CharField(
        _("language"), max_length=8, choices=[("de", _("German")), ("en", _("English"))]
    )
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    published_at = models.DateField(_("published"), null=True, blank=True)
    outlet = models.CharField(_("outlet"), max_length=200, blank=True)
    listed_sources = models.TextField(_("sources listed by the article"), blank=True)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        editable=False,
        help_text=_("SHA-256 of title and text: finds a re-import of an article without id."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        # Orderings name columns, not relations: a relation would expand into the related
        # model's ordering and make every list join and sort by it.
        ordering = ["project_id", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        permissions = [
            ("import_document", _("Can import documents")),
            ("export_document", _("Can export documents")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=~Q(external_id=""),
                name="document_unique_external_id_per_project",
            ),
            models.UniqueConstraint(
                fields=["project", "content_hash"], name="document_unique_content_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Every path, not just those that validate: the statements' offsets point into the text.
        self.text_change_refuse()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.text_change_refuse()

    def text_change_refuse(self) -> None:
        """A segmented document's text is fixed: every statement is document.text[start:end]."""
        if self.pk is None or not self.statements.exists():
            return
        stored = Document.objects.filter(pk=self.pk).values_list("text", flat=True).first()
        if stored is not None and stored != self.text:
            raise ValidationError(
                {
                    "text": _(
                        "The text cannot change: the document has statements whose offsets "
                        "point into it. Import the corrected article as a new document instead."
                    )
                }
            )


class Statement(models.Model):
    """One sentence of a document, with exact offsets: document.text[start:end] == text."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="statements", verbose_name=_("document")
    )
    position = models.PositiveIntegerField(_("position"))
    paragraph = models.PositiveIntegerField(_("paragraph"), default=0)
    text = models.TextField(_("text"))
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))
    # The attribution suggestion made at import; the annotator's choice is stored separately.
    suggested_source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggested_statements",
        verbose_name=_("suggested source"),
    )
    suggested_mention = models.CharField(_("suggested mention"), max_length=500, blank=True)
    suggested_cue = models.CharField(_("attribution cue"), max_length=200, blank=True)
    suggested_cue_start = models.PositiveIntegerField(_("cue start"), null=True, blank=True)
    suggested_cue_end = models.PositiveIntegerField(_("cue end"), null=True, blank=True)
    suggested_mention_start = models.PositiveIntegerField(_("mention start"), null=True, blank=True)
    suggested_mention_end = models.PositiveIntegerField(_("mention end"), null=True, blank=True)
    # A pronoun mention ("er", "she") resolved to the nearest preceding named source in the
    # same paragraph: the mention stays the pronoun, and this is the name it stands for.
    suggested_mention_resolved = models.CharField(
        _("mention resolved from a pronoun"), max_length=500, blank=True
    )

    class Meta:
        ordering = ["document_id", "position"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        permissions = [
            ("import_statement", _("Can import statements")),
            ("export_statement", _("Can export statements")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="statement_unique_position"
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="statement_span"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position}: {self.text[:80]}"

    def clean(self) -> None:
        if self.document_id and self.document.text[self.start : self.end] != self.text:
            raise ValidationError(_("The statement text does not match the document at its span."))


class LabelGroup(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    multiple = models.BooleanField(
        _("multiple choice"), default=False, help_text=_("Annotators may pick several labels.")
    )
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    retired_at = models.DateTimeField(
        _("retired"),
        null=True,
        blank=True,
        help_text=_(
            "A retired group is no longer offered to annotators; the labels already given "
            "stay in the history, exports and agreement."
        ),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("label group")
        verbose_name_plural = _("label groups")
        permissions = [
            ("import_labelgroup", _("Can import label groups")),
            ("export_labelgroup", _("Can export label groups")),
        ]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    group = models.ForeignKey(
        LabelGroup, on_delete=models.CASCADE, related_name="labels", verbose_name=_("group")
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    retired_at = models.DateTimeField(
        _("retired"),
        null=True,
        blank=True,
        help_text=_(
            "A retired label can no longer be chosen; where it was given it stays, in the "
            "history, exports and agreement."
        ),
    )

    class Meta:
        ordering = ["group__position", "group__name", "position", "name"]
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        permissions = [
            ("import_label", _("Can import labels")),
            ("export_label", _("Can export labels")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="label_unique_name_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.group.name}: {self.name}"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None or self.group.retired_at is not None


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
    method = models.CharField(_("decided by"), max_length=12, choices=Method.choices)
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
