"""The lead's flags on the project page: the open ones, how many were resolved (and, asked
for, which), and the button that marks one resolved. Annotators never reach any of it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext

from .. import roles
from ..admin_policy import visible_object_or_404
from ..models import FLAG_NOTE_MAX_LENGTH, Annotation, Project
from ..request_ids import is_valid_id
from .selectors import project_flags, project_flags_resolved_count
from .services import FlagNoteTooLong, FlagNotOpen, flag_resolve

SHOW_RESOLVED = "resolved_flags"  # the query parameter that lists the resolved flags


class ProjectFlagsAdminMixin:
    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/flags/resolve/",
                self.admin_site.admin_view(self.resolve_flag_view),
                name="annotator_project_resolve_flag",
            ),
        ]
        return custom + super().get_urls()

    def flags_context(self, request: HttpRequest, project: Project) -> dict:
        """For a lead's project page (the caller checked the role)."""
        show_resolved = request.GET.get(SHOW_RESOLVED) == "1"
        return {
            "flags": project_flags(project=project),
            "flags_resolved_count": project_flags_resolved_count(project=project),
            "flags_resolved": project_flags(project=project, resolved=True)
            if show_resolved
            else None,
            "flags_show_resolved": SHOW_RESOLVED,
            "flag_note_max_length": FLAG_NOTE_MAX_LENGTH,
        }

    def resolve_flag_view(self, request: HttpRequest, object_id: str):
        project = visible_object_or_404(request.user, Project, object_id)
        if not roles.can_resolve_flags(request.user):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        page = reverse("admin:annotator_project_change", args=[project.pk]) + "#flags"
        annotation_id = request.POST.get("annotation", "")
        note = request.POST.get("note", "")
        if not is_valid_id(Annotation, annotation_id):
            messages.error(request, gettext("No flag was chosen."))
            return HttpResponseRedirect(page)
        try:
            flag_resolve(
                annotation_id=int(annotation_id),
                project=project,
                resolved_by=request.user,
                note=note,
            )
        except FlagNoteTooLong:
            messages.error(
                request,
                gettext("The note is longer than %(max)d characters; nothing was resolved.")
                % {"max": FLAG_NOTE_MAX_LENGTH},
            )
        except FlagNotOpen:
            messages.warning(
                request, gettext("This flag is no longer open (resolved already or withdrawn).")
            )
        else:
            messages.success(request, gettext("The flag is resolved."))
        return HttpResponseRedirect(page)
