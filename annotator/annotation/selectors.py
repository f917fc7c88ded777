"""Reads of the annotator's loop: the queue, the next statement, progress. What a user may see at
all is decided by the permission policy (roles.visible and friends)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ..models import Annotation, Document, Project, Statement
from ..progress import (
    progress_open_document_id,
    progress_stored,
    progress_stored_for_annotators,
)


def annotation_queue(*, project: Project, user) -> QuerySet[Statement]:
    """Statements of `project` that still need `user`'s annotation, in document order.

    A statement leaves the queue once the user submitted it, or once it has
    `annotations_per_statement` submitted annotations from anybody.
    """
    submitted = Annotation.objects.submitted()
    own_submission = submitted.for_user(user).filter(statement=OuterRef("pk"))
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
    """How many statements the user has submitted, of those they did or still can do: read
    from the maintained counts (annotator/progress.py), counted only for a project without."""
    stored = progress_stored(project=project, user_id=user.pk)
    if stored is not None:
        return Progress(*stored[:2])
    done = Annotation.objects.submitted().for_user(user).in_project(project).count()
    remaining = annotation_queue(project=project, user=user).count()
    return Progress(done=done, total=done + remaining)


def annotators_progress(*, project: Project) -> list[tuple]:
    """Each annotator of the project with their progress (a lead's project page)."""
    users = list(project.annotators.order_by("username"))
    stored = progress_stored_for_annotators(project=project, user_ids=[u.pk for u in users])
    if stored is None:
        return [(user, annotation_progress(project=project, user=user)) for user in users]
    return [(user, Progress(*stored[user.pk])) for user in users]


def next_statement(*, project: Project, user) -> Statement | None:
    """The next statement to annotate; a document the user has started is finished first.

    A new document is looked for from a starting point that differs between annotators, so a
    team that starts together spreads over the documents instead of all opening the same
    statement (which would collect far more than `annotations_per_statement` annotations).
    """
    stored = progress_stored(project=project, user_id=user.pk)
    if stored is not None and stored[0] == stored[1]:
        return None  # the maintained counts say the queue is empty
    queue = annotation_queue(project=project, user=user).select_related("document")
    if stored is not None:
        # The document of the latest save: where the user is working (maintained).
        current = stored[2]
        in_started_document = current and queue.filter(document_id=current).first()
    else:
        started_documents = (
            Annotation.objects.for_user(user).in_project(project).values("statement__document")
        )
        in_started_document = queue.filter(document__in=started_documents).first()
    if in_started_document:
        return in_started_document
    start = starting_document_id(project=project, user=user)
    if stored is not None:
        # Past the full statements through the open statements' index: the first document
        # from the starting point (else from the beginning) with a statement open to the user.
        ids = {"project_id": project.pk, "user_id": user.pk}
        found = progress_open_document_id(**ids, from_document_id=start)
        if found is None:
            found = progress_open_document_id(**ids, from_document_id=0)
        start = start if found is None else found
    return queue.filter(document_id__gte=start).first() or queue.first()


def starting_document_id(*, project: Project, user) -> int:
    document_ids = Document.objects.filter(project=project).order_by("id").values_list("id")
    count = document_ids.count()
    if count == 0:
        return 0
    # A fixed spread per annotator (Knuth's multiplicative hash), the same on every request.
    return document_ids[(user.pk * 2654435761) % count][0]
