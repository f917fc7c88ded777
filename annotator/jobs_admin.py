"""The background jobs in the admin (leads only, through roles.py): each job's kind, state,
progress, result or error; a finished export's download (checked like every export: leads only,
and only the job's own file); and "Retry" for a failed job or a stale one (its worker died)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import roles
from .admin_policy import PolicyAdminMixin, visible_object_or_404
from .jobs import can_retry, is_stale, job_file, job_retry
from .models import Job


class JobAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id", "kind", "project", "state_shown", "progress", "created_by", "created_at",
        "finished_at", "download_link",
    )  # fmt: skip
    list_filter = ("kind", "state")
    list_select_related = ("project", "created_by")
    actions = ["retry"]
    fields = (
        "kind", "project", "state_shown", "progress", "params", "attempts", "created_by",
        "created_at", "started_at", "heartbeat_at", "finished_at", "result", "error",
        "download_link",
    )  # fmt: skip
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="annotator_job_download",
            ),
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="annotator_job_retry",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, job: Job) -> str:
        if is_stale(job):
            return gettext("stale: no heartbeat since %(moment)s (retry it)") % {
                "moment": job.heartbeat_at
            }
        return job.get_state_display()

    @admin.display(description=_("progress"))
    def progress(self, job: Job) -> str:
        if job.total:
            return f"{job.done:,} / {job.total:,} {job.progress_note}".strip()
        if job.done:
            return f"{job.done:,} {job.progress_note}".strip()
        return job.progress_note or "–"

    @admin.display(description=_("download"))
    def download_link(self, job: Job):
        if job_file(job) is None:
            return "–"
        return format_html(
            '<a class="job-download" href="{}">{}</a>',
            reverse("admin:annotator_job_download", args=[job.pk]),
            job.file.rsplit("/", 1)[-1],
        )

    @admin.action(description=_("Retry the selected failed or stale jobs"))
    def retry(self, request, queryset):
        if not roles.is_lead(request.user):
            raise PermissionDenied
        retried = sum(job_retry(job) for job in queryset if can_retry(job))
        self.message_user(
            request,
            ngettext("%(n)d job queued again.", "%(n)d jobs queued again.", retried)
            % {"n": retried},
        )

    def retry_view(self, request, object_id):
        if not roles.is_lead(request.user):
            raise PermissionDenied
        job = visible_object_or_404(request.user, Job, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if job_retry(job):
            messages.success(request, gettext("The job is queued again."))
        else:
            messages.error(request, gettext("Only a failed or stale job can be retried."))
        return HttpResponseRedirect(reverse("admin:annotator_job_change", args=[job.pk]))

    def download_view(self, request, object_id):
        """The finished file: leads (who may export) only; 404 for a job without one."""
        if not (roles.may(request.user, roles.VIEW, Job) and roles.can_export(request.user)):
            raise PermissionDenied
        job = visible_object_or_404(request.user, Job, object_id)
        file = job_file(job)
        if file is None:
            raise Http404
        return FileResponse(file.open("rb"), as_attachment=True, filename=file.name)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = visible_object_or_404(request.user, Job, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_retry": can_retry(job),
            "unfinished": job.state in (Job.State.QUEUED, Job.State.RUNNING),
        }
        return super().change_view(request, object_id, form_url, extra_context)
