"""The dataset card's arrays (datasets/coded.py): read once, the same on PostgreSQL (two binary
COPYs, the labels folded by numpy) as from the ORM's rows, and every count of the card agrees
with the database's own counts."""

import numpy as np
import pytest
from django.db.models import Count

from annotator.datasets.card import grade_distribution, per_annotator
from annotator.datasets.coded import _copied, _iterated, coded_annotations, label_bits
from annotator.datasets.selection import DatasetExport
from annotator.models import Annotation, Label


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
    order = np.lexsort((data.annotator, data.statement))
    for index, annotation in zip(
        order.tolist(), submitted.order_by("statement_id", "annotator_id"), strict=True
    ):
        chosen = set(annotation.labels.values_list("pk", flat=True))
        from_masks = {
            pk
            for group, bits in enumerate(data.bits)
            for bit, pk in enumerate(bits)
            if int(data.masks[group][index]) >> bit & 1
        }
        assert from_masks == chosen
    # One bit per label of the project's schema (its groups, retired ones included), no more.
    assert (
        sum(len(bits) for bits in data.bits)
        == Label.objects.filter(group__in=export.groups).count()
    )


@pytest.mark.postgres
def test_postgresql_copy_gives_the_same_arrays_as_the_orm(demo):
    export = DatasetExport(project=demo)
    where, _bits = label_bits(export)
    copied, iterated = _copied(export, where), _iterated(export, where)
    order_copied = np.lexsort((copied[1], copied[0]))
    order_iterated = np.lexsort((iterated[1], iterated[0]))
    assert len(copied) == len(iterated)
    for a, b in zip(copied, iterated, strict=True):
        assert a[order_copied].tolist() == b[order_iterated].tolist()
    assert len(copied[0]) == Annotation.objects.submitted().in_project(demo).count() > 0


@pytest.mark.postgres
def test_a_drafts_labels_stay_out_of_the_masks(demo):
    """The label pairs are read by annotation id range, without a join: the labels of a draft
    (or of another project's annotation) whose id falls inside that range stay out."""
    export = DatasetExport(project=demo)
    where, _bits = label_bits(export)
    before = _copied(export, where)
    submitted = Annotation.objects.submitted().in_project(demo).order_by("pk")
    middle = submitted[submitted.count() // 2]
    label = Label.objects.get(pk=next(iter(where)))
    # The middle annotation (its id inside the range) becomes a draft, with one more label.
    Annotation.objects.filter(pk=middle.pk).update(status=Annotation.Status.DRAFT)
    middle.labels.add(label)
    after = _copied(export, where)
    assert len(after[0]) == len(before[0]) - 1
    iterated = _iterated(export, where)
    order_copied = np.lexsort((after[1], after[0]))
    order_iterated = np.lexsort((iterated[1], iterated[0]))
    for a, b in zip(after, iterated, strict=True):
        assert a[order_copied].tolist() == b[order_iterated].tolist()
