"""The import's bulk writer (datasets/bulk_rows.py: COPY on PostgreSQL, bulk_create elsewhere)
stores exactly what the ORM stores: awkward text (separators, quotes, backslashes, line
breaks, empty text beside NULL), dates without a zone, JSON, the dates Django stamps, and the
primary keys it hands back. The suite runs on SQLite and on PostgreSQL."""

import warnings
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotator.datasets.bulk_rows import (
    CopyQueue,
    ids_reserve,
    instances_insert,
    json_text,
    moment_text,
    planner_columns,
    rows_insert,
    stamp_now,
    tables_analyse,
    tables_rows_estimated,
)
from annotator.datasets.dataset_import_rows import Rows
from annotator.models import Annotation, Document, Label, LabelRevision, Statement

AWKWARD = [
    "plain",
    "",
    "tab\there",
    "line\nbreak and\r\nCRLF",
    "a lone\rcarriage return",
    "ends with one\r",
    'quote " and, comma',
    "back\\slash \\N \\t",
    "\\N",
    "Umlaute äöü ß – «»",
]
STATEMENT_FIELDS = ["document_id", "position", "text", "start", "end", "suggested_mention",
                    "suggested_cue", "suggested_cue_start",
                    "suggested_mention_resolved"]  # fmt: skip


def statements(document: Document, first_position: int) -> list[Statement]:
    return [
        Statement(
            document=document,
            position=first_position + index,
            text=text or "x",
            start=0,
            end=1,
            suggested_mention=text,
            suggested_cue=text[:200],
            suggested_cue_start=None if index % 2 else index,
        )
        for index, text in enumerate(AWKWARD)
    ]


def stored(document: Document, positions: range) -> list[dict]:
    rows = Statement.objects.filter(document=document, position__in=positions).order_by("position")
    return [
        {**row, "position": row["position"] - positions.start}
        for row in rows.values(*STATEMENT_FIELDS)
    ]


def test_instances_are_stored_as_the_orm_stores_them_with_their_keys(demo):
    document = Document.objects.filter(project=demo).first()
    Statement.objects.bulk_create(statements(document, 1000))
    written = statements(document, 2000)
    instances_insert(Statement, written)

    assert all(statement.pk for statement in written)
    assert len({statement.pk for statement in written}) == len(AWKWARD)
    by_key = Statement.objects.in_bulk([statement.pk for statement in written])
    for statement in written:
        assert by_key[statement.pk].position == statement.position
    assert stored(document, range(2000, 3000)) == stored(document, range(1000, 2000))


@pytest.mark.parametrize("as_lines", [True, False])
def test_rows_written_as_lines_are_stored_as_the_orm_stores_them(demo, as_lines):
    """Rows the import writes out as lines of COPY's text format (on PostgreSQL; elsewhere
    as rows): awkward text, NULL beside empty text, the history's JSON, defaults and stamps."""
    document = Document.objects.filter(project=demo).first()
    Statement.objects.bulk_create(statements(document, 1000))
    columns = ("id", "document_id", "position", "text", "start", "end", "suggested_mention",
               "suggested_cue", "suggested_cue_start")  # fmt: skip
    rows = Rows(Statement, columns, stamp_now(), as_lines=as_lines)
    assert rows.as_lines == (as_lines and connection.vendor == "postgresql")
    for key, made in zip(ids_reserve(Statement, len(AWKWARD)), statements(document, 2000),
                         strict=True):  # fmt: skip
        rows.add(key, document.pk, made.position, made.text, 0, 1, made.suggested_mention,
                 made.suggested_cue, made.suggested_cue_start)  # fmt: skip
    rows.write(None)
    assert stored(document, range(2000, 3000)) == stored(document, range(1000, 2000))

    statement = Statement.objects.filter(document=document, position=2003).get()
    user = get_user_model().objects.create(username="bulk-lines")
    snapshot = {"note": 'line\nbreak, "quotes", tab\t, back\\slash \\N', "labels": ["a"]}
    after = json_text(snapshot) if connection.vendor == "postgresql" else snapshot
    revisions = Rows(LabelRevision, ("kind", "object_id", "statement_id", "annotator_id",
                                     "changed_by_id", "action", "after"), stamp_now(),
                     ("after",), as_lines=as_lines)  # fmt: skip
    revisions.add("annotation", 5, statement.pk, user.pk, None, "created", after)
    revisions.write(None)
    revision = LabelRevision.objects.get(statement=statement)
    assert (revision.after, revision.before, revision.changed_by_id) == (snapshot, None, None)
    assert revision.changed_at is not None


def test_rows_are_stored_as_the_orm_stores_them(demo):
    statement = Statement.objects.filter(document__project=demo).first()
    user = get_user_model().objects.create(username="bulk-rows")
    naive = datetime(2026, 3, 1, 12, 30, 15, 123456)
    snapshot = {"note": 'line\nbreak, "quotes", tab\t, back\\slash', "labels": ["a", "b"]}
    columns = ("kind", "object_id", "statement_id", "annotator_id", "changed_by_id", "action",
               "before", "after")  # fmt: skip
    before = timezone.now()
    rows_insert(
        LabelRevision,
        columns,
        [
            ("annotation", 7, statement.pk, user.pk, None, "created", None, snapshot),
            ("gold", 8, statement.pk, None, user.pk, "changed", {"x": ""}, {}),
        ],
    )
    written = LabelRevision.objects.filter(changed_at__gte=before, object_id__in=[7, 8])
    first, second = written.order_by("object_id")
    assert (first.kind, first.object_id, first.annotator_id, first.changed_by_id) == (
        "annotation", 7, user.pk, None,
    )  # fmt: skip
    assert first.before is None and first.after == snapshot
    assert (second.before, second.after, second.changed_by_id) == ({"x": ""}, {}, user.pk)
    assert before <= first.changed_at <= timezone.now()

    through = Annotation.labels.through
    annotation = Annotation.objects.create(
        statement=statement, annotator=user, source_reliability="A", info_credibility="1",
        submitted_at=timezone.make_aware(naive),
    )  # fmt: skip
    copied = Annotation(
        statement=Statement.objects.exclude(pk=statement.pk).first(),
        annotator=user,
        source_reliability="A",
        info_credibility="1",
        submitted_at=naive,  # no zone: stored in the default one, as the ORM does
    )
    with warnings.catch_warnings():
        # The ORM's path (SQLite) warns of the naive date, as it should; what counts here is
        # that both paths store it in the default zone.
        warnings.simplefilter("ignore", RuntimeWarning)
        instances_insert(Annotation, [copied])
    assert Annotation.objects.get(pk=copied.pk).submitted_at == annotation.submitted_at
    assert Annotation.objects.get(pk=copied.pk).created_at is not None

    label_ids = list(Label.objects.values_list("pk", flat=True)[:2])
    rows_insert(through, ["annotation_id", "label_id"], [(copied.pk, pk) for pk in label_ids])
    assert sorted(copied.labels.values_list("pk", flat=True)) == sorted(label_ids)


@pytest.mark.postgres
def test_queued_copies_are_stored_in_order_before_the_next_query(demo):
    """The COPYs run on a second thread: the statements first (the annotations' foreign keys
    are checked with each COPY), and a query of ours waits until they are done."""
    document = Document.objects.filter(project=demo).first()
    user = get_user_model().objects.create(username="queued-copies")
    written = statements(document, 3000)
    with CopyQueue() as copies:
        instances_insert(Statement, written, copies)
        annotations = [
            Annotation(statement_id=statement.pk, annotator=user, source_reliability="B",
                       info_credibility="2")
            for statement in written
        ]  # fmt: skip
        instances_insert(Annotation, annotations, copies)
        copies.flush()
        assert Annotation.objects.filter(annotator=user).count() == len(AWKWARD)
    assert {a.statement_id for a in Annotation.objects.filter(annotator=user)} == {
        statement.pk for statement in written
    }


@pytest.mark.postgres
def test_a_queued_copy_that_breaks_a_foreign_key_raises_and_leaves_nothing(demo):
    label = Label.objects.first()
    document = Document.objects.filter(project=demo).first()
    written = statements(document, 5000)
    missing_annotation = (
        Annotation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1000
    with pytest.raises(IntegrityError), transaction.atomic(), CopyQueue() as copies:
        instances_insert(Statement, written, copies)
        rows_insert(
            Annotation.labels.through,
            ["annotation_id", "label_id"],
            [(missing_annotation, label.pk)],
            copies,
        )
    assert not Statement.objects.filter(document=document, position__gte=5000).exists()


def test_statistics_are_gathered_on_the_columns_queries_filter_and_join_on():
    columns = planner_columns(Annotation)
    assert {"id", "statement_id", "annotator_id", "source_id", "status", "updated_at"} <= set(
        columns
    )
    assert not {"note", "source_mention", "guidelines_version"} & set(columns)
    assert "after" not in planner_columns(LabelRevision)


@pytest.mark.postgres
def test_a_table_that_grew_is_analysed(demo):
    from django.db import connection

    before = tables_rows_estimated([Annotation, Statement])
    assert set(before) == {Annotation, Statement}
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_statistics_target")
        (target,) = cursor.fetchone()
        tables_analyse({Annotation: 10 * max(int(before[Annotation]), 1), Statement: 0}, before)
        cursor.execute(
            "SELECT attname FROM pg_stats WHERE tablename = %s", [Annotation._meta.db_table]
        )
        analysed = {name for (name,) in cursor.fetchall()}
        cursor.execute("SHOW default_statistics_target")
        target_after = cursor.fetchone()[0]
    assert {"statement_id", "annotator_id", "status"} <= analysed
    # Its smaller sample is its own: the transaction it ran in keeps the usual target.
    assert target_after == target


def test_reserved_keys_are_new_and_never_given_again(demo):
    highest = Statement.objects.order_by("-pk").values_list("pk", flat=True).first()
    first, second = ids_reserve(Statement, 3), ids_reserve(Statement, 2)
    assert len(set(first + second)) == 5 and min(first) > highest
    document = Document.objects.filter(project=demo).first()
    created = statements(document, 7000)[:1]
    instances_insert(Statement, created)  # numbered by the table itself on SQLite
    assert created[0].pk > max(first + second)


@pytest.mark.parametrize(
    "written",
    ["2026-03-01T08:01:12.000000Z", "2026-03-01T08:01:12.5+05:30", "2026-03-01T08:01:12"],
)
def test_a_moment_from_a_file_is_stored_as_the_orm_stores_it(demo, written):
    statements = Statement.objects.filter(document__project=demo)[:2]
    user = get_user_model().objects.create(username="moment-text")
    columns = ("statement_id", "annotator_id", "status", "source_reliability",
               "info_credibility", "submitted_at")  # fmt: skip
    with warnings.catch_warnings():  # the ORM warns of the date without a zone, as it should
        warnings.simplefilter("ignore", RuntimeWarning)
        by_orm = Annotation.objects.create(
            statement=statements[0], annotator=user, status="submitted", source_reliability="A",
            info_credibility="1", submitted_at=written,
        )  # fmt: skip
        rows = Rows(Annotation, columns)  # every other column its default, as the import
        rows.add(statements[1].pk, user.pk, "submitted", "A", "1", moment_text(written))
        rows.write(None)
    stored = Annotation.objects.get(statement=statements[1], annotator=user).submitted_at
    assert stored == Annotation.objects.get(pk=by_orm.pk).submitted_at
