"""The exported annotations as compact integer arrays, read once for the dataset card (card.py):
for each submitted annotation its statement, source (NO_VALUE for none), both grades (their
index in "ABCDEF" and "123456", -1 for none, one byte each) and, per label group, a bit mask of
its labels in the smallest integer that holds the group's labels. What needs no grouping by
statement is counted while the data streams in and not kept: annotations per annotator, the
distinct sources and label masks.

On PostgreSQL two binary ``COPY``s hand over the annotations and their (annotation, label)
pairs as fixed-width records that numpy reads block by block, without a Python object per value.
Inside an export's read-only snapshot the label pairs are read by a second connection in the
same snapshot (``pg_export_snapshot``) while the first reads the annotations: the server scans
both tables at once. Elsewhere the same arrays are built from the ORM's rows.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from django.db import connection

from ..labelling import GRADES
from ..models import Annotation, Label
from .binary_copy import binary_copy, snapshot_twin
from .selection import DatasetExport

NO_VALUE = 0  # "no source" / "no label": a value of its own, never a real primary key
READ_CHUNK = 10_000
MERGE_PIECE = 1 << 18  # label entries folded together at a time
DENSE_SPAN = 8  # ids per label pair the dense masks may span (else: sorted ids and masks)


@dataclass
class CodedAnnotations:
    statement: np.ndarray
    source: np.ndarray
    reliability: np.ndarray  # int8: index in "ABCDEF", -1: none
    credibility: np.ndarray  # int8: index in "123456", -1: none
    masks: list[np.ndarray]  # per label group (export.groups): bit i = the group's i-th label
    bits: list[list[int]]  # per label group: label id of each bit
    annotators: dict[int, int]  # annotator id -> submitted annotations
    sources: np.ndarray  # the distinct values of `source`, sorted
    distinct_masks: list[np.ndarray]  # per label group: the distinct masks, sorted

    def __len__(self) -> int:
        return len(self.statement)


def label_bits(export: DatasetExport) -> tuple[dict[int, tuple[int, int]], list[list[int]]]:
    """{label id: (group index, bit)} and, per group, the label id of each bit."""
    index_of_group = {group.pk: index for index, group in enumerate(export.groups)}
    bits: list[list[int]] = [[] for _group in export.groups]
    where: dict[int, tuple[int, int]] = {}
    # Only the labels of the project's schema: another project's groups are not in the export.
    labels = Label.objects.filter(group_id__in=index_of_group).order_by("pk")
    for pk, group_id in labels.values_list("pk", "group_id"):
        group = index_of_group[group_id]
        if len(bits[group]) >= 63:
            raise ValueError("A label group with more than 63 labels: the card cannot code it.")
        where[pk] = (group, len(bits[group]))
        bits[group].append(pk)
    return where, bits


def coded_annotations(export: DatasetExport) -> CodedAnnotations:
    where, bits = label_bits(export)
    annotations = AnnotationColumns()
    labels = LabelFolds(where, bits)
    if connection.vendor == "postgresql":
        _copied(export, annotations, labels)
    else:
        _iterated(export, annotations, labels)
    return annotations.coded(labels)


def mask_dtype(bits: int) -> type:
    """The smallest integer that holds a mask of `bits` labels (at most 63)."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if bits <= np.iinfo(dtype).bits:
            return dtype
    return np.int64


INT32 = np.iinfo(np.int32)


def compact(values: np.ndarray) -> np.ndarray:
    """int32 where every value fits (ids nearly always do): half the memory."""
    if not len(values) or (values.min() >= INT32.min and values.max() <= INT32.max):
        return values.astype(np.int32)
    return values.astype(np.int64)


def joined(blocks: list[np.ndarray], dtype=np.int32) -> np.ndarray:
    """The blocks as one array (int64 wherever a block needed it)."""
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=dtype)


def grade_codes(scale: str) -> np.ndarray:
    """Character code -> index in `scale`, -1 for any other (0, the empty grade, included)."""
    codes = np.full(256, -1, dtype=np.int8)
    codes[[ord(grade) for grade in scale]] = np.arange(len(scale))
    return codes


RELIABILITY_CODES = grade_codes(GRADES["source_reliability"])
CREDIBILITY_CODES = grade_codes(GRADES["info_credibility"])


class AnnotationColumns:
    """The annotations, added block by block: (id, statement, annotator, source, reliability,
    credibility), the grades as character codes. Annotators and sources are counted as the
    blocks come; the annotator column is not kept."""

    def __init__(self):
        self.ids: list[np.ndarray] = []
        self.statement: list[np.ndarray] = []
        self.source: list[np.ndarray] = []
        self.reliability: list[np.ndarray] = []
        self.credibility: list[np.ndarray] = []
        self.annotators: Counter = Counter()
        self.sources: set[int] = set()
        self.exported: np.ndarray | None = None  # the exported statements' ids, sorted

    def add(self, block: list[np.ndarray]) -> None:
        if self.exported is not None:  # the range held other statements too
            found = np.minimum(np.searchsorted(self.exported, block[1]), len(self.exported) - 1)
            exported = self.exported[found] == block[1]
            block = block if exported.all() else [column[exported] for column in block]
        ids, statement, annotator, source, reliability, credibility = block
        self.ids.append(compact(ids))
        self.statement.append(compact(statement))
        self.source.append(compact(source))
        self.reliability.append(RELIABILITY_CODES[np.clip(reliability, 0, 255)])
        self.credibility.append(CREDIBILITY_CODES[np.clip(credibility, 0, 255)])
        people, numbers = np.unique(annotator, return_counts=True)
        self.annotators.update(dict(zip(people.tolist(), numbers.tolist(), strict=True)))
        self.sources.update(np.unique(source).tolist())

    def coded(self, labels: LabelFolds) -> CodedAnnotations:
        """The arrays, each block's label masks looked up by annotation id (ids then dropped);
        each column's blocks freed once it is joined."""
        masks: list[list[np.ndarray]] = [[] for _group in labels.bits]
        for ids in self.ids:
            for column, block in zip(masks, labels.masks_of(ids), strict=True):
                column.append(block)
        self.ids = []
        distinct_masks = labels.distinct(masks)
        return CodedAnnotations(
            statement=taken(self.statement),
            source=taken(self.source),
            reliability=taken(self.reliability, np.int8),
            credibility=taken(self.credibility, np.int8),
            masks=[taken(column, d) for column, d in zip(masks, labels.dtypes, strict=True)],
            bits=labels.bits,
            annotators=dict(self.annotators),
            sources=np.array(sorted(self.sources), dtype=np.int64),
            distinct_masks=distinct_masks,
        )


def taken(blocks: list[np.ndarray], dtype=np.int32) -> np.ndarray:
    """The blocks joined, the list emptied: only one column is ever held twice."""
    column = joined(blocks, dtype)
    blocks.clear()
    return column


class LabelFolds:
    """(annotation id, label id) pairs, added block by block, folded into one bit mask per
    annotation and label group. Pairs of labels outside the project's schema are dropped.

    The masks are held in arrays indexed by annotation id (DenseMasks: one byte per id and
    group of up to 8 labels, no sort), unless the ids are too sparse for that; then as sorted
    annotation ids with their masks, folded block by block and merged at the end."""

    def __init__(self, where: dict[int, tuple[int, int]], bits: list[list[int]]):
        self.bits = bits
        self.dtypes = [mask_dtype(len(group)) for group in bits]
        self.known = np.array(sorted(where), dtype=np.int64)
        self.group_of = np.array([where[pk][0] for pk in self.known.tolist()], dtype=np.int64)
        self.bit_of = np.array([1 << where[pk][1] for pk in self.known.tolist()], dtype=np.int64)
        self.parts: list[tuple[np.ndarray, list[np.ndarray]]] = []
        self.folded: tuple[np.ndarray, list[np.ndarray]] | None = None
        self.dense: DenseMasks | None = DenseMasks(self.dtypes)

    def add(self, pairs: list[np.ndarray]) -> None:
        annotation_ids, label_ids = pairs
        if not len(self.known) or not len(annotation_ids):
            return
        label = np.minimum(np.searchsorted(self.known, label_ids), len(self.known) - 1)
        mine = self.known[label] == label_ids  # a label of the project's schema
        annotation_ids, label = annotation_ids[mine], label[mine]
        if self.dense is not None and not self.dense.add(
            annotation_ids, self.group_of[label], self.bit_of[label]
        ):
            self.parts.append(self.dense.as_sorted())
            self.dense = None
        if self.dense is None:
            self.parts.append(self.fold(annotation_ids, label))

    def fold(self, annotation_ids: np.ndarray, label: np.ndarray):
        """(sorted distinct annotation ids, per group their masks) of pairs given as
        (annotation id, index into `known`)."""
        order = np.argsort(annotation_ids, kind="stable")
        ids = annotation_ids[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else ids
        group, bit = self.group_of[label[order]], self.bit_of[label[order]]
        masks = [
            np.bitwise_or.reduceat(np.where(group == index, bit, 0), starts).astype(dtype)
            if len(ids)
            else np.zeros(0, dtype)
            for index, dtype in enumerate(self.dtypes)
        ]
        return compact(ids[starts]), masks

    def merged(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The parts folded into one (an annotation's labels may come in several blocks)."""
        if self.folded is None:
            parts, self.parts = self.parts, []
            self.folded = parts[0] if len(parts) == 1 else self.refolded(parts)
        return self.folded

    def refolded(self, parts: list) -> tuple[np.ndarray, list[np.ndarray]]:
        """The parts (each sorted by annotation id) folded range of ids by range: temporary
        arrays of about MERGE_PIECE entries, not of every pair."""
        entries = sum(len(ids) for ids, _masks in parts)
        low = min((int(ids[0]) for ids, _masks in parts if len(ids)), default=0)
        high = max((int(ids[-1]) for ids, _masks in parts if len(ids)), default=-1)
        edges = np.linspace(low, high + 1, max(1, -(-entries // MERGE_PIECE)) + 1)
        ids_out, masks_out = [], [[] for _dtype in self.dtypes]
        for start, stop in itertools.pairwise(np.unique(edges.astype(np.int64)).tolist()):
            pieces = [(ids.searchsorted(start), ids.searchsorted(stop)) for ids, _m in parts]
            ids = joined([p[0][a:b] for p, (a, b) in zip(parts, pieces, strict=True)])
            order = np.argsort(ids, kind="stable")
            ids = ids[order]
            first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else ids
            ids_out.append(ids[first])
            for index, column in enumerate(masks_out):
                masks = joined([p[1][index][a:b] for p, (a, b) in zip(parts, pieces, strict=True)])
                column.append(np.bitwise_or.reduceat(masks[order], first) if len(ids) else masks)
        return joined(ids_out), [joined(c, d) for c, d in zip(masks_out, self.dtypes, strict=True)]

    def masks_of(self, annotation_ids: np.ndarray) -> list[np.ndarray]:
        """Per group, the masks of these annotations (0: no label of the group)."""
        if self.dense is not None:
            return self.dense.masks_of(annotation_ids)
        ids, masks = self.merged()
        if not len(ids):
            return [np.zeros(len(annotation_ids), dtype) for dtype in self.dtypes]
        found = np.minimum(np.searchsorted(ids, annotation_ids), len(ids) - 1)
        labelled = ids[found] == annotation_ids
        return [np.where(labelled, mask[found], 0).astype(mask.dtype) for mask in masks]

    def distinct(self, masks: list[list[np.ndarray]]) -> list[np.ndarray]:
        """Per group, the distinct masks of the annotations (blocks of them), sorted."""
        return [
            np.unique(joined([np.unique(block) for block in column], self.dtypes[index]))
            for index, column in enumerate(masks)
        ]


class DenseMasks:
    """Per label group, the masks of annotation ids base .. base + len - 1, grown as pairs
    outside come (by half as much again, so that few copies are made). `add` declines pairs
    that would make the arrays much longer than the pairs are many (ids far apart)."""

    def __init__(self, dtypes: list):
        self.dtypes = dtypes
        self.base = 0
        self.masks = [np.zeros(0, dtype) for dtype in dtypes]
        self.pairs = 0

    def add(self, ids: np.ndarray, group: np.ndarray, bit: np.ndarray) -> bool:
        if not len(ids):
            return True
        low, high = int(ids.min()), int(ids.max())
        self.pairs += len(ids)
        if not self.cover(low, high):
            return False
        for index, mask in enumerate(self.masks):
            mine = group == index
            np.bitwise_or.at(mask, ids[mine] - self.base, bit[mine].astype(mask.dtype))
        return True

    def cover(self, low: int, high: int) -> bool:
        """Grow the arrays to hold ids low .. high; False if that makes them too long."""
        length = len(self.masks[0]) if self.masks else 0
        if length and self.base <= low and high < self.base + length:
            return True
        start = min(low, self.base) if length else low
        end = max(high + 1, self.base + length) if length else high + 1
        if end - start > DENSE_SPAN * self.pairs + (1 << 22):
            return False
        grown = (end - start) // 2
        start, end = max(0, start - grown if start < self.base else start), end + grown
        for index, mask in enumerate(self.masks):
            wider = np.zeros(end - start, mask.dtype)
            wider[self.base - start : self.base - start + len(mask)] = mask
            self.masks[index] = wider
        self.base = start
        return True

    def masks_of(self, annotation_ids: np.ndarray) -> list[np.ndarray]:
        length = len(self.masks[0]) if self.masks else 0
        offset = annotation_ids - self.base
        inside = (offset >= 0) & (offset < length)
        offset = np.where(inside, offset, 0)
        return [np.where(inside, mask[offset] if length else 0, 0).astype(mask.dtype)
                for mask in self.masks]  # fmt: skip

    def as_sorted(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The labelled ids, sorted, and their masks (to go on without the arrays)."""
        labelled = np.zeros(len(self.masks[0]) if self.masks else 0, dtype=bool)
        for mask in self.masks:
            labelled |= mask != 0
        where = np.flatnonzero(labelled)
        return compact(where + self.base), [mask[where] for mask in self.masks]


def _grade_sql(column: str) -> str:
    # The grade's character code (0 for none): a lookup table in numpy turns it into an index.
    return f"COALESCE(ascii(a.{column}), 0)::int8"


def statements_query(export: DatasetExport) -> tuple[str, list]:
    """The exported statements' ids (int8)."""
    sql, params = export.statements().values("pk").order_by().query.sql_with_params()
    return f"SELECT s.pk::int8 FROM ({sql}) s", list(params)


def annotations_query(statements: np.ndarray) -> tuple[str, list]:
    """The submitted annotations of statements within the range of the exported ones: id,
    statement, annotator, source, both grades; one int8 each. The range, not the statements
    themselves: hashing a project's 250,000 statements and probing it with every annotation
    took the server longer than reading the ids (AnnotationColumns keeps the exported ones)."""
    columns = [
        "a.id::int8",
        "a.statement_id::int8",
        "a.annotator_id::int8",
        f"COALESCE(a.source_id, {NO_VALUE})::int8",
        _grade_sql("source_reliability"),
        _grade_sql("info_credibility"),
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {Annotation._meta.db_table} a "
        f"WHERE a.status = %s AND a.statement_id BETWEEN %s AND %s"
    )
    low, high = (int(statements[0]), int(statements[-1])) if len(statements) else (0, -1)
    return sql, [Annotation.Status.SUBMITTED, low, high]


def label_pairs_query(labels: list[int], ids: range | None) -> tuple[str, list]:
    """The (annotation, label) pairs of the export's labels, within a range of annotation ids
    where it is known, read without a join: joining the annotations to keep exactly theirs took
    longer than reading the pairs; the pairs of other annotations are never looked up."""
    through = Annotation.labels.through._meta.db_table
    sql = (
        f"SELECT annotation_id::int8, label_id::int8 FROM {through} "
        f"WHERE label_id IN ({', '.join(str(int(pk)) for pk in labels) or 'NULL'})"
    )
    if ids is None:
        return sql, []
    return f"{sql} AND annotation_id BETWEEN %s AND %s", [ids.start, ids.stop - 1]


def _copied(export: DatasetExport, annotations: AnnotationColumns, labels: LabelFolds) -> None:
    """Plain binary COPYs, no join between annotations and labels and no grouping (one grouped
    join of the two took 5-6x as long as reading both): the exported statements' ids, then
    their annotations; the label pairs at the same time on a second connection where the
    snapshot can be shared, else after the annotations (and only within their ids' range)."""
    known = labels.known.tolist()
    with snapshot_twin() as twin, connection.cursor() as cursor:
        if twin is None:
            _statements_and_annotations(cursor.cursor, export, annotations)
            pairs = label_pairs_query(known, id_range(annotations.ids))
            binary_copy(cursor.cursor, pairs, labels.add, 2)
            return
        with ThreadPoolExecutor(max_workers=1) as pool, twin.cursor() as twin_cursor:
            pairs = label_pairs_query(known, None)
            copying = pool.submit(binary_copy, twin_cursor, pairs, labels.add, 2)
            _statements_and_annotations(cursor.cursor, export, annotations)
            copying.result()


def _statements_and_annotations(raw, export: DatasetExport, annotations: AnnotationColumns):
    blocks: list[np.ndarray] = []
    binary_copy(raw, statements_query(export), lambda block: blocks.append(compact(block[0])), 1)
    annotations.exported = np.sort(joined(blocks))
    binary_copy(raw, annotations_query(annotations.exported), annotations.add, 6)


def id_range(blocks: list[np.ndarray]) -> range:
    if not blocks:
        return range(0)
    return range(min(int(b.min()) for b in blocks), max(int(b.max()) for b in blocks) + 1)


def _iterated(export: DatasetExport, annotations: AnnotationColumns, labels: LabelFolds) -> None:
    """The same blocks from the ORM: the annotations, then their labels."""
    rows = export.annotations().values_list(
        "pk", "statement_id", "annotator_id", "source_id", "source_reliability",
        "info_credibility",
    )  # fmt: skip
    columns = [array("q") for _column in range(6)]
    for pk, statement, annotator, source, reliability, credibility in rows.iterator(
        chunk_size=READ_CHUNK
    ):
        values = (pk, statement, annotator, source or NO_VALUE, ord(reliability[:1] or "\0"),
                  ord(credibility[:1] or "\0"))  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    annotations.add([np.frombuffer(column, dtype=np.int64) for column in columns])
    through = Annotation.labels.through.objects.filter(annotation__in=export.annotations())
    pairs = [array("q"), array("q")]
    for annotation_id, label_id in through.values_list("annotation_id", "label_id").iterator(
        chunk_size=READ_CHUNK
    ):
        pairs[0].append(annotation_id)
        pairs[1].append(label_id)
    labels.add([np.frombuffer(column, dtype=np.int64) for column in pairs])
