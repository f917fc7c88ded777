"""Reads of the registry: the index the attribution matches mentions against, and how
annotators treated the attribution suggestions (did they choose the suggested source?)."""

from dataclasses import dataclass

from django.db.models import Count, F, Q

from ..models import Annotation, Project, Source
from .attribution import SourceEntry, SourceIndex


def source_index_build() -> SourceIndex:
    return SourceIndex(
        SourceEntry(key=source.pk, name=source.name, aliases=tuple(source.alias_list))
        for source in Source.objects.all()
    )


@dataclass(frozen=True)
class Share:
    part: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.part / self.total) if self.total else None


@dataclass(frozen=True)
class SuggestionAcceptance:
    """How annotators treated the import's attribution suggestions (submitted annotations)."""

    accepted: Share  # statement suggests a registry source: the annotator chose that source
    no_source_kept: Share  # statement without any suggestion: the annotator chose no source
    mention_sourced: Share  # mention suggested, no registry match: the annotator chose a source
    per_source: tuple[tuple[str, Share], ...]  # accepted, per suggested source


def suggestion_acceptance(*, project: Project) -> SuggestionAcceptance:
    annotations = Annotation.objects.submitted().in_project(project)
    suggested = Q(statement__suggested_source__isnull=False)
    same = Q(source=F("statement__suggested_source"))
    unsuggested = Q(statement__suggested_source__isnull=True, statement__suggested_mention="")
    mention_only = Q(statement__suggested_source__isnull=True) & ~Q(statement__suggested_mention="")
    counts = annotations.aggregate(
        suggested=Count("pk", filter=suggested),
        accepted=Count("pk", filter=suggested & same),
        unsuggested=Count("pk", filter=unsuggested),
        no_source=Count("pk", filter=unsuggested & Q(source__isnull=True)),
        mention_only=Count("pk", filter=mention_only),
        mention_sourced=Count("pk", filter=mention_only & Q(source__isnull=False)),
    )
    per_source = (
        annotations.filter(suggested)
        .values("statement__suggested_source__name")
        .annotate(total=Count("pk"), accepted=Count("pk", filter=same))
        .order_by("-total", "statement__suggested_source__name")
    )
    return SuggestionAcceptance(
        accepted=Share(counts["accepted"], counts["suggested"]),
        no_source_kept=Share(counts["no_source"], counts["unsuggested"]),
        mention_sourced=Share(counts["mention_sourced"], counts["mention_only"]),
        per_source=tuple(
            (row["statement__suggested_source__name"], Share(row["accepted"], row["total"]))
            for row in per_source
        ),
    )
