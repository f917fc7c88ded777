"""Reads of the annotator's loop: the queue, the next statement, progress. What a user may see at
all is decided by the permission policy (roles.visible and friends)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from statistics import median

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .. import roles
from ..compiled_queries import CompiledQuery
from ..models import Annotation, Document, Label, Project, ProjectLabelGroup, Statement
from ..models.querysets import FLAG_OPEN
from ..progress import (
    progress_open_document_id,
    progress_stored,
    progress_stored_for_annotators,
    progress_untouched_in_document,
)


def annotation_queue(*, project: Project, user) -> QuerySet[Statement]:
    """Statements of `project` that still need `user`'s annotation, in document order.

    A statement leaves the queue once the user submitted it, or once it has
    `annotations_per_statement` submitted annotations from anybody. The statements the user
    skipped come last.
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
        .alias(skipped=Exists(_own_skip(user)))
        .order_by("skipped", "document_id", "position")
    )


def _own_skip(user) -> QuerySet[Annotation]:
    """The user's skip of the outer statement (for Exists)."""
    return Annotation.objects.for_user(user).skipped().filter(statement=OuterRef("pk"))


def _neighbour_id(compare: str, order: str) -> Subquery:
    """The pk of the outer statement's neighbour in its document (the unique (document,
    position) index answers it)."""
    return Subquery(
        Statement.objects.filter(
            document_id=OuterRef("document_id"), **{f"position__{compare}": OuterRef("position")}
        )
        .order_by(order)
        .values("pk")[:1]
    )


# The statement the annotation form opens, on every form and every save: compiled once (the
# ORM built this four-table query, with its subquery, at 2 ms of CPU per request).
_STATEMENT_FOR_ANNOTATION = CompiledQuery(
    lambda statement_id, user_id: (
        Statement.objects.select_related("document__project", "suggested_source")
        # Whether the user annotates its project, the user's annotation of it (the form
        # redirects to that annotation, the save refuses a second one) and the statements
        # before and after it in its document (the form's links), in the same query.
        .annotate(
            user_annotates=roles.annotates_expression_for(user_id, "document__project"),
            own_annotation_id=Subquery(
                Annotation.objects.filter(statement=OuterRef("pk"), annotator_id=user_id).values(
                    "pk"
                )[:1]
            ),
            previous_statement_id=_neighbour_id("lt", "-position"),
            next_statement_id=_neighbour_id("gt", "position"),
            # The user's role groups (roles.role_groups_known): one query less per request.
            **roles.role_groups_expressions(user_id),
        )
        .filter(pk=statement_id)
    ),
    statement_id=-918_273_641,
    user_id=-918_273_642,
)


def statement_for_annotation(*, statement_id: int, user) -> Statement | None:
    """The statement with its document, project and suggested source, whether `user`
    annotates the project (`user_annotates`), and the pk of `user`'s annotation of it
    (`own_annotation_id`, None without one; `own_annotation_of`: whose it is). The user's role
    groups are read with it (roles.role_groups_known)."""
    statement = _STATEMENT_FOR_ANNOTATION.first(statement_id=int(statement_id), user_id=user.pk)
    if statement is not None:
        statement.own_annotation_of = user.pk
        roles.role_groups_known(user, statement)
    return statement


# A user's own annotation of a statement, looked for on every form and every save: compiled
# once.
_OWN_ANNOTATION = CompiledQuery(
    lambda statement_id, annotator_id: Annotation.objects.filter(
        statement_id=statement_id, annotator_id=annotator_id
    ),
    statement_id=-918_273_646,
    annotator_id=-918_273_647,
)


def own_annotation(*, statement_id: int, annotator_id: int) -> Annotation | None:
    """The annotator's annotation of the statement (one at most: a unique constraint)."""
    return _OWN_ANNOTATION.first(statement_id=statement_id, annotator_id=annotator_id)


def own_annotation_of_statement(statement: Statement, annotator_id: int) -> Annotation | None:
    """As own_annotation; without a query when the statement was read for this annotator
    (statement_for_annotation) and they had none then."""
    read_for_annotator = getattr(statement, "own_annotation_of", None) == annotator_id
    if read_for_annotator and statement.own_annotation_id is None:
        return None
    return own_annotation(statement_id=statement.pk, annotator_id=annotator_id)


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


def next_statement(*, project: Project, user, drafts: bool = False) -> Statement | None:
    """The next statement to annotate; a document the user has started is finished first.

    A new document is looked for from a starting point that differs between annotators, so a
    team that starts together spreads over the documents instead of all opening the same
    statement (which would collect far more than `annotations_per_statement` annotations).

    Statements the user has not touched come first (and the user's drafts among them only with
    `drafts`); then what is left: drafts and skipped statements, skipped ones last. A statement
    known to have no annotation of the user's says so (`untouched`), and the caller need not
    look for one.
    """
    stored = progress_stored(project=project, user_id=user.pk)
    if stored is not None and stored[0] == stored[1]:
        return None  # the maintained counts say the queue is empty
    in_current = stored is not None and bool(stored[2]) and not drafts
    if in_current:
        # Where the user is working (the common case), in one query that is cheap to build,
        # before the queue's queries are built at all.
        found = progress_untouched_in_document(
            project_id=project.pk, user_id=user.pk, document_id=stored[2]
        )
        if found is not None:
            found.untouched = True
            return found

    # Built only where a query of the queue runs: the maintained counts usually find the
    # statement first, and building these querysets cost about 3 ms of CPU per request.
    @cache
    def whole_queue() -> QuerySet[Statement]:
        return annotation_queue(project=project, user=user).select_related("document")

    @cache
    def queue() -> QuerySet[Statement]:
        own = Annotation.objects.for_user(user).filter(statement=OuterRef("pk"))
        if drafts:
            own = own.without_drafts()
        return whole_queue().filter(~Exists(own))

    untouched = _untouched_next(
        queue, project=project, user=user, stored=stored, current_done=in_current, drafts=drafts
    )
    if untouched is None:
        return whole_queue().first()
    untouched.untouched = not drafts  # with `drafts`, the queue kept the user's drafts
    return untouched


def _untouched_next(
    queue: Callable[[], QuerySet[Statement]],
    *,
    project: Project,
    user,
    stored,
    current_done: bool = False,
    drafts: bool = False,
) -> Statement | None:
    """`queue`: the queue's statements the user has not touched, built when first called;
    `current_done`: the document of the latest save was looked in already; `drafts`: the
    queue keeps the user's drafts (next_statement)."""
    if stored is not None:
        # The document of the latest save: where the user is working (maintained).
        current = stored[2]
        in_started_document = (
            not current_done and current and queue().filter(document_id=current).first()
        )
    else:
        started_documents = (
            Annotation.objects.for_user(user).in_project(project).values("statement__document")
        )
        in_started_document = queue().filter(document__in=started_documents).first()
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
        if found is not None and not drafts:
            # Its first statement the user has not touched, through the same index: the
            # queue's query below counts every statement from there on (400 ms of
            # PostgreSQL at 100,000 statements, on every new document).
            first = progress_untouched_in_document(**ids, document_id=found)
            if first is not None:
                return first
        start = start if found is None else found
    return queue().filter(document_id__gte=start).first() or queue().first()


def starting_document_id(*, project: Project, user) -> int:
    document_ids = Document.objects.filter(project=project).order_by("id").values_list("id")
    count = document_ids.count()
    if count == 0:
        return 0
    # A fixed spread per annotator (Knuth's multiplicative hash), the same on every request.
    return document_ids[(user.pk * 2654435761) % count][0]


# --- the lead's view of a project ------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """One annotator's work on a project, for the lead."""

    done: int = 0
    drafts: int = 0
    skipped: int = 0
    flags: int = 0
    median_seconds: float | None = None
    last_activity: datetime | None = None


def annotator_activity(*, project: Project) -> dict[int, Activity]:
    """Per annotator (user pk): submitted, drafts, skipped, open flags (skips with a reason no
    lead resolved), the
    median seconds per submitted statement (saves that measured a time) and the last save."""
    status = Annotation.Status
    rows = (
        Annotation.objects.in_project(project)
        .order_by()
        .values("annotator")
        .annotate(
            done=Count("pk", filter=Q(status=status.SUBMITTED)),
            drafts=Count("pk", filter=Q(status=status.DRAFT)),
            skipped=Count("pk", filter=Q(status=status.SKIPPED)),
            flags=Count("pk", filter=~Q(skip_reason="") & FLAG_OPEN),
            last_activity=Max("updated_at"),
        )
    )
    seconds: dict[int, list[int]] = {}
    timed = (
        Annotation.objects.in_project(project)
        .submitted()
        .filter(seconds_spent__gt=0)
        .values_list("annotator", "seconds_spent")
    )
    for annotator, spent in timed:
        seconds.setdefault(annotator, []).append(spent)
    return {
        row["annotator"]: Activity(
            done=row["done"],
            drafts=row["drafts"],
            skipped=row["skipped"],
            flags=row["flags"],
            median_seconds=median(seconds[row["annotator"]])
            if row["annotator"] in seconds
            else None,
            last_activity=row["last_activity"],
        )
        for row in rows
    }


def project_flags(*, project: Project, resolved: bool = False, limit: int = 100) -> list:
    """Statements annotators skipped with a reason (unclear, a bad split, off-topic), newest
    first: a bad split or an unclear guideline is fixed once, not met by every annotator.
    The open flags, or with `resolved` the resolved ones with who resolved them: one query."""
    annotations = Annotation.objects.in_project(project)
    flags = annotations.resolved_flags() if resolved else annotations.open_flags()
    return list(
        flags.select_related(
            "statement__document", "annotator", "flag_resolution__resolved_by"
        ).order_by("-updated_at", "-pk")[:limit]
    )


def project_flags_resolved_count(*, project: Project) -> int:
    return Annotation.objects.in_project(project).resolved_flags().count()


# --- the annotation page ---------------------------------------------------------------------


def document_neighbours(statement: Statement) -> dict[str, Statement | None]:
    """The statements before and after this one in its document (their pk, and their
    position when read here): the form shows only their links. Read with a statement that
    statement_for_annotation gave, else in one query."""
    if hasattr(statement, "next_statement_id"):
        return {
            side: Statement(pk=pk) if pk is not None else None
            for side, pk in (
                ("previous", statement.previous_statement_id),
                ("next", statement.next_statement_id),
            )
        }
    table = Statement._meta.db_table

    def neighbour(compare: str, direction: str) -> str:
        return (
            f"(SELECT id, position FROM {table} WHERE document_id = %s AND position {compare} %s "
            f"ORDER BY position {direction} LIMIT 1)"
        )

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'previous', * FROM {neighbour('<', 'DESC')} p UNION ALL "
            f"SELECT 'next', * FROM {neighbour('>', 'ASC')} n",
            [statement.document_id, statement.position] * 2,
        )
        found = {side: Statement(pk=pk, position=position) for side, pk, position in cursor}
    return {"previous": found.get("previous"), "next": found.get("next")}


def labels_offered(groups) -> dict[int, list[Label]]:
    """The labels (not retired) of these groups, by group pk, in their order: one query (for
    the groups of one project's schema, as every form has them, compiled once)."""
    by_group: dict[int, list[Label]] = {group.pk: [] for group in groups}
    projects = {
        group.schema_entry.project_id if hasattr(group, "schema_entry") else None
        for group in groups
    }
    if len(projects) == 1 and None not in projects:
        # The schema's labels; those of groups not given (retired from the form) are dropped.
        labels = _SCHEMA_LABELS.all(project_id=projects.pop())
    else:
        labels = Label.objects.filter(group__in=groups, retired_at__isnull=True).order_by(
            "position", "name"
        )
    for label in labels:
        if label.group_id in by_group:
            by_group[label.group_id].append(label)
    return by_group


_SCHEMA_LABELS = CompiledQuery(
    lambda project_id: Label.objects.filter(
        retired_at__isnull=True,
        group_id__in=ProjectLabelGroup.objects.filter(project_id=project_id).values("group_id"),
    ).order_by("position", "name"),
    project_id=-918_273_648,
)


def label_definitions(groups, labels_by_group: dict[int, list[Label]] | None = None) -> list[tuple]:
    """Each offered group with its labels, for the definitions panel (names and definitions
    in the interface language); `labels_by_group` as labels_offered gives them, when read."""
    if labels_by_group is None:
        labels_by_group = labels_offered(groups)
    return [(group, labels_by_group.get(group.pk, [])) for group in groups]
