"""A project's label schema: which label groups its forms offer, in what order, whether each
is required and single or multiple choice there; and the record of every change to it (figures
across a change are not comparable). The Admiralty grades are common to every project and are
not part of a schema."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .projects import Project
from .vocabulary import LabelGroup


class ProjectLabelGroup(models.Model):
    """One label group in one project's schema. An entry in use is retired, never deleted: its
    labels stay in the project's history, agreement and exports."""

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="schema_entries",
        verbose_name=_("project"),
    )
    # A group is deleted only when no annotation or gold label uses it (vocabulary.services).
    group = models.ForeignKey(
        LabelGroup,
        on_delete=models.CASCADE,
        related_name="project_entries",
        verbose_name=_("label group"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required = models.BooleanField(
        _("required"), default=False, help_text=_("Annotators must choose a label here.")
    )
    # The same vocabulary may be single choice in one study and multiple choice in another.
    multiple = models.BooleanField(
        _("multiple choice"),
        null=True,
        blank=True,
        help_text=_("Annotators may pick several labels; empty: as the label group defines it."),
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    retired_at = models.DateTimeField(
        _("retired"),
        null=True,
        blank=True,
        help_text=_(
            "A retired group is no longer offered in this project; the labels already given "
            "stay in its history, exports and agreement."
        ),
    )

    class Meta:
        ordering = ["project_id", "position", "id"]
        verbose_name = _("label group of the project")
        verbose_name_plural = _("label groups of the project")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "group"], name="projectlabelgroup_unique_group_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.group}"

    @property
    def multiple_choice(self) -> bool:
        """Whether annotators may pick several labels of the group in this project: the
        entry's own choice, else the group's."""
        return self.group.multiple if self.multiple is None else self.multiple


class SchemaChange(models.Model):
    """A change to a project's schema, with its date: agreement across it is not comparable."""

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        RETIRED = "retired", _("retired")
        REMOVED = "removed", _("removed")
        RESTORED = "restored", _("offered again")
        CHANGED = "changed", _("changed")

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="schema_changes",
        verbose_name=_("project"),
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="schema_changes",
        verbose_name=_("changed by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    group_name = models.CharField(_("label group"), max_length=100)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["project_id", "changed_at", "id"]
        verbose_name = _("schema change")
        verbose_name_plural = _("schema changes")

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d}: {self.get_action_display()} {self.group_name}"
