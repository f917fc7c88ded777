"""The bias label vocabularies: label groups (single or multiple choice, optionally required)
and their labels. Labels in use are retired, never deleted (see vocabulary/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
