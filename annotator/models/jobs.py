"""Background jobs: one row per long piece of work a lead started (a dataset export, an article
import, an agreement recomputation), run by a worker of Django's Tasks API (jobs.py). The row
is what the lead sees in the admin: its state, its progress (a heartbeat the worker refreshes
while it works), its result or error, and for an export the finished file to download."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .projects import Project


class Job(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("dataset export")
        IMPORT = "import", _("article import")
        AGREEMENT = "agreement", _("agreement recomputation")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="jobs",
        null=True,
        blank=True,
        verbose_name=_("project"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("created by"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    progress_note = models.CharField(_("progress"), max_length=200, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    file = models.CharField(
        _("file"),
        max_length=300,
        blank=True,
        help_text=_("The finished file, relative to the job storage."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"
