"""The exported annotations as integer arrays, read once for the dataset card (card.py): for
each submitted annotation its statement, annotator, source (NO_VALUE for none), both grades
(their index in "ABCDEF" and "123456", -1 for none) and, per label group, a bit mask of its
labels. Every figure of the card (counts, per annotator, grade distributions, Krippendorff's
alpha per field) comes from these arrays: one pass, a few bytes per annotation.

On PostgreSQL two binary ``COPY``s hand over the annotations and their (annotation, label)
pairs as fixed-width records that numpy reads without a Python object per value, and numpy
folds the labels into the masks; elsewhere the same arrays are built from the ORM's rows.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
from django.db import connection

from ..labelling import GRADES
from ..models import Annotation, Label
from .selection import DatasetExport

NO_VALUE = 0  # "no source" / "no label": a value of its own, never a real primary key
READ_CHUNK = 10_000
COLUMNS = ("statement", "annotator", "source", "reliability", "credibility")
COPY_HEADER = 19  # PGCOPY signature, flags and header extension length


@dataclass
class CodedAnnotations:
    statement: np.ndarray
    annotator: np.ndarray
    source: np.ndarray
    reliability: np.ndarray  # index in "ABCDEF", -1: none
    credibility: np.ndarray  # index in "123456", -1: none
    masks: list[np.ndarray]  # per label group (export.groups): bit i = the group's i-th label
    bits: list[list[int]]  # per label group: label id of each bit

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
    if connection.vendor == "postgresql":
        columns = _copied(export, where)
    else:
        columns = _iterated(export, where)
    return CodedAnnotations(
        **{name: columns[index] for index, name in enumerate(COLUMNS)},
        masks=columns[len(COLUMNS) :],
        bits=bits,
    )


def _grade_sql(column: str, scale: str) -> str:
    return f"CASE WHEN length({column}) = 1 THEN strpos('{scale}', {column}) - 1 ELSE -1 END"


def annotations_query(export: DatasetExport) -> tuple[str, list]:
    """The exported annotations: id and COLUMNS, one int8 each."""
    statements_sql, statement_params = (
        export.statements().values("pk").order_by().query.sql_with_params()
    )
    columns = [
        "a.id::int8",
        "a.statement_id::int8",
        "a.annotator_id::int8",
        f"COALESCE(a.source_id, {NO_VALUE})::int8",
        f"({_grade_sql('a.source_reliability', GRADES['source_reliability'])})::int8",
        f"({_grade_sql('a.info_credibility', GRADES['info_credibility'])})::int8",
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {Annotation._meta.db_table} a "
        f"WHERE a.status = %s AND a.statement_id IN ({statements_sql})"
    )
    return sql, [Annotation.Status.SUBMITTED, *statement_params]


def label_pairs_query(where: dict[int, tuple[int, int]], ids: np.ndarray) -> tuple[str, list]:
    """The (annotation, label) pairs of the export's labels within the range of its
    annotation ids, read without a join: joining the annotations to keep exactly theirs took
    longer than reading the pairs; numpy drops the few others (label_masks)."""
    through = Annotation.labels.through._meta.db_table
    labels = ", ".join(str(int(pk)) for pk in where) or "NULL"
    sql = (
        f"SELECT annotation_id::int8, label_id::int8 FROM {through} "
        f"WHERE label_id IN ({labels}) AND annotation_id BETWEEN %s AND %s"
    )
    return sql, [int(ids.min()), int(ids.max())] if len(ids) else [0, -1]


def _copied(export: DatasetExport, where: dict[int, tuple[int, int]]) -> list[np.ndarray]:
    """Two plain binary COPYs, no join between them and no grouping (one grouped join of
    annotations and labels took 6-8x as long as reading both). The label pairs are folded
    into the masks block by block, never held whole."""
    annotations = _FixedRecords(len(COLUMNS) + 1)
    _binary_copy(*annotations_query(export), annotations)
    columns = annotations.columns()
    masks = LabelMasks(columns[0], where, len(export.groups))
    _binary_copy(*label_pairs_query(where, columns[0]), _FixedRecords(2, on_block=masks.add))
    return columns[1:] + masks.masks


def _binary_copy(sql: str, params: list, sink: _FixedRecords) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        query = raw.mogrify(sql, params).decode()
        raw.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", sink)
    sink.parse()


class LabelMasks:
    """Per label group, each annotation's labels as the bits of one int64, in the order of
    `ids`, built from (annotation id, label id) pairs added block by block."""

    def __init__(self, ids: np.ndarray, where: dict[int, tuple[int, int]], groups: int):
        self.ids = ids
        self.masks = [np.zeros(len(ids), dtype=np.int64) for _group in range(groups)]
        self.by_id = np.argsort(ids, kind="stable")
        self.known = np.array(sorted(where), dtype=np.int64)
        self.group_of = np.array([where[pk][0] for pk in self.known.tolist()], dtype=np.int64)
        self.bit_of = np.array([1 << where[pk][1] for pk in self.known.tolist()], dtype=np.int64)

    def add(self, pairs: list[np.ndarray]) -> None:
        annotation_ids, label_ids = pairs
        if not len(annotation_ids) or not len(self.ids) or not len(self.known):
            return
        found = np.searchsorted(self.ids, annotation_ids, sorter=self.by_id)
        row = self.by_id[np.minimum(found, len(self.ids) - 1)]
        exported = self.ids[row] == annotation_ids  # not a draft, not another project's
        row, label = row[exported], np.searchsorted(self.known, label_ids[exported])
        for index, mask in enumerate(self.masks):
            mine = self.group_of[label] == index
            np.bitwise_or.at(mask, row[mine], self.bit_of[label[mine]])


INT32 = np.iinfo(np.int32)


def compact(values: np.ndarray) -> np.ndarray:
    """int32 where every value fits (ids and grades nearly always do): half the memory."""
    if not len(values) or (values.min() >= INT32.min and values.max() <= INT32.max):
        return values.astype(np.int32)
    return values.astype(np.int64)


class _FixedRecords:
    """COPY's binary rows, all fields int8 and never NULL: fixed-width records that numpy
    reads in blocks (2-byte field count, then per field a 4-byte length and 8 bytes). Each
    block goes to `on_block` (a list of arrays, one per field) or is kept for `columns`."""

    def __init__(self, fields: int, on_block=None):
        self.fields = fields
        self.on_block = on_block
        self.dtype = np.dtype(
            [("count", ">i2")]
            + [item for i in range(fields) for item in ((f"l{i}", ">i4"), (f"v{i}", ">i8"))]
        )
        self.pending = bytearray()
        self.header_done = False
        self.blocks: list[list[np.ndarray]] = [[] for _field in range(fields)]

    def write(self, data) -> None:  # once per row: keep it short
        pending = self.pending
        pending += data
        if len(pending) >= 1 << 22:
            self.parse()

    def parse(self) -> None:
        if not self.header_done:
            if len(self.pending) < COPY_HEADER:
                return
            del self.pending[:COPY_HEADER]
            self.header_done = True
        whole = len(self.pending) // self.dtype.itemsize
        if not whole:
            return
        records = np.frombuffer(bytes(self.pending[: whole * self.dtype.itemsize]), self.dtype)
        del self.pending[: whole * self.dtype.itemsize]
        block = [records[f"v{field}"].astype(np.int64) for field in range(self.fields)]
        if self.on_block is not None:
            self.on_block(block)
            return
        for field, values in enumerate(block):
            self.blocks[field].append(compact(values))

    def columns(self) -> list[np.ndarray]:
        """The kept blocks joined, one array per field (int64 wherever a block needed it)."""
        self.parse()  # what is left is the 2-byte trailer
        self.pending = bytearray()
        columns = []
        for field in range(self.fields):  # each field's blocks freed once it is joined
            blocks, self.blocks[field] = self.blocks[field], []
            columns.append(np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64))
            del blocks
        return columns


def _iterated(export: DatasetExport, where: dict[int, tuple[int, int]]) -> list[np.ndarray]:
    """The same arrays from the ORM: annotations in id order merged with their labels."""
    from itertools import groupby
    from operator import itemgetter

    annotations = export.annotations().order_by("pk")
    through = Annotation.labels.through.objects.filter(annotation__in=annotations)
    chosen = groupby(
        through.order_by("annotation_id")
        .values_list("annotation_id", "label_id")
        .iterator(chunk_size=READ_CHUNK),
        key=itemgetter(0),
    )
    groups = len(export.groups)
    columns = [array("q") for _column in range(len(COLUMNS) + groups)]
    reliability_scale, credibility_scale = GRADES["source_reliability"], GRADES["info_credibility"]
    next_id, next_labels = next(chosen, (None, ()))
    rows = annotations.values_list(
        "pk", "statement_id", "annotator_id", "source_id", "source_reliability",
        "info_credibility",
    )  # fmt: skip
    for pk, statement, annotator, source, reliability, credibility in rows.iterator(
        chunk_size=READ_CHUNK
    ):
        while next_id is not None and next_id < pk:  # labels of an annotation saved meanwhile
            next_id, next_labels = next(chosen, (None, ()))
        masks = [0] * groups
        if pk == next_id:
            for _pk, label in next_labels:
                group, bit = where[label]
                masks[group] |= 1 << bit
            next_id, next_labels = next(chosen, (None, ()))
        values = [
            statement,
            annotator,
            source or NO_VALUE,
            reliability_scale.find(reliability) if len(reliability or "") == 1 else -1,
            credibility_scale.find(credibility) if len(credibility or "") == 1 else -1,
            *masks,
        ]
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return [np.frombuffer(column, dtype=np.int64) for column in columns]
