"""The dataset card's arrays (datasets/coded.py): read once, the same on PostgreSQL (two binary
COPYs, the labels folded by numpy, inside an export on two connections in one snapshot) as from
the ORM's rows, and every count of the card agrees with the database's own counts."""

import threading
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from annotator.datasets.card import grade_distribution, per_annotator
from annotator.datasets.coded import (
    AnnotationColumns,
    LabelFolds,
    _copied,
    _iterated,
    coded_annotations,
    label_bits,
    snapshot_twin,
)
from annotator.datasets.selection import DatasetExport, export_snapshot
from annotator.labelling import GRADES
from annotator.models import Annotation, Label


def annotation_rows(data) -> list[tuple]:
    """The arrays as one sorted tuple per annotation (statement, source, grades, masks)."""
    columns = [data.statement, data.source, data.reliability, data.credibility, *data.masks]
    return sorted(zip(*(column.tolist() for column in columns), strict=True))


def read(export, reader):
    """The arrays as `reader` (the COPYs or the ORM) hands them over."""
    where, bits = label_bits(export)
    annotations, labels = AnnotationColumns(), LabelFolds(where, bits)
    reader(export, annotations, labels)
    return annotations.coded(labels)


def test_the_arrays_agree_with_the_database(demo):
    export = DatasetExport(project=demo)
    data = coded_annotations(export)
    submitted = Annotation.objects.submitted().in_project(demo)
    assert len(data) == submitted.count()
    for field, codes in (("source_reliability", data.reliability),
                         ("info_credibility", data.credibility)):  # fmt: skip
        expected = dict(submitted.values_list(field).annotate(n=Count("id")))
        assert grade_distribution(codes, field) == expected
    expected = dict(submitted.values_list("annotator_id").annotate(n=Count("id")))
    assert dict(per_annotator(export, data)) == {export.people[pk]: n for pk, n in expected.items()}
    # Each annotation's labels, group by group, are the bits of its masks.
    rows = []
    for annotation in submitted.prefetch_related("labels"):
        chosen = {label.pk for label in annotation.labels.all()}
        masks = [sum(1 << bit for bit, pk in enumerate(bits) if pk in chosen) for bits in data.bits]
        grades = [
            GRADES[field].find(getattr(annotation, field))
            for field in ("source_reliability", "info_credibility")
        ]
        rows.append((annotation.statement_id, annotation.source_id or 0, *grades, *masks))
    assert annotation_rows(data) == sorted(rows)
    assert any(any(mask) for mask in data.masks)
    assert data.sources.tolist() == sorted(set(data.source.tolist()))
    for column, distinct in zip(data.masks, data.distinct_masks, strict=True):
        assert distinct.tolist() == sorted(set(column.tolist()))
    # One bit per label of the project's schema (its groups, retired ones included), no more.
    assert (
        sum(len(bits) for bits in data.bits)
        == Label.objects.filter(group__in=export.groups).count()
    )


@pytest.mark.postgres
def test_postgresql_copy_gives_the_same_arrays_as_the_orm(demo):
    export = DatasetExport(project=demo)
    copied, iterated = read(export, _copied), read(export, _iterated)
    assert annotation_rows(copied) == annotation_rows(iterated)
    assert copied.annotators == iterated.annotators
    assert len(copied) == Annotation.objects.submitted().in_project(demo).count() > 0


@pytest.mark.postgres
def test_statements_left_out_of_the_export_stay_out_of_the_arrays(demo):
    """The annotations are read by the range of the exported statements' ids: those of the
    statements between them that the export leaves out (here: not saved since) are dropped."""
    submitted = Annotation.objects.submitted().in_project(demo)
    annotated = sorted(set(submitted.values_list("statement_id", flat=True)))
    later = timezone.now() + timedelta(days=1)
    submitted.filter(statement_id__in=[annotated[0], annotated[-1]]).update(updated_at=later)
    export = DatasetExport(project=demo, since=later)
    copied = read(export, _copied)
    assert set(copied.statement.tolist()) == {annotated[0], annotated[-1]}
    assert annotation_rows(copied) == annotation_rows(read(export, _iterated))


@pytest.mark.postgres
def test_a_drafts_labels_stay_out_of_the_masks(demo):
    """The label pairs are read without a join: the labels of a draft (or of another
    project's annotation) are never looked up."""
    export = DatasetExport(project=demo)
    before = read(export, _copied)
    submitted = Annotation.objects.submitted().in_project(demo).order_by("pk")
    middle = submitted[submitted.count() // 2]
    label = Label.objects.filter(group__in=export.groups).first()
    # The middle annotation (its id inside the range) becomes a draft, with one more label.
    Annotation.objects.filter(pk=middle.pk).update(status=Annotation.Status.DRAFT)
    middle.labels.add(label)
    after = read(export, _copied)
    assert len(after) == len(before) - 1
    assert annotation_rows(after) == annotation_rows(read(export, _iterated))


@pytest.mark.postgres
def test_inside_an_export_the_labels_are_read_beside_the_annotations(transactional_demo):
    """In the export's read-only snapshot a second connection reads the label pairs at the
    same time, and sees exactly what the first one sees, though annotators save meanwhile."""
    export = DatasetExport(project=transactional_demo)
    expected = read(export, _iterated)
    submitted = Annotation.objects.submitted().in_project(transactional_demo).order_by("pk")
    with export_snapshot():
        with snapshot_twin() as twin:
            assert twin is not None
        first = submitted.first()
        saved_meanwhile = threading.Thread(target=label_and_close, args=(first, export))
        saved_meanwhile.start()
        saved_meanwhile.join()
        copied = read(export, _copied)
    assert annotation_rows(copied) == annotation_rows(expected)
    assert annotation_rows(read(export, _copied)) != annotation_rows(expected)


def label_and_close(annotation, export) -> None:
    """Another connection (a thread's own) gives the annotation every label of the schema."""
    try:
        annotation.labels.add(*Label.objects.filter(group__in=export.groups))
    finally:
        connection.close()


@pytest.mark.postgres
def test_a_transaction_that_wrote_reads_alone(demo):
    """Rows this transaction wrote are invisible to any other connection: no second one, and
    the card counts what the transaction sees."""
    submitted = Annotation.objects.submitted().in_project(demo)
    Annotation.objects.filter(pk=submitted.first().pk).update(status=Annotation.Status.DRAFT)
    with snapshot_twin() as twin:
        assert twin is None
    assert len(coded_annotations(DatasetExport(project=demo))) == submitted.count() > 0


@pytest.mark.postgres
def test_inside_a_savepoint_the_card_reads_alone(demo):
    """PostgreSQL exports no snapshot from a subtransaction: one connection reads it all."""
    export = DatasetExport(project=demo)
    with transaction.atomic(), export_snapshot():
        with snapshot_twin() as twin:
            assert twin is None
        inside = read(export, _copied)
    assert annotation_rows(inside) == annotation_rows(read(export, _iterated))


@pytest.mark.parametrize("far", [False, True])
def test_label_pairs_fold_into_the_same_masks_near_or_far_apart(far):
    """Pairs in any order, an annotation's labels in several blocks, ids growing down and up;
    ids far apart (past what arrays indexed by id may span) fold the same, sorted instead."""
    where = {11: (0, 0), 12: (0, 1), 21: (1, 0), 22: (1, 1), 23: (1, 2)}
    folds = LabelFolds(where, [[11, 12], [21, 22, 23]])
    gap = 10**10 if far else 1000
    blocks = [
        [(500, 11), (500, 21), (600, 12), (99, 7)],  # 99: a label of another schema
        [(400, 23), (500, 12)],  # below the first block's ids
        [(500 + gap, 22), (400, 11)],  # far above
        [(500 + gap, 21)],
    ]
    for block in blocks:
        folds.add([np.array(column, dtype=np.int64) for column in zip(*block, strict=True)])
    assert (folds.dense is None) == far
    ids = np.array([400, 500, 600, 700, 500 + gap, 99])
    first, second = folds.masks_of(ids)
    assert first.tolist() == [0b01, 0b11, 0b10, 0, 0, 0]
    assert second.tolist() == [0b100, 0b001, 0, 0, 0b011, 0]
