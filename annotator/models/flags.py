"""A lead's answer to a flag (a statement skipped with a reason): resolved, by whom, when, and
why. Kept apart from the annotation, so resolving never touches the annotator's labels, status
or version, and an annotator's later save cannot overwrite the resolution."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .labels import Annotation

FLAG_NOTE_MAX_LENGTH = 200


class FlagResolution(models.Model):
    annotation = models.OneToOneField(
        Annotation,
        on_delete=models.CASCADE,
        related_name="flag_resolution",
        verbose_name=_("annotation"),
    )
    # The reason that was resolved: an annotator who skips again with another reason raises a
    # new flag, which is open until a lead resolves it too.
    skip_reason = models.CharField(
        _("reason for skipping"), max_length=20, choices=Annotation.SkipReason.choices
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"))
    note = models.CharField(
        _("note"),
        max_length=FLAG_NOTE_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(FLAG_NOTE_MAX_LENGTH)],
    )

    class Meta:
        ordering = ["-resolved_at"]
        verbose_name = _("flag resolution")
        verbose_name_plural = _("flag resolutions")

    def __str__(self) -> str:
        return f"{self.annotation_id}: {self.skip_reason}"
