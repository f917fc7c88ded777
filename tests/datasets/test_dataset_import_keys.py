"""The dataset import's foreign keys checked once per key (datasets/dataset_import_keys.py): a
row written inside `keys_checked_together` that refers to a missing row is refused with
IntegrityError, as the per-row trigger refuses it, and nothing of it stays; afterwards every
write is checked row by row again."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from annotator.datasets.bulk_rows import CopyQueue, ids_reserve, rows_insert
from annotator.datasets.dataset_import_keys import keys_checked_together
from annotator.datasets.dataset_import_rows import WRITTEN_MODELS, Rows
from annotator.models import Annotation, Document, Label, OpenStatement, Statement

LINKS = Annotation.labels.through


STATEMENT = ("id", "document_id", "position", "text", "start", "end")
ANNOTATION = ("statement_id", "annotator_id", "status", "source_reliability", "info_credibility")


def statement_row(document: Document, position: int) -> tuple:
    (key,) = ids_reserve(Statement, 1)
    return key, (key, document.pk, position, "x", 0, 1)


def write(model, columns: tuple, row: tuple, copies) -> None:
    """One row, every other column its default (as the import writes them)."""
    rows = Rows(model, columns)
    rows.add(*row)
    rows.write(copies)


def replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_rows_referring_to_existing_rows_are_written(demo):
    document = Document.objects.filter(project=demo).first()
    user = get_user_model().objects.create(username="keys-checked")
    with keys_checked_together(list(WRITTEN_MODELS)), CopyQueue() as copies:
        assert replication_role() == "replica"  # no per-row trigger inside
        key, row = statement_row(document, 9000)
        write(Statement, STATEMENT, row, copies)
        write(Annotation, ANNOTATION, (key, user.pk, "submitted", "B", "2"), copies)
    assert replication_role() == "origin"
    assert Annotation.objects.get(statement_id=key).annotator == user


@pytest.mark.postgres
@pytest.mark.parametrize("missing", ["label", "annotation", "statement's document"])
def test_a_row_referring_to_a_missing_row_is_refused_and_nothing_stays(demo, missing):
    document = Document.objects.filter(project=demo).first()
    absent = 10**9
    with (
        pytest.raises(IntegrityError, match="is not present in table"),
        transaction.atomic(),
        keys_checked_together(list(WRITTEN_MODELS)),
        CopyQueue() as copies,
    ):
        key, row = statement_row(document, 9100)
        if missing == "statement's document":
            row = (key, absent, *row[2:])
        write(Statement, STATEMENT, row, copies)
        link = (absent, Label.objects.first().pk) if missing == "annotation" else None
        if missing == "label":
            annotation = Annotation.objects.first().pk
            link = (annotation, absent)
        if link:
            write(LINKS, ("annotation_id", "label_id"), link, copies)
    assert not Statement.objects.filter(document=document, position=9100).exists()
    assert replication_role() == "origin"


@pytest.mark.postgres
def test_writes_after_it_are_checked_row_by_row_again(demo):
    with keys_checked_together(list(WRITTEN_MODELS)):
        pass
    label = Label.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(LINKS, ["annotation_id", "label_id"], [(10**9, label.pk)])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
def test_a_table_not_numbered_by_a_sequence_keeps_its_triggers(demo):
    # OpenStatement is keyed by its statement: its rows could not be told apart.
    with keys_checked_together([*WRITTEN_MODELS, OpenStatement]):
        assert replication_role() == "origin"


@pytest.fixture
def plain_role():
    """The connection acting as a role that is no superuser and was granted nothing on
    session_replication_role, as an application's role usually is; created inside the test's
    transaction, so its rollback removes it."""
    name = f"annotator_keys_plain_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOSUPERUSER")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}")
        cursor.execute(f"SET ROLE {name}")
    yield name
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


@pytest.mark.postgres
def test_a_role_that_may_not_switch_the_triggers_keeps_them(demo, plain_role):
    document = Document.objects.filter(project=demo).first()
    with keys_checked_together(list(WRITTEN_MODELS)), CopyQueue() as copies:
        assert replication_role() == "origin"  # the per-row triggers stay on
        key, row = statement_row(document, 9200)
        write(Statement, STATEMENT, row, copies)
    assert Statement.objects.filter(pk=key, document=document).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        with keys_checked_together(list(WRITTEN_MODELS)), CopyQueue() as copies:
            key, row = statement_row(document, 9201)
            write(Statement, STATEMENT, (key, 10**9, *row[2:]), copies)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the trigger's check, now
    assert not Statement.objects.filter(document=document, position=9201).exists()
