"""The bias label vocabularies: label groups (single or multiple choice, optionally required)
and their labels. Labels in use are retired, never deleted (see vocabulary/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .languages import localized, unique_key

# The keys a label may have: digits first, then letters (the order defaults are given in).
HOTKEYS = "1234567890abcdefghijklmnopqrstuvwxyz"
KEY_HELP = _("A stable name for exports and agreement figures (lower case, digits, hyphens).")


class BilingualMixin(models.Model):
    """A name and a description in German and in English, shown by the interface language."""

    name_de = models.CharField(_("name (German)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        return localized(self, "name")

    @property
    def display_description(self) -> str:
        return localized(self, "description")


class LabelGroup(BilingualMixin, models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    key = models.SlugField(_("key"), max_length=100, unique=True, blank=True, help_text=KEY_HELP)
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

    def save(self, *args, **kwargs) -> None:
        if not self.key:
            taken = set(LabelGroup.objects.exclude(pk=self.pk).values_list("key", flat=True))
            self.key = unique_key(self.name, taken)
        super().save(*args, **kwargs)


class Label(BilingualMixin, models.Model):
    group = models.ForeignKey(
        LabelGroup, on_delete=models.CASCADE, related_name="labels", verbose_name=_("group")
    )
    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(_("key"), max_length=100, blank=True, help_text=KEY_HELP)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    hotkey = models.CharField(
        _("hotkey"),
        max_length=1,
        null=True,
        blank=True,
        choices=[(key, key) for key in HOTKEYS],
        help_text=_(
            "The key that chooses this label on the annotation page; empty: one is assigned "
            "that no other label of the project uses."
        ),
    )
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
            models.UniqueConstraint(fields=["group", "name"], name="label_unique_name_per_group"),
            models.UniqueConstraint(fields=["group", "key"], name="label_unique_key_per_group"),
            models.UniqueConstraint(
                fields=["group", "hotkey"], name="label_unique_hotkey_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.name}: {self.name}"

    def save(self, *args, **kwargs) -> None:
        if not self.key:
            taken = set(
                Label.objects.filter(group_id=self.group_id)
                .exclude(pk=self.pk)
                .values_list("key", flat=True)
            )
            self.key = unique_key(self.name, taken)
        if self.hotkey == "":
            self.hotkey = None
        super().save(*args, **kwargs)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None or self.group.retired_at is not None
