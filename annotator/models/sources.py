"""The shared Source registry: who statements come from, across every project."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .languages import localized


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
    display_name_de = models.CharField(_("display name (German)"), max_length=200, blank=True)
    display_name_en = models.CharField(_("display name (English)"), max_length=200, blank=True)
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
    def display_name(self) -> str:
        """The source's name for people, in the interface language (its name if none)."""
        return localized(self, "display_name", fallback="name")

    @property
    def picker_name(self) -> str:
        """How the source picker lists it: the display name, with the name it is registered
        under (what exports and the label history show) where the two differ."""
        shown = self.display_name
        return shown if shown == self.name else f"{shown} ({self.name})"

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]
