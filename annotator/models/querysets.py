"""Custom QuerySets: the filters that would otherwise be repeated wherever annotations or
projects are read ("only submitted annotations count", "the projects this user annotates")."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

# A flagged annotation without a resolution of its current reason (one join, no subquery).
FLAG_OPEN = Q(flag_resolution__isnull=True) | ~Q(flag_resolution__skip_reason=F("skip_reason"))


class ProjectQuerySet(models.QuerySet):
    def has_annotator(self, user) -> ProjectQuerySet:
        """The projects `user` is an annotator of."""
        return self.filter(annotators=user)


class AnnotationQuerySet(models.QuerySet):
    def submitted(self) -> AnnotationQuerySet:
        """Only submitted annotations count (agreement, gold labels, exports, queues): drafts
        may still change."""
        return self.filter(status=self.model.Status.SUBMITTED)

    def drafts(self) -> AnnotationQuerySet:
        return self.filter(status=self.model.Status.DRAFT)

    def without_drafts(self) -> AnnotationQuerySet:
        return self.exclude(status=self.model.Status.DRAFT)

    def skipped(self) -> AnnotationQuerySet:
        """Statements the annotator put back to the end of their queue."""
        return self.filter(status=self.model.Status.SKIPPED)

    def flagged(self) -> AnnotationQuerySet:
        """Skipped with a reason (kept after the statement is annotated): the lead's flags."""
        return self.exclude(skip_reason="")

    def open_flags(self) -> AnnotationQuerySet:
        """Flags no lead has resolved (a resolution of another, earlier reason leaves it open)."""
        return self.flagged().filter(FLAG_OPEN)

    def resolved_flags(self) -> AnnotationQuerySet:
        return self.flagged().filter(flag_resolution__skip_reason=F("skip_reason"))

    def for_user(self, user) -> AnnotationQuerySet:
        """The annotations `user` made (their own)."""
        return self.filter(annotator=user)

    def in_project(self, project) -> AnnotationQuerySet:
        return self.filter(statement__document__project=project)
