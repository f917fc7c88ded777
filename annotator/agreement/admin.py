"""The lead's agreement pages on a project, added to ProjectAdmin: agreement per field, pair,
annotator, document, and per source.

Every view asks the permission policy itself (roles.can_view_agreement: leads only);
annotators and outsiders get 403, anonymous users the login.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import visible_object_or_404
from ..jobs import job_enqueue
from ..models import Job, Project
from ..vocabulary.selectors import schema_changes_since_start
from .breakdowns import DOMINANT_SHARE, MIN_UNITS, source_profiles
from .data import agreement_data
from .forms import AgreementFilterForm
from .report import agreement_report
from .tasks import agreement_is_large, agreement_task


class AgreementAdminMixin:
    """Mixed into ProjectAdmin: the agreement pages, and what every lead page of a project
    shares (the permission check first, the navigation, the page itself)."""

    # --- permissions ---------------------------------------------------------------------

    def has_view_agreement_permission(self, request: HttpRequest) -> bool:
        return roles.can_view_agreement(request.user)

    def lead_project(self, request: HttpRequest, object_id, permission: str) -> Project:
        # The permission first, so nobody else learns which projects exist.
        if not getattr(self, f"has_{permission}_permission")(request):
            raise PermissionDenied
        return visible_object_or_404(request.user, Project, object_id)

    # --- URLs, links -----------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/agreement/",
                view(self.agreement_view),
                name="annotator_project_agreement",
            ),
            path(
                "<int:object_id>/agreement/sources/",
                view(self.agreement_sources_view),
                name="annotator_project_agreement_sources",
            ),
        ] + super().get_urls()

    def lead_columns(self, request: HttpRequest) -> tuple:
        return ("agreement_link",) if self.has_view_agreement_permission(request) else ()

    @admin.display(description=_("agreement"))
    def agreement_link(self, project: Project):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:annotator_project_agreement", args=[project.pk]),
            gettext("Agreement"),
            reverse("admin:annotator_project_disagreements", args=[project.pk]),
            gettext("Disagreements"),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_view_agreement_permission(request):
            context["agreement_links"] = [
                (reverse("admin:annotator_project_agreement", args=[obj.pk]), _("Agreement")),
                (
                    reverse("admin:annotator_project_agreement_sources", args=[obj.pk]),
                    _("Agreement per source"),
                ),
                (
                    reverse("admin:annotator_project_disagreements", args=[obj.pk]),
                    _("Disagreements"),
                ),
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def lead_page(self, request, project: Project, template: str, title: str, **context):
        return TemplateResponse(
            request,
            f"admin/annotator/{template}",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "project": project,
                "opts": self.model._meta,
                "agreement_url": reverse("admin:annotator_project_agreement", args=[project.pk]),
                "sources_url": reverse(
                    "admin:annotator_project_agreement_sources", args=[project.pk]
                ),
                "queue_url": reverse("admin:annotator_project_disagreements", args=[project.pk]),
                **context,
            },
        )

    # --- agreement ---------------------------------------------------------------------------

    def agreement_view(self, request: HttpRequest, object_id: int):
        project = self.lead_project(request, object_id, "view_agreement")
        form = AgreementFilterForm(request.GET or None, project=project)
        if not request.GET and agreement_is_large(project):
            return self.agreement_background(request, project, form)
        report = agreement_report(project=project, filters=form.filters())
        return self.lead_page(
            request,
            project,
            "agreement/report.html",
            gettext("Agreement: %(project)s") % {"project": project.name},
            form=form,
            report=report,
            names=[user.get_username() for user in report.data.coders],
            min_units=MIN_UNITS,
            dominant_share=DOMINANT_SHARE,
            schema_changes=list(schema_changes_since_start(project)),
        )

    def agreement_background(self, request: HttpRequest, project: Project, form):
        """A large project: the latest job's figures and a button that recomputes them in the
        background (filtered views, smaller, are still computed at once)."""
        if request.method == "POST":
            job = job_enqueue(agreement_task, kind=Job.Kind.AGREEMENT, project=project,
                              user=request.user)  # fmt: skip
            return HttpResponseRedirect(reverse("admin:annotator_job_change", args=[job.pk]))
        jobs = Job.objects.filter(project=project, kind=Job.Kind.AGREEMENT)
        finished = jobs.filter(state=Job.State.SUCCEEDED).first()
        fields = (finished.result or {}).get("fields", {}) if finished else {}
        return self.lead_page(
            request,
            project,
            "agreement/background.html",
            gettext("Agreement: %(project)s") % {"project": project.name},
            form=form,
            finished=finished,
            running=jobs.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING]).first(),
            fields=[{"key": key, **figure} for key, figure in fields.items()],
        )

    def agreement_sources_view(self, request: HttpRequest, object_id: int):
        project = self.lead_project(request, object_id, "view_agreement")
        form = AgreementFilterForm(request.GET or None, project=project)
        data = agreement_data(project=project, filters=form.filters())
        return self.lead_page(
            request,
            project,
            "agreement/sources.html",
            gettext("Agreement per source: %(project)s") % {"project": project.name},
            form=form,
            profiles=source_profiles(data),
            data=data,
        )
