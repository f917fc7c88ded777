"""The maintained counts behind an annotator's progress and queue (models/progress.py).

Reading them costs the same at any size: the annotation form, the project pages and the
admin index read two rows instead of counting the annotation table. They are written where
annotations are written, in the same transaction:

- an annotation's save or delete (annotation services) locks its statement's row, counts the
  statement's submitted annotations (a few rows) and moves the counts by what changed;
- new statements (article import) add to the project's open statements;
- anything in bulk (a dataset import, deleted documents, a changed `annotations_per_statement`)
  recounts the project, which `manage.py progress` also does to check or repair them.

With `open` = the project's statements with fewer submitted annotations than
`annotations_per_statement`, an annotator's progress is done = `submitted`, and
total = done + remaining, remaining = `open_statements` − `submitted_open` (the statements
they could still do: open, and not submitted by them). Locks are taken in one order
(statement, annotators' rows by annotator id, project row), so concurrent saves do not
deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q

from .compiled_queries import execute_prepared
from .models import (
    Annotation,
    AnnotatorProgress,
    Document,
    OpenStatement,
    Project,
    ProjectProgress,
    Statement,
)


@dataclass(frozen=True)
class Counts:
    """A project's counts: open statements, and per annotator (submitted, submitted_open)."""

    open_statements: int
    annotators: dict[int, tuple[int, int]]


def statement_is_open(submitted: int, required: int) -> bool:
    """The rule of the counts: a statement is open (in the queues, counted in
    `open_statements` and in an annotator's `submitted_open`) while it has fewer submitted
    annotations than the project's `annotations_per_statement` (`required`). The recount
    states it in SQL (open_statement_ids); every count kept in Python asks this."""
    return submitted < required


# --- reading -----------------------------------------------------------------------------


def _open_statements(project) -> int | None:
    """The maintained count of open statements; None if it was counted for another
    `annotations_per_statement` (or never)."""
    row = (
        ProjectProgress.objects.filter(project_id=project.pk)
        .values_list("open_statements", "counted_for")
        .first()
    )
    if row is None or row[1] != project.annotations_per_statement:
        return None
    return row[0]


def progress_stored(*, project, user_id: int) -> tuple[int, int, int | None] | None:
    """(done, total, current document id) from the maintained counts, in one query; None
    when the project has none that hold (then the caller counts)."""
    # The project's row and the annotator's (if any) together, in SQL written here: the form
    # and "Annotate next" read them on every request, and building two ORM queries cost more
    # CPU than running them.
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            f"SELECT p.open_statements, p.counted_for, a.submitted, a.submitted_open, "
            f"a.current_document_id FROM {ProjectProgress._meta.db_table} p "
            f"LEFT JOIN {AnnotatorProgress._meta.db_table} a "
            "ON a.project_id = p.project_id AND a.annotator_id = %s "
            "WHERE p.project_id = %s ORDER BY p.id LIMIT 1",
            [user_id, project.pk],
        )
        row = cursor.fetchone()
    if row is None or row[1] != project.annotations_per_statement:
        return None
    open_statements, _counted_for, done, done_open, current = row
    done, done_open = done or 0, done_open or 0
    return done, done + open_statements - done_open, current


def progress_stored_for_annotators(*, project, user_ids) -> dict | None:
    """{user id: (done, total)} for several annotators in two queries (a lead's project page)."""
    open_statements = _open_statements(project)
    if open_statements is None:
        return None
    rows = dict.fromkeys(user_ids, (0, 0))
    for user_id, done, done_open in AnnotatorProgress.objects.filter(
        project_id=project.pk, annotator_id__in=list(rows)
    ).values_list("annotator_id", "submitted", "submitted_open"):
        rows[user_id] = (done, done_open)
    return {
        user_id: (done, done + open_statements - done_open)
        for user_id, (done, done_open) in rows.items()
    }


def open_statement_ids(project):
    """The project's open statements, counted from the annotations (a subquery)."""
    return (
        Statement.objects.filter(document__project=project)
        .annotate(
            count=Count("annotations", filter=Q(annotations__status=Annotation.Status.SUBMITTED))
        )
        .filter(count__lt=project.annotations_per_statement)
        .values("pk")
    )


def progress_open_document_id(*, project_id: int, user_id: int, from_document_id: int):
    """The first document from `from_document_id` on with a statement still open to the user
    (open, and not submitted by them), found through the open statements' index."""
    own = Annotation.objects.submitted().filter(
        annotator_id=user_id, statement_id=OuterRef("statement_id")
    )
    return (
        OpenStatement.objects.filter(project_id=project_id, document_id__gte=from_document_id)
        .filter(~Exists(own))
        .order_by("document_id", "position")
        .values_list("document_id", flat=True)
        .first()
    )


def progress_untouched_in_document(*, project_id: int, user_id: int, document_id: int):
    """The first statement of the document still open (maintained) that the user has no
    annotation of, or None: one query through the open statements' index, in SQL written
    here ("Annotate next" runs it on every request; the ORM's queue query cost more CPU to
    build than to run)."""
    return next(
        iter(
            Statement.objects.raw(
                f"SELECT s.* FROM {OpenStatement._meta.db_table} o "
                f"JOIN {Statement._meta.db_table} s ON s.id = o.statement_id "
                "WHERE o.project_id = %s AND o.document_id = %s AND NOT EXISTS ("
                f"SELECT 1 FROM {Annotation._meta.db_table} a "
                "WHERE a.statement_id = o.statement_id AND a.annotator_id = %s) "
                "ORDER BY o.position LIMIT 1",
                [project_id, document_id, user_id],
            )
        ),
        None,
    )


def progress_counted(*, project) -> Counts:
    """The counts as they should be, counted from the annotations (for a recount or a check)."""
    submitted = Annotation.objects.submitted().in_project(project)
    open_ids = open_statement_ids(project)
    open_statements = (
        Statement.objects.filter(document__project=project).filter(pk__in=open_ids).count()
    )
    rows = (
        submitted.order_by()
        .values("annotator_id")
        .annotate(done=Count("pk"), done_open=Count("pk", filter=Q(statement_id__in=open_ids)))
        .values_list("annotator_id", "done", "done_open")
    )
    return Counts(open_statements, {user: (done, done_open) for user, done, done_open in rows})


def progress_differences(*, project) -> list[str]:
    """Where the maintained counts differ from a recount (empty: they agree)."""
    counted = progress_counted(project=project)
    differences = []
    stored_open, counted_for = (
        ProjectProgress.objects.filter(project=project)
        .values_list("open_statements", "counted_for")
        .first()
    ) or (None, None)
    if counted_for != project.annotations_per_statement:
        differences.append(
            f"counted for {counted_for} annotations per statement, the project has "
            f"{project.annotations_per_statement}"
        )
    listed = set(OpenStatement.objects.filter(project=project).values_list("pk", flat=True))
    expected = {row["pk"] for row in open_statement_ids(project)}
    if listed != expected:
        differences.append(
            f"open statements listed: {len(listed - expected)} too many, "
            f"{len(expected - listed)} missing"
        )
    if stored_open != counted.open_statements:
        differences.append(
            f"open statements: stored {stored_open}, counted {counted.open_statements}"
        )
    stored = {
        user: (done, done_open)
        for user, done, done_open in AnnotatorProgress.objects.filter(project=project).values_list(
            "annotator_id", "submitted", "submitted_open"
        )
    }
    for user in sorted(set(stored) | set(counted.annotators)):
        have, want = stored.get(user, (0, 0)), counted.annotators.get(user, (0, 0))
        if have != want:
            differences.append(f"annotator {user}: stored (submitted, open) {have}, counted {want}")
    return differences


# --- writing -----------------------------------------------------------------------------


def _lock_annotations() -> None:
    """Hold annotation writes back until this transaction ends (PostgreSQL; SQLite writes one
    at a time anyway), so that a recount sees every save and no save slips past it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Annotation._meta.db_table} IN SHARE MODE")


@transaction.atomic
def progress_recount(*, project) -> Counts:
    """Recount a project's maintained counts from its annotations and store them."""
    _lock_annotations()
    ProjectProgress.objects.get_or_create(project=project)
    ProjectProgress.objects.select_for_update().filter(project=project).first()
    counts = progress_counted(project=project)
    ProjectProgress.objects.filter(project=project).update(
        open_statements=counts.open_statements, counted_for=project.annotations_per_statement
    )
    OpenStatement.objects.filter(project=project).delete()
    rows = Statement.objects.filter(pk__in=open_statement_ids(project)).values_list(
        "pk", "document_id", "position"
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:  # INSERT ... SELECT: no row passes through Python
        cursor.execute(
            f"INSERT INTO {OpenStatement._meta.db_table} "
            "(statement_id, document_id, position, project_id) "
            f"SELECT open_rows.*, %s FROM ({sql}) open_rows",
            [project.pk, *params],
        )
    AnnotatorProgress.objects.filter(project=project).exclude(
        annotator_id__in=list(counts.annotators)
    ).update(submitted=0, submitted_open=0)
    AnnotatorProgress.objects.bulk_create(
        [
            AnnotatorProgress(
                project=project, annotator_id=user, submitted=done, submitted_open=done_open
            )
            for user, (done, done_open) in sorted(counts.annotators.items())
        ],
        update_conflicts=True,
        unique_fields=["project", "annotator"],
        update_fields=["submitted", "submitted_open"],
    )
    return counts


def progress_statements_added(*, project_id: int, statements: list[Statement]) -> None:
    """New statements (an imported article, saved) are open: nobody has annotated them yet."""
    OpenStatement.objects.bulk_create(
        OpenStatement(
            statement_id=statement.pk,
            project_id=project_id,
            document_id=statement.document_id,
            position=statement.position,
        )
        for statement in statements
    )
    with connection.cursor() as cursor:
        _open_statements_move(cursor, project_id, len(statements))


def _open_statements_move(cursor, project_id: int, count: int) -> None:
    """The project's count of open statements moved by `count` (SQL written here: every save
    that opens or fills a statement runs it)."""
    cursor.execute(
        f"UPDATE {ProjectProgress._meta.db_table} "
        "SET open_statements = open_statements + %s WHERE project_id = %s",
        [count, project_id],
    )


def progress_annotation_saved(
    *,
    statement_id: int,
    annotator_id: int,
    was_submitted: bool,
    is_submitted: bool,
    deleted: bool = False,
) -> int:
    """Move the counts by one annotation's save or delete (call it after the write, inside the
    same transaction). `was_submitted`/`is_submitted`: its status before and after (a delete
    is `is_submitted=False`). Returns the project's `annotations_per_statement`, read with the
    lock on the statement's row (held until the transaction ends)."""
    # In SQL written here: every save runs these queries, and building them in the ORM cost
    # more CPU than running them.
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            f"SELECT s.document_id, s.position, d.project_id, p.annotations_per_statement "
            f"FROM {Statement._meta.db_table} s "
            f"JOIN {Document._meta.db_table} d ON d.id = s.document_id "
            f"JOIN {Project._meta.db_table} p ON p.id = d.project_id "
            f"WHERE s.id = %s{_lock(of='s')}",
            [statement_id],
        )
        document_id, position, project_id, required = cursor.fetchone()
        changes: dict[int, list[int]] = {annotator_id: [0, 0]}
        opened = 0
        if was_submitted != is_submitted:
            execute_prepared(
                cursor,
                f"SELECT annotator_id FROM {Annotation._meta.db_table} "
                "WHERE statement_id = %s AND status = %s",
                [statement_id, Annotation.Status.SUBMITTED],
            )
            submitters = [row[0] for row in cursor.fetchall()]
            after = len(submitters)
            before = after + (1 if was_submitted else -1)
            open_before = statement_is_open(before, required)
            open_after = statement_is_open(after, required)
            changes[annotator_id] = [
                int(is_submitted) - int(was_submitted),
                int(is_submitted and open_after) - int(was_submitted and open_before),
            ]
            if open_before != open_after:
                opened = 1 if open_after else -1
                for other in submitters:
                    if other != annotator_id:
                        changes[other] = [0, opened]
        _annotators_move(cursor, project_id, annotator_id, changes, document_id, deleted)
        if opened == 1:
            open_sql = (
                f"INSERT INTO {OpenStatement._meta.db_table} "
                "(statement_id, project_id, document_id, position) VALUES (%s, %s, %s, %s)"
            )
            open_params = [statement_id, project_id, document_id, position]
        elif opened == -1:
            open_sql = f"DELETE FROM {OpenStatement._meta.db_table} WHERE statement_id = %s"
            open_params = [statement_id]
        if opened:
            _open_statement_move(cursor, project_id, opened, open_sql, open_params)
    return required


def _open_statement_move(cursor, project_id: int, opened: int, sql: str, params: list) -> None:
    """The statement's row added to or removed from the open ones (`sql`), and the project's
    count moved with it: on PostgreSQL in one statement (a data-modifying WITH runs whether or
    not the UPDATE reads it), one round trip less on every save that fills or reopens a
    statement; elsewhere one after the other."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        _open_statements_move(cursor, project_id, opened)
        return
    execute_prepared(
        cursor,
        f"WITH moved AS ({sql}) UPDATE {ProjectProgress._meta.db_table} "
        "SET open_statements = open_statements + %s WHERE project_id = %s",
        [*params, opened, project_id],
    )


def _lock(of: str) -> str:
    """The row lock of a SELECT, where the database has one (SQLite locks the whole file)."""
    if not connection.features.has_select_for_update:
        return ""
    return f" FOR UPDATE OF {of}" if connection.features.has_select_for_update_of else " FOR UPDATE"


def _annotators_move(cursor, project_id, annotator_id, changes, document_id, deleted) -> None:
    """The annotators' rows moved by one save: `changes` {annotator id: [done, done_open]}."""
    table = AnnotatorProgress._meta.db_table
    others = sorted(user for user in changes if user != annotator_id)
    if others:
        current = None if deleted else document_id
        _annotators_move_together(cursor, project_id, annotator_id, changes, current, others)
        return
    done, done_open = changes[annotator_id]
    current = "" if deleted else ", current_document_id = %s"
    update = (
        f"UPDATE {table} SET submitted = submitted + %s, submitted_open = submitted_open + %s"
        f"{current} WHERE project_id = %s AND annotator_id = %s"
    )
    params = [done, done_open, *([] if deleted else [document_id]), project_id, annotator_id]
    execute_prepared(cursor, update, params)
    if cursor.rowcount == 0:  # the annotator's first save in the project
        AnnotatorProgress.objects.bulk_create(
            [AnnotatorProgress(project_id=project_id, annotator_id=annotator_id)],
            ignore_conflicts=True,
        )
        execute_prepared(cursor, update, params)


def _annotators_move_together(cursor, project_id, annotator_id, changes, current, others):
    """A save or delete that fills or reopens a statement moves its other submitters' rows
    too: every row locked in one order (by annotator) in one query, then all of them moved by
    one UPDATE (the saving annotator's by its own numbers, and to `current` as their current
    document unless it is None, as after a delete): two queries however many annotators the
    statement has."""
    table = AnnotatorProgress._meta.db_table
    rows = ", ".join(["%s"] * (len(others) + 1))
    execute_prepared(
        cursor,
        f"SELECT annotator_id FROM {table} WHERE project_id = %s AND annotator_id IN ({rows}) "
        f"ORDER BY annotator_id{_lock(of=table)}",
        [project_id, annotator_id, *others],
    )
    if annotator_id not in {row[0] for row in cursor.fetchall()}:
        # The annotator's first save in the project: their row, before it moves.
        AnnotatorProgress.objects.bulk_create(
            [AnnotatorProgress(project_id=project_id, annotator_id=annotator_id)],
            ignore_conflicts=True,
        )
    done, done_open = changes[annotator_id]
    moves_current = (
        ""
        if current is None
        else ", current_document_id = CASE WHEN annotator_id = %s THEN %s "
        "ELSE current_document_id END"
    )
    # The CAST: a CASE of two parameters has no type PostgreSQL can infer to prepare it.
    execute_prepared(
        cursor,
        f"UPDATE {table} SET "
        "submitted = submitted + CASE WHEN annotator_id = %s THEN %s ELSE 0 END, "
        "submitted_open = submitted_open + CASE WHEN annotator_id = %s THEN %s "
        "ELSE CAST(%s AS INTEGER) END"
        f"{moves_current} WHERE project_id = %s AND annotator_id IN ({rows})",
        [
            annotator_id, done, annotator_id, done_open, changes[others[0]][1],
            *([] if current is None else [annotator_id, current]),
            project_id, annotator_id, *others,
        ],
    )  # fmt: skip
