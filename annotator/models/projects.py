"""Projects and their texts: a project's documents, each split into statements with exact
character offsets (document.text[start:end] == statement.text)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .languages import localized
from .querysets import ProjectQuerySet
from .sources import Source


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    guidelines = models.TextField(_("guidelines"), blank=True)
    guidelines_de = models.TextField(
        _("guidelines (German)"),
        blank=True,
        help_text=_("Shown to annotators working in German; empty: the guidelines above."),
    )
    guidelines_en = models.TextField(
        _("guidelines (English)"),
        blank=True,
        help_text=_("Shown to annotators working in English; empty: the guidelines above."),
    )
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

    objects = ProjectQuerySet.as_manager()

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

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            # A new project has no statement, so nothing open: its maintained counts start here.
            ProjectProgress.objects.get_or_create(
                project=self, defaults={"counted_for": self.annotations_per_statement}
            )

    @property
    def display_guidelines(self) -> str:
        """The guidelines in the interface language (the other language's, else the common
        ones, where that is all there is)."""
        return localized(self, "guidelines")

    def has_annotator(self, user) -> bool:
        return self.annotators.filter(pk=user.pk).exists()


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

    # No index of its own: the unique (document, position) leads with it.
    document = models.ForeignKey(
        Document,
        on_delete=models.CASCADE,
        related_name="statements",
        verbose_name=_("document"),
        db_index=False,
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
        return _("Statement %(number)d: %(text)s") % {
            "number": self.position + 1,
            "text": self.text[:80],
        }

    def clean(self) -> None:
        if self.document_id and self.document.text[self.start : self.end] != self.text:
            raise ValidationError(_("The statement text does not match the document at its span."))


class ProjectProgress(models.Model):
    """Per project: how many statements are still open (fewer submitted annotations than
    `annotations_per_statement`)."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    open_statements = models.IntegerField(_("open statements"), default=0)
    # The project's `annotations_per_statement` the counts were made for: after a change they
    # are not read (counted instead) until recounted.
    counted_for = models.PositiveSmallIntegerField(_("counted for"), null=True)

    class Meta:
        verbose_name = _("project progress")
        verbose_name_plural = _("project progress")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.open_statements} open"
