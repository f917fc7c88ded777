"""Reads: the annotator's queue and progress, statements in context, suggestion figures. What a
user may see at all is decided by the permission policy (roles.visible and friends)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import Annotation, Document, Project, Statement


def annotation_queue(*, project: Project, user) -> QuerySet[Statement]:
    """Statements of `project` that still need `user`'s annotation, in document order.

    A statement leaves the queue once the user submitted it, or once it has
    `annotations_per_statement` submitted annotations from anybody.
    """
    submitted = Annotation.objects.filter(status=Annotation.Status.SUBMITTED)
    own_submission = submitted.filter(statement=OuterRef("pk"), annotator=user)
    # Correlated, so that taking the first statement of the queue stops at the first one that
    # qualifies instead of aggregating the whole annotation table.
    submitted_count = (
        submitted.filter(statement=OuterRef("pk"))
        .order_by()
        .values("statement")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return (
        Statement.objects.filter(document__project=project)
        .annotate(submitted_count=Coalesce(Subquery(submitted_count), 0))
        .filter(~Exists(own_submission), submitted_count__lt=project.annotations_per_statement)
        .order_by("document_id", "position")
    )


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def remaining(self) -> int:
        return self.total - self.done


def annotation_progress(*, project: Project, user) -> Progress:
    """How many statements the user has submitted, of those they did or still can do."""
    done = Annotation.objects.filter(
        annotator=user,
        status=Annotation.Status.SUBMITTED,
        statement__document__project=project,
    ).count()
    remaining = annotation_queue(project=project, user=user).count()
    return Progress(done=done, total=done + remaining)


def next_statement(*, project: Project, user) -> Statement | None:
    """The next statement to annotate; a document the user has started is finished first.

    A new document is looked for from a starting point that differs between annotators, so a
    team that starts together spreads over the documents instead of all opening the same
    statement (which would collect far more than `annotations_per_statement` annotations).
    """
    queue = annotation_queue(project=project, user=user).select_related("document")
    started_documents = Annotation.objects.filter(
        annotator=user, statement__document__project=project
    ).values("statement__document")
    in_started_document = queue.filter(document__in=started_documents).first()
    if in_started_document is not None:
        return in_started_document
    start = starting_document_id(project=project, user=user)
    return queue.filter(document_id__gte=start).first() or queue.first()


def starting_document_id(*, project: Project, user) -> int:
    document_ids = Document.objects.filter(project=project).order_by("id").values_list("id")
    count = document_ids.count()
    if count == 0:
        return 0
    # A fixed spread per annotator (Knuth's multiplicative hash), the same on every request.
    return document_ids[(user.pk * 2654435761) % count][0]


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The line (paragraph) around a span of the document text."""
    paragraph_start = text.rfind("\n", 0, start) + 1
    paragraph_end = text.find("\n", end)
    return paragraph_start, len(text) if paragraph_end == -1 else paragraph_end


def statement_in_context(statement: Statement) -> SafeString:
    """The statement highlighted inside its paragraph, its attribution cue marked; all escaped."""
    text = statement.document.text
    paragraph_start, paragraph_end = paragraph_bounds(text, statement.start, statement.end)
    return format_html(
        '<span class="context">{}</span><mark class="statement">{}</mark>'
        '<span class="context">{}</span>',
        text[paragraph_start : statement.start],
        statement_with_cue(statement),
        text[statement.end : paragraph_end],
    )


def statement_with_cue(statement: Statement) -> SafeString:
    cue_start, cue_end = statement.suggested_cue_start, statement.suggested_cue_end
    if (
        cue_start is None
        or cue_end is None
        or not (0 <= cue_start < cue_end <= len(statement.text))
    ):
        return format_html("{}", statement.text)
    return format_html(
        '{}<span class="cue" title="attribution cue">{}</span>{}',
        statement.text[:cue_start],
        statement.text[cue_start:cue_end],
        statement.text[cue_end:],
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
    annotations = Annotation.objects.filter(
        statement__document__project=project, status=Annotation.Status.SUBMITTED
    )
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
