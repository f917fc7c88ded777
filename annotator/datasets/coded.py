"""The exported annotations read for the dataset card (card.py) in statement order, block by
block, and folded into running totals (card_totals.py): the card's memory is a few blocks,
whatever the size of the project.

Each block is a run of submitted annotations in (statement, annotator) order, the order of the
unique (statement, annotator) index: for each its statement, annotator, source (NO_VALUE for
none), both grades and, per label group, a bit mask of its labels.

On PostgreSQL, inside an export's read-only snapshot, one binary ``COPY`` streams the
annotations in that order (fixed-width records that numpy reads, no Python object per value)
while a second connection in the same snapshot (``pg_export_snapshot``) reads each block's
(annotation, label) pairs, by the block's range of annotation ids where they lie close
together, else by the ids themselves: no join on the server and no sort, and the next block
streams in meanwhile. Elsewhere (SQLite, or no second connection) the ORM hands over the same
blocks.
"""

from __future__ import annotations

import ctypes
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext, suppress
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Min, Q

from ..labelling import GRADES, ORDINAL_SCALES
from ..models import Annotation, Label, Statement
from .binary_copy import binary_copy, binary_copy_whole, snapshot_twin
from .card_totals import AnnotationBlock, CardTotals
from .selection import DatasetExport

NO_VALUE = 0  # "no source" / "no label": a value of its own, never a real primary key
READ_CHUNK = 10_000
BLOCK_ROWS = 1 << 15  # annotations per block folded at a time
BLOCKS_AHEAD = 2  # blocks read but not yet folded, at most
DENSE_SPAN = 2  # ids per annotation a block's id range may span to be read as a range
IDS_PER_QUERY = 500  # annotation ids per ORM lookup of labels (SQLite's limit on parameters)
# The annotator and both grades' character codes travel in one int8 (annotator << 16 |
# reliability << 8 | credibility): two fields fewer per row of the COPY, about a sixth less of
# PostgreSQL's CPU for it at a million annotations.
GRADE_BITS = 8


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


class LabelMasks:
    """(annotation id, label id) pairs -> per label group, the bit mask of each annotation's
    labels; pairs of labels outside the project's schema and of other annotations are dropped."""

    def __init__(self, where: dict[int, tuple[int, int]], groups: int):
        self.groups = groups
        self.known = np.array(sorted(where), dtype=np.int64)
        self.group_of = np.array([where[pk][0] for pk in self.known.tolist()], dtype=np.int64)
        self.bit_of = np.array([1 << where[pk][1] for pk in self.known.tolist()], dtype=np.int64)

    def masks_of(self, ids: np.ndarray, pairs: list[np.ndarray]) -> list[np.ndarray]:
        """Per group, the masks of the annotations `ids` (any order, each id once)."""
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
        masks = [np.zeros(len(ids), dtype=np.int64) for _group in range(self.groups)]
        annotation_ids, label_ids = pairs
        if not len(ids) or not len(self.known) or not len(annotation_ids):
            return masks
        row = np.minimum(np.searchsorted(ordered, annotation_ids), len(ordered) - 1)
        label = np.minimum(np.searchsorted(self.known, label_ids), len(self.known) - 1)
        mine = (ordered[row] == annotation_ids) & (self.known[label] == label_ids)
        row, group, bit = order[row[mine]], self.group_of[label[mine]], self.bit_of[label[mine]]
        for index, mask in enumerate(masks):
            chosen = group == index
            np.bitwise_or.at(mask, row[chosen], bit[chosen])
        return masks


def grade_codes(scale: str) -> np.ndarray:
    """Character code -> index in `scale`, -1 for any other (0, the empty grade, included)."""
    codes = np.full(256, -1, dtype=np.int8)
    codes[[ord(grade) for grade in scale]] = np.arange(len(scale))
    return codes


RELIABILITY_CODES = grade_codes(GRADES["source_reliability"])
CREDIBILITY_CODES = grade_codes(GRADES["info_credibility"])


def annotation_block(columns: list[np.ndarray], masks: list[np.ndarray]) -> AnnotationBlock:
    """A block from its int64 columns (id, statement, source, and the annotator with both
    grades packed: GRADE_BITS) and its label masks."""
    _ids, statement, source, packed = columns
    return AnnotationBlock(
        statement=statement,
        annotator=packed >> 2 * GRADE_BITS,
        source=source,
        reliability=RELIABILITY_CODES[packed >> GRADE_BITS & 255],
        credibility=CREDIBILITY_CODES[packed & 255],
        masks=masks,
    )


def packed_annotator_and_grades(annotator: int, reliability: str, credibility: str) -> int:
    """What the COPY's last column holds (GRADE_BITS), for rows read by the ORM."""
    codes = (min(ord(grade[:1] or "\0"), 255) for grade in (reliability, credibility))
    return annotator << 2 * GRADE_BITS | next(codes) << GRADE_BITS | next(codes)


def card_totals(
    export: DatasetExport, block_rows: int = BLOCK_ROWS, exported: ExportedRange | None = None
) -> tuple[CardTotals, list[list[int]]]:
    """The card's totals over the export's submitted annotations, and per label group the
    label id of each bit of its masks (`exported`: the export's exported_range, if known)."""
    where, bits = label_bits(export)
    totals = CardTotals(
        len(bits),
        len(ORDINAL_SCALES["source_reliability"]),  # F: cannot be judged -> missing
        len(ORDINAL_SCALES["info_credibility"]),  # 6: cannot be judged -> missing
    )
    labels = LabelMasks(where, len(bits))
    second = snapshot_twin() if connection.vendor == "postgresql" else nullcontext()
    with second as twin:
        if twin is not None:
            query = annotations_query(export, exported or exported_range(export))
            _copied(query, labels, totals.add, block_rows, twin)
        else:
            _iterated(export, labels, totals.add, block_rows)
    totals.finish()
    released_to_the_system()
    return totals, bits


def released_to_the_system() -> None:
    """Hand the memory the worker threads freed back to the system (glibc's malloc_trim, where
    there is one). Each thread allocates from a heap of its own, which keeps what it freed: the
    export's data file, written next, would otherwise add its memory on top of the card's
    blocks (+8 to +12 MB at 300,000 annotations)."""
    with suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# --------------------------------------------------------------------------------------------
# PostgreSQL: one COPY of the annotations, each block's labels on the second connection
# --------------------------------------------------------------------------------------------


def _grade_sql(column: str) -> str:
    # The grade's character code (0 for none, 255 for any beyond: no grade at all), which a
    # lookup table in numpy turns into an index.
    return f"LEAST(COALESCE(ascii(a.{column}), 0), 255)"


@dataclass(frozen=True)
class ExportedRange:
    """The exported statements' lowest and highest id, their number and their documents', and
    whether they are every statement between the two (one project's import, no filter: the
    common case), counted in one pass over the project's statements."""

    low: int
    high: int
    statements: int
    documents: int
    whole_range: bool

    def rows_of(self, export: DatasetExport, statement: str = "statement") -> Q:
        """The rows of the exported statements (`statement`: the field that names one, "pk"
        for statements themselves): by the id range alone where it holds every exported
        statement and nothing else, an index range instead of a join with the project's
        statements per query (gold labels: 0.44 s -> a scan of their own table at 250,000
        statements)."""
        if self.whole_range:
            field = "pk" if statement == "pk" else f"{statement}__pk"  # the column, no join
            return Q(**{f"{field}__range": (self.low, self.high)})
        return Q(**{f"{statement}__in": export.statements()})


def exported_range(export: DatasetExport) -> ExportedRange:
    bounds = export.statements().aggregate(
        low=Min("pk"), high=Max("pk"), n=Count("pk"), documents=Count("document_id", distinct=True)
    )
    if not bounds["n"]:
        return ExportedRange(0, -1, 0, 0, True)
    between = Statement.objects.filter(pk__range=(bounds["low"], bounds["high"])).count()
    return ExportedRange(
        bounds["low"], bounds["high"], bounds["n"], bounds["documents"], between == bounds["n"]
    )


def annotations_query(export: DatasetExport, exported: ExportedRange) -> tuple[str, list]:
    """The export's submitted annotations in (statement, annotator) order: id, statement,
    annotator, source, both grades; one int8 each, walking the unique (statement, annotator)
    index: no sort. Where the exported statements are every statement of their id range the
    range alone selects them; else a merge semi join with the exported statements' ids (twice
    as long at a million annotations)."""
    low, high = exported.low, exported.high
    columns = [
        "a.id::int8",
        "a.statement_id::int8",
        f"COALESCE(a.source_id, {NO_VALUE})::int8",
        # Parenthesised: PostgreSQL's << and | bind alike, from the left.
        f"(a.annotator_id::int8 << {2 * GRADE_BITS}) | ({_grade_sql('source_reliability')} "
        f"<< {GRADE_BITS}) | {_grade_sql('info_credibility')}",
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {Annotation._meta.db_table} a "
        f"WHERE a.status = %s AND a.statement_id BETWEEN %s AND %s"
    )
    params = [Annotation.Status.SUBMITTED, low, high]
    if not exported.whole_range:
        statements, more = export.statements().values("pk").order_by().query.sql_with_params()
        sql += f" AND a.statement_id IN (SELECT s.pk FROM ({statements}) s)"
        params += more
    return f"{sql} ORDER BY a.statement_id, a.annotator_id", params


def label_pairs_query(ids: np.ndarray) -> tuple[str, list]:
    """The (annotation, label) pairs of a block's annotation ids: by their range where the ids
    lie close together (an index range scan), else by the ids themselves. Every label: those
    of other schemas and the few pairs of other annotations inside the range are dropped by
    LabelMasks (testing each pair's label on the server took longer than the whole read)."""
    through = Annotation.labels.through._meta.db_table
    sql = f"SELECT annotation_id::int8, label_id::int8 FROM {through}"
    low, high = int(ids.min()), int(ids.max())
    if high - low < DENSE_SPAN * len(ids):
        return f"{sql} WHERE annotation_id BETWEEN %s AND %s", [low, high]
    listed = "{" + ",".join(map(str, ids.tolist())) + "}"
    return f"{sql} WHERE annotation_id = ANY(%s::int8[])", [listed]


class _Gathered:
    """The COPY's parsed pieces gathered into blocks of `rows` annotations; each full block is
    handed to `on_block` (which may still be busy with the one before)."""

    def __init__(self, rows: int, on_block):
        self.rows, self.on_block = rows, on_block
        self.pieces: list[list[np.ndarray]] = []
        self.count = 0

    def add(self, piece: list[np.ndarray]) -> None:
        while len(piece[0]):
            room = self.rows - self.count
            self.pieces.append([column[:room] for column in piece])
            self.count += len(self.pieces[-1][0])
            piece = [column[room:] for column in piece]
            if self.count == self.rows:
                self.flush()

    def flush(self) -> None:
        if self.pieces:
            columns = [np.concatenate(column) for column in zip(*self.pieces, strict=True)]
            self.pieces, self.count = [], 0
            self.on_block(columns)


def _copied(query: tuple[str, list], labels: LabelMasks, on_block, rows: int, twin) -> None:
    """The annotations streamed on Django's connection; each full block's labels read by one
    worker thread on the twin connection and the block folded by another, in order, while
    the next blocks stream in (at most BLOCKS_AHEAD blocks wait: memory stays a few blocks)."""
    waiting: deque[Future] = deque()

    def label_pairs(ids: np.ndarray) -> list[np.ndarray]:
        return binary_copy_whole(twin_cursor, label_pairs_query(ids), 2)

    def fold(columns: list[np.ndarray], pairs: Future) -> None:
        on_block(annotation_block(columns, labels.masks_of(columns[0], pairs.result())))

    def hand_over(columns: list[np.ndarray]) -> None:
        waiting.append(folder.submit(fold, columns, reader.submit(label_pairs, columns[0])))
        while len(waiting) > BLOCKS_AHEAD:
            waiting.popleft().result()

    gathered = _Gathered(rows, hand_over)
    with (
        twin.cursor() as twin_cursor,
        connection.cursor() as cursor,
        ThreadPoolExecutor(max_workers=1) as reader,  # both done before the cursors close
        ThreadPoolExecutor(max_workers=1) as folder,
    ):
        binary_copy(cursor.cursor, query, gathered.add, 4)
        gathered.flush()
        while waiting:
            waiting.popleft().result()


# --------------------------------------------------------------------------------------------
# Elsewhere: the same blocks from the ORM
# --------------------------------------------------------------------------------------------


def _iterated(export: DatasetExport, labels: LabelMasks, on_block, rows: int) -> None:
    """The annotations in (statement, annotator) order from the ORM, `rows` at a time, each
    block's labels looked up by its annotation ids."""
    annotations = (
        export.annotations()
        .order_by("statement_id", "annotator_id")
        .values_list("pk", "statement_id", "annotator_id", "source_id", "source_reliability",
                     "info_credibility")
    )  # fmt: skip
    block: list[tuple] = []
    for row in annotations.iterator(chunk_size=READ_CHUNK):
        block.append(row)
        if len(block) == rows:
            on_block(_orm_block(block, labels))
            block = []
    if block:
        on_block(_orm_block(block, labels))


def _orm_block(rows: list[tuple], labels: LabelMasks) -> AnnotationBlock:
    columns = [
        np.array(column, dtype=np.int64)
        for column in zip(
            *(
                (pk, statement, source or NO_VALUE,
                 packed_annotator_and_grades(annotator, reliability, credibility))
                for pk, statement, annotator, source, reliability, credibility in rows
            ),
            strict=True,
        )
    ]  # fmt: skip
    ids = columns[0].tolist()
    through = Annotation.labels.through.objects.filter(label_id__in=labels.known.tolist())
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk = through.filter(annotation_id__in=ids[start : start + IDS_PER_QUERY])
        pairs.extend(chunk.values_list("annotation_id", "label_id"))
    pair_columns = [np.array([pair[i] for pair in pairs], dtype=np.int64) for i in (0, 1)]
    return annotation_block(columns, labels.masks_of(columns[0], pair_columns))
