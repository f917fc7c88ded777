"""Queries compiled once (annotator/compiled_queries.py) give what the ORM gives for the same
queryset: the same instances with their related objects and annotations, converted values
(dates, booleans on SQLite), and values_list rows; new values each run, never the stand-ins."""

import pytest
from django.db import connection
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from annotator.adjudication.consensus import (
    one_statement_votes,
    one_statement_votes_and_gold,
    statement_votes,
)
from annotator.annotation.selectors import (
    document_neighbours,
    own_annotation,
    statement_for_annotation,
)
from annotator.compiled_queries import CompiledQuery
from annotator.models import Annotation, Statement
from tests import helpers
from tests.factories import DocumentFactory, SourceFactory, annotated
from tests.helpers import make_user

pytestmark = pytest.mark.django_db

STATEMENTS = CompiledQuery(
    lambda document_id: (
        Statement.objects.filter(document_id=document_id)
        .select_related("document__project", "suggested_source")
        .annotate(annotations_count=Count("annotations"))
        .order_by("position")
    ),
    document_id=-7_000_001,
)


def test_instances_match_the_orm_with_related_objects_and_annotations():
    source = SourceFactory()
    first, second = DocumentFactory(), DocumentFactory(text="Eins. Zwei. Drei.")
    Statement.objects.filter(document=second, position=1).update(suggested_source=source)
    draft = Annotation.Status.DRAFT
    annotated(second.statements.get(position=0), make_user("alice", "Annotators"), status=draft)
    for document in (first, second):  # the second run takes its own value
        orm = list(STATEMENTS.build(document_id=document.pk))
        compiled = STATEMENTS.all(document_id=document.pk)
        assert [s.pk for s in compiled] == [s.pk for s in orm] != []
        for mine, theirs in zip(compiled, orm, strict=True):
            assert mine.__dict__.keys() >= {"text", "start", "annotations_count"}
            assert (mine.text, mine.annotations_count) == (theirs.text, theirs.annotations_count)
            assert mine.document.project.created_at == theirs.document.project.created_at
            assert mine.suggested_source == theirs.suggested_source
        assert STATEMENTS.first(document_id=document.pk).position == 0
    assert STATEMENTS.all(document_id=second.pk)[1].suggested_source == source
    assert STATEMENTS.all(document_id=second.pk)[0].annotations_count == 1
    assert STATEMENTS.first(document_id=-1) is None


def test_a_stand_in_missing_from_the_query_is_refused():
    broken = CompiledQuery(lambda pk: Statement.objects.all(), pk=-7_000_002)
    with pytest.raises(ValueError, match="pk"):
        broken.all(pk=1)


def test_the_forms_reads_give_what_the_orm_gives():
    alice, bob = make_user("alice", "Annotators"), make_user("bob", "Annotators")
    document = DocumentFactory(text="Eins ist hier. Zwei ist da. Drei ist dort.")
    document.project.annotators.add(alice)
    statement = document.statements.first()
    mine = statement_for_annotation(statement_id=statement.pk, user=alice)
    assert mine == statement and mine.user_annotates is True
    assert mine.document.project == document.project
    assert statement_for_annotation(statement_id=statement.pk, user=bob).user_annotates is False
    assert own_annotation(statement_id=statement.pk, annotator_id=alice.pk) is None
    label = helpers.label("Bias", "non-biased")
    saved = annotated(statement, alice, grades="B2", labels=[label])
    assert own_annotation(statement_id=statement.pk, annotator_id=alice.pk) == saved
    assert own_annotation(statement_id=statement.pk, annotator_id=bob.pk) is None
    # The user's own annotation, read with the statement.
    assert mine.own_annotation_id is None
    mine = statement_for_annotation(statement_id=statement.pk, user=alice)
    assert (mine.own_annotation_id, mine.own_annotation_of) == (saved.pk, alice.pk)
    assert statement_for_annotation(statement_id=statement.pk, user=bob).own_annotation_id is None
    # The statements before and after, read with it, as the query of their own gives them.
    for each in document.statements.all():
        read = statement_for_annotation(statement_id=each.pk, user=alice)
        assert set(document_neighbours(read)) == {"previous", "next"}
        for side, neighbour in document_neighbours(read).items():
            alone = document_neighbours(Statement.objects.get(pk=each.pk))[side]
            assert (neighbour and neighbour.pk) == (alone and alone.pk), side
    annotated(statement, bob, grades="B2", labels=[label])
    votes = one_statement_votes(statement.pk)
    assert votes == statement_votes([statement.pk])[statement.pk]
    assert {vote.labels for vote in votes} == {frozenset({label.pk})}
    assert one_statement_votes(statement.pk + 1000) == []
    # Read with the gold label's state (the statement has none yet), the same votes.
    assert one_statement_votes_and_gold(statement.pk) == (votes, None)
    assert Annotation.objects.filter(statement=statement).count() == 2


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.postgres
def test_on_postgresql_the_sql_is_prepared_once_per_connection(postgres_only):
    document = DocumentFactory(text="Eins. Zwei. Drei.")
    with CaptureQueriesContext(connection) as queries:
        first = STATEMENTS.all(document_id=document.pk)
        again = STATEMENTS.all(document_id=document.pk)
    # Each run is one query of the request, the EXECUTE of the statement prepared below it.
    executed = {query["sql"].split("(")[0] for query in queries}
    assert len(queries) == 2 and len(executed) == 1, executed
    name = executed.pop().removeprefix("EXECUTE ")
    assert name in prepared_names()
    assert (
        [s.pk for s in first]
        == [s.pk for s in again]
        == [s.pk for s in STATEMENTS.build(document_id=document.pk)]
    )
    # The test's transaction rolls back; the prepared statement stays with the connection.
    # Another SQL has a name of its own.
    other = CompiledQuery(lambda pk: Statement.objects.filter(pk=pk), pk=-7_000_003)
    with CaptureQueriesContext(connection) as queries:
        assert other.first(pk=first[1].pk) == first[1]
    assert queries[0]["sql"].startswith("EXECUTE ") and name not in queries[0]["sql"]


@pytest.mark.postgres
def test_sql_postgresql_cannot_prepare_runs_as_it_is_and_the_transaction_goes_on(postgres_only):
    document = DocumentFactory(text="Eins. Zwei. Drei.")
    # A parameter with nothing to take its type from: PREPARE refuses it.
    untyped = CompiledQuery(
        lambda document_id, tag: (
            Statement.objects.filter(document_id=document_id)
            .annotate(tag=RawSQL("%s IS NULL", (tag,)))
            .order_by("position")
        ),
        document_id=-7_000_004,
        tag="stand-in tag",
    )
    with CaptureQueriesContext(connection) as queries:
        rows = untyped.all(document_id=document.pk, tag="mine")
    assert [(s.position, s.tag) for s in rows] == [(0, False), (1, False), (2, False)]
    assert queries[0]["sql"].startswith("SELECT ")
    assert Statement.objects.filter(document=document).count() == 3  # the transaction works
