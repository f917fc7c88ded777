"""The dataset card's totals (datasets/coded.py, card_totals.py): the annotations read in
statement order, block by block (on PostgreSQL a binary COPY, each block's labels on a second
connection in the export's snapshot; elsewhere the ORM), folded into counts and coincidence
matrices. The counts agree with the database's own, alpha with the reference implementation,
whatever the block size (a statement cut between blocks is carried over)."""

import threading
from datetime import timedelta

import krippendorff
import numpy as np
import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from annotator.agreement.statistics import (
    CodedRatings,
    alpha_from_coincidences,
    coincidence_matrix,
    krippendorff_alpha,
)
from annotator.datasets import card_totals as totals_module
from annotator.datasets import coded
from annotator.datasets.card import (
    agreement_figures,
    counts,
    gold_tally,
    grade_distribution,
    per_annotator,
    sources_used,
)
from annotator.datasets.card_totals import AnnotationBlock, CardTotals, unit_coincidences
from annotator.datasets.coded import (
    LabelMasks,
    card_totals,
    label_pairs_query,
    snapshot_twin,
)
from annotator.datasets.selection import DatasetExport, export_snapshot
from annotator.labelling import ORDINAL_SCALES
from annotator.models import Annotation, GoldLabel, Label, Source, Statement


def figures(totals: CardTotals) -> dict:
    """Every total, the matrices rounded (sums of fractions, added in another order)."""
    fields = [totals.source, totals.reliability, totals.credibility, *totals.masks]
    return {
        "annotations": totals.annotations,
        "annotators": dict(totals.annotators),
        "given": [totals.reliability_given.tolist(), totals.credibility_given.tolist()],
        "paired": totals.paired,
        "fields": [(f.values.tolist(), f.matrix.round(9).tolist()) for f in fields],
    }


def reference_alphas(export: DatasetExport) -> dict:
    """Alpha per field by the reference implementation, from the ORM's rows."""
    annotations = list(export.annotations().prefetch_related("labels"))
    rows = {"source": [], "source_reliability": [], "info_credibility": []}
    for a in annotations:
        rows["source"].append((a.statement_id, a.annotator_id, a.source_id or 0))
        for field in ("source_reliability", "info_credibility"):
            grade = getattr(a, field)
            judged = grade if grade in ORDINAL_SCALES[field] else None
            rows[field].append((a.statement_id, a.annotator_id, judged))
    alphas = {
        "source": krippendorff_alpha(rows["source"], "nominal"),
        **{
            field: krippendorff_alpha(rows[field], "ordinal", order=ORDINAL_SCALES[field])
            for field in ("source_reliability", "info_credibility")
        },
    }
    for group in export.groups:
        chosen = [
            (
                a.statement_id,
                a.annotator_id,
                frozenset(x.pk for x in a.labels.all() if x.group_id == group.pk),
            )
            for a in annotations
        ]
        if group.multiple:
            alphas[f"labels.{group.key}"] = krippendorff_alpha(chosen, "masi")
        else:
            single = [(u, c, min(v) if v else 0) for u, c, v in chosen]
            alphas[f"labels.{group.key}"] = krippendorff_alpha(single, "nominal")
    return alphas


def rounded(alphas: dict) -> dict:
    """As the card writes them."""
    return {k: None if np.isnan(v) else round(float(v), 4) for k, v in alphas.items()}


def card_alphas(export: DatasetExport, block_rows: int) -> dict:
    totals, bits = card_totals(export, block_rows=block_rows)
    return {row["field"]: row["alpha"] for row in agreement_figures(export, totals, bits)}


def test_the_totals_agree_with_the_database(demo):
    export = DatasetExport(project=demo)
    totals, bits = card_totals(export)
    submitted = Annotation.objects.submitted().in_project(demo)
    assert totals.annotations == submitted.count() > 0
    for field, tally in (("source_reliability", totals.reliability_given),
                         ("info_credibility", totals.credibility_given)):  # fmt: skip
        expected = dict(submitted.values_list(field).annotate(n=Count("id")))
        assert grade_distribution(tally, field) == expected
    expected = dict(submitted.values_list("annotator_id").annotate(n=Count("id")))
    assert dict(per_annotator(export, totals)) == {
        export.people[pk]: n for pk, n in expected.items()
    }
    per_statement = submitted.values("statement_id").annotate(n=Count("id"))
    assert totals.paired == per_statement.filter(n__gte=2).count() > 0
    sources = set(submitted.values_list("source_id", flat=True))
    assert totals.source.values.tolist() == sorted(pk or 0 for pk in sources)
    # Every mask given is a combination of the group's own labels.
    for total, group_bits in zip(totals.masks, bits, strict=True):
        assert all(0 <= mask < 1 << len(group_bits) for mask in total.values.tolist())
    assert any(len(total.values) > 1 for total in totals.masks)
    # One bit per label of the project's schema (its groups, retired ones included), no more.
    assert sum(len(b) for b in bits) == Label.objects.filter(group__in=export.groups).count()


@pytest.mark.parametrize("block_rows", [1, 2, 3, 7])
def test_blocks_of_any_size_give_the_same_totals_and_the_reference_alpha(demo, block_rows):
    """Small blocks cut the demo's statements (3 annotations each) between blocks."""
    export = DatasetExport(project=demo)
    whole, _bits = card_totals(export, block_rows=100_000)
    assert figures(card_totals(export, block_rows=block_rows)[0]) == figures(whole)
    assert card_alphas(export, block_rows) == rounded(reference_alphas(export))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coincidences_counted_pair_by_pair_are_the_reference_matrix(seed):
    """Units of 1 to 12 values, some missing (-1), some units without a value at all."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 13, size=400)
    units = np.repeat(np.arange(len(sizes)), sizes)
    values = rng.integers(-1, 6, size=len(units))
    values[units % 17 == 0] = -1
    expected = coincidence_matrix(CodedRatings(units, values, list(range(6))), "nominal")[1]
    counted = unit_coincidences(units, values, 6)
    assert counted.shape == (6, 6)
    assert np.allclose(counted, expected, rtol=0, atol=1e-9)
    assert counted.sum() > 0
    assert not unit_coincidences(units[:1], values[:1], 6).any()  # one value pairs with none


def block(statement, annotator, source, reliability, labels) -> AnnotationBlock:
    return AnnotationBlock(
        statement=np.array(statement), annotator=np.array(annotator), source=np.array(source),
        reliability=np.array(reliability), credibility=np.full(len(statement), -1),
        masks=[np.array(labels)],
    )  # fmt: skip


@pytest.mark.parametrize("table", [True, False])
def test_a_statement_cut_between_blocks_is_folded_whole(table, monkeypatch):
    """Statement 2 spans three blocks: its coincidences are those of its three values
    together, as the krippendorff package counts them (values coded by a lookup table, or
    by a binary search as large ids are)."""
    monkeypatch.setattr(totals_module, "TABLE_VALUES", 1 << 20 if table else 0)
    blocks = [
        block([1, 1, 2], [1, 2, 1], [5, 5, 5], [0, 0, 1], [1, 1, 2]),
        block([2], [2], [6], [1], [2]),
        block([2, 3, 3], [3, 1, 2], [6, 7, 7], [2, 3, 3], [3, 1, 1]),
        block([4], [1], [5], [-1], [0]),  # alone: no pair
    ]
    totals = CardTotals(1, 5, 5)
    for part in blocks:
        totals.add(part)
    totals.finish()
    assert totals.annotations == 8 and totals.paired == 3
    assert totals.annotators == {1: 4, 2: 3, 3: 1}
    assert totals.reliability_given.tolist() == [2, 2, 1, 2, 0, 0]
    # statement, coder -> source, as the krippendorff package's reliability data (coders x units)
    data = np.full((3, 4), np.nan)
    for unit, coder, value in [(0, 0, 5), (0, 1, 5), (1, 0, 5), (1, 1, 6), (1, 2, 6),
                               (2, 0, 7), (2, 1, 7), (3, 0, 5)]:  # fmt: skip
        data[coder, unit] = value
    expected = krippendorff.alpha(data, level_of_measurement="nominal")
    got = alpha_from_coincidences([5, 6, 7], totals.source.matrix, "nominal")
    assert totals.source.values.tolist() == [5, 6, 7]
    assert got == pytest.approx(expected, abs=1e-12)
    # The labels' masks: statement 2's values 2, 2, 3 paired with each other (m - 1 = 2).
    assert totals.masks[0].values.tolist() == [0, 1, 2, 3]
    assert totals.masks[0].over([2, 3]).tolist() == [[1.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize("far", [False, True])
def test_label_pairs_fold_into_masks_and_are_read_by_range_or_by_ids(far):
    """Pairs in any order, of labels outside the schema and of annotations outside the block
    dropped; the block's ids read as a range where they lie close together, else as a list."""
    where = {11: (0, 0), 12: (0, 1), 21: (1, 0), 22: (1, 1), 23: (1, 2)}
    masks = LabelMasks(where, 2)
    gap = 10**10 if far else 3
    ids = np.array([500, 497, 500 + gap, 501])
    pairs = [(500, 11), (500, 21), (501, 12), (99, 7), (497, 23), (500, 12), (500 + gap, 22),
             (497, 11), (500 + gap, 21), (499, 11)]  # fmt: skip
    columns = [np.array(column, dtype=np.int64) for column in zip(*pairs, strict=True)]
    first, second = masks.masks_of(ids, columns)
    assert first.tolist() == [0b11, 0b01, 0, 0b10]
    assert second.tolist() == [0b001, 0b100, 0b011, 0]
    sql, params = label_pairs_query(ids)
    assert ("ANY" in sql) == far and ("BETWEEN" in sql) != far
    assert params == ([f"{{{','.join(map(str, ids.tolist()))}}}"] if far else [497, 500 + gap])


@pytest.mark.postgres
def test_statements_left_out_of_the_export_stay_out_of_the_totals(demo):
    submitted = Annotation.objects.submitted().in_project(demo)
    annotated = sorted(set(submitted.values_list("statement_id", flat=True)))
    later = timezone.now() + timedelta(days=1)
    submitted.filter(statement_id__in=[annotated[0], annotated[-1]]).update(updated_at=later)
    totals, _bits = card_totals(DatasetExport(project=demo, since=later), block_rows=2)
    chosen = submitted.filter(statement_id__in=[annotated[0], annotated[-1]])
    assert totals.annotations == chosen.count() > 0
    assert totals.paired == 2


@pytest.mark.postgres
def test_inside_an_export_the_copy_gives_the_orms_totals_for_any_block_size(
    transactional_demo, monkeypatch
):
    """In the export's read-only snapshot the annotations stream on one connection and each
    block's labels are read on a second one, which sees exactly what the first one sees,
    though annotators save meanwhile; a draft's labels stay out."""
    export = DatasetExport(project=transactional_demo)
    submitted = Annotation.objects.submitted().in_project(transactional_demo).order_by("pk")
    middle = submitted[submitted.count() // 2]
    Annotation.objects.filter(pk=middle.pk).update(status=Annotation.Status.DRAFT)
    middle.labels.add(Label.objects.filter(group__in=export.groups).first())
    expected = figures(card_totals(export)[0])  # outside an export: the ORM's rows
    with export_snapshot():
        with snapshot_twin() as twin:
            assert twin is not None
        saved_meanwhile = threading.Thread(target=label_and_close, args=(submitted.first(), export))
        saved_meanwhile.start()
        saved_meanwhile.join()
        copied = [figures(card_totals(export, block_rows=rows)[0]) for rows in (1, 5, 10_000)]
        monkeypatch.setattr(coded, "DENSE_SPAN", 0)  # each block's labels by its ids
        copied.append(figures(card_totals(export, block_rows=5)[0]))
        alphas, reference = card_alphas(export, 4), rounded(reference_alphas(export))
    assert copied == [expected] * 4
    assert expected["annotations"] == submitted.count()
    assert figures(card_totals(export)[0]) != expected  # the label saved meanwhile
    assert alphas == reference


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
    assert card_totals(DatasetExport(project=demo))[0].annotations == submitted.count() > 0


@pytest.mark.postgres
def test_inside_a_savepoint_the_card_reads_alone(demo):
    """PostgreSQL exports no snapshot from a subtransaction: one connection reads it all."""
    export = DatasetExport(project=demo)
    with transaction.atomic(), export_snapshot():
        with snapshot_twin() as twin:
            assert twin is None
        inside = figures(card_totals(export, block_rows=3)[0])
    assert inside == figures(card_totals(export)[0])


@pytest.mark.parametrize("selection", ["whole", "gold_only", "since"])
def test_the_cards_counts_read_by_id_range_are_the_selections_own(demo, selection):
    """The card counts the exported statements' rows by their id range where the range holds
    them all and nothing else (the whole project), else through the selection's query: both
    give what the export's own querysets count."""
    statements = list(Statement.objects.filter(document__project=demo).order_by("pk"))
    GoldLabel.objects.create(
        statement=statements[1], method="adjudicated", source_reliability="B", info_credibility="2"
    )
    GoldLabel.objects.create(
        statement=statements[-2], method="unanimous", source_reliability="A", info_credibility="1"
    )
    submitted = Annotation.objects.submitted().filter(statement=statements[1])
    submitted.filter(pk=submitted.first().pk).update(status=Annotation.Status.DRAFT)
    later = timezone.now() + timedelta(days=1)
    Annotation.objects.filter(statement=statements[3]).update(updated_at=later)
    GoldLabel.objects.filter(statement=statements[-2]).update(updated_at=later)
    export = DatasetExport(
        project=demo,
        gold_only=selection == "gold_only",
        since=later if selection == "since" else None,
    )
    exported = coded.exported_range(export)
    assert exported.whole_range == (selection == "whole")
    totals, _bits = card_totals(export, exported=exported)
    gold = gold_tally(export, exported)
    methods = export.gold_labels().values_list("method").annotate(n=Count("id"))
    assert counts(export, exported, totals, gold) == {
        "documents": export.documents().count(),
        "statements": export.statements().count(),
        "statements_with_two_or_more_annotations": totals.paired,
        "annotations": export.annotations().count(),
        "drafts_not_exported": Annotation.objects.drafts()
        .filter(statement__in=export.statements())
        .count(),
        "annotators": len(totals.annotators),
        "gold_labels": export.gold_labels().count(),
        "gold_labels_by_method": dict(sorted(methods)),
    }
    suggested = export.statements().exclude(suggested_source=None)
    expected_sources = {
        *(pk for pk in export.annotations().values_list("source_id", flat=True) if pk),
        *(pk for pk in export.gold_labels().values_list("source_id", flat=True) if pk),
        *suggested.values_list("suggested_source_id", flat=True),
    }
    names = sorted(Source.objects.filter(pk__in=expected_sources).values_list("name", flat=True))
    assert [s["name"] for s in sources_used(export, exported, totals, gold)] == names
