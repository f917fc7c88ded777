"""The dataset card's running totals: blocks of annotations in statement order folded into
counts and coincidence matrices, so that the card's memory does not grow with the data.

A block holds whole statements but for its last one, which the next block may continue: that
statement's rows are carried over and folded with the next block (or at the end). Nothing is
kept per statement or per annotation; only counts per annotator, per grade and per value, and
per field one coincidence matrix over the values seen so far (coincidences add up over
disjoint sets of statements: agreement.statistics.alpha_from_coincidences).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

import numpy as np


@dataclass
class AnnotationBlock:
    """Annotations in (statement, annotator) order, one array per column: statement and
    annotator ids, source (NO_VALUE for none), both grades (index in "ABCDEF" and "123456",
    -1 for none) and, per label group, the bit mask of its labels (int64)."""

    statement: np.ndarray
    annotator: np.ndarray
    source: np.ndarray
    reliability: np.ndarray
    credibility: np.ndarray
    masks: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.statement)

    def rows(self, part: slice) -> AnnotationBlock:
        return AnnotationBlock(
            *(getattr(self, f.name)[part] for f in fields(self) if f.name != "masks"),
            masks=[mask[part] for mask in self.masks],
        )

    def then(self, other: AnnotationBlock) -> AnnotationBlock:
        """This block's rows followed by the other's."""
        return AnnotationBlock(
            *(
                np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                for f in fields(self)
                if f.name != "masks"
            ),
            masks=[np.concatenate(pair) for pair in zip(self.masks, other.masks, strict=True)],
        )


TABLE_VALUES = 1 << 20  # values below it are coded by a lookup table


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: np.unique without its test for a masked array, which
    imports numpy.ma (15 ms of the export command's CPU) the first time it runs."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def unit_coincidences(unit: np.ndarray, codes: np.ndarray, categories: int) -> np.ndarray:
    """The coincidence matrix of coded values (category index, -1 missing) of units whose
    rows come together (`unit` ascending), as agreement.statistics.coded_coincidences counts
    it: every ordered pair of two values of a unit, weighted 1 / (m_u - 1) for a unit of m_u
    values. Counted from the pairs themselves (a pass per distance between a unit's rows):
    no table of units x categories and no matrix product, whose BLAS threads spun on the
    cores that the export's COPY and the card's own reads need (2-4x the card's CPU)."""
    kept = codes >= 0
    unit, codes = unit[kept], codes[kept]
    matrix = np.zeros((categories, categories))
    if len(unit) < 2:
        return matrix
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    sizes = np.diff(np.r_[starts, len(unit)])
    weight = np.repeat(1.0 / np.maximum(sizes - 1, 1), sizes)  # a lone value pairs with none
    cells = matrix.reshape(-1)  # a view: adding to it adds to the matrix
    for distance in range(1, int(sizes.max())):
        pair = np.flatnonzero(unit[distance:] == unit[:-distance])
        first, second, each = codes[pair], codes[pair + distance], weight[pair]
        np.add.at(cells, first * categories + second, each)
        np.add.at(cells, second * categories + first, each)
    return matrix


class RunningCoincidences:
    """One field's coincidence matrix over the values seen so far (kept sorted: a new value
    widens the matrix, which happens a handful of times). Negative values are missing."""

    def __init__(self):
        self.values = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0))

    def add(self, unit: np.ndarray, raw: np.ndarray) -> None:
        codes = self.codes(raw)
        if len(self.values):
            self.matrix += unit_coincidences(unit, codes, len(self.values))

    def codes(self, raw: np.ndarray) -> np.ndarray:
        """Each value's index among the values seen (-1: missing), new ones added first."""
        present = raw >= 0
        top = int(raw.max()) if len(raw) else -1
        if top < 0:
            return np.full(len(raw), -1, dtype=np.int64)
        # Small values (grades, label masks, most source ids): a lookup table, many times
        # faster than a binary search per value.
        find = self.searched if top >= TABLE_VALUES else self.table(top).__getitem__
        index = find(np.maximum(raw, 0))
        new = raw[present & (index < 0)]
        if len(new):
            self.widen(distinct(new))
            find = self.searched if top >= TABLE_VALUES else self.table(top).__getitem__
            index = find(np.maximum(raw, 0))
        return np.where(present, index, -1)

    def searched(self, raw: np.ndarray) -> np.ndarray:
        """Each value's index among the values seen, -1 for the others."""
        if not len(self.values):
            return np.full(len(raw), -1, dtype=np.int64)
        index = np.minimum(np.searchsorted(self.values, raw), len(self.values) - 1)
        return np.where(self.values[index] == raw, index, -1)

    def table(self, top: int) -> np.ndarray:
        """value -> its index among the values seen, -1 for the others, for values 0 .. top."""
        table = np.full(top + 1, -1, dtype=np.int64)
        inside = self.values[self.values <= top]
        table[inside] = np.searchsorted(self.values, inside)
        return table

    def widen(self, new: np.ndarray) -> None:
        values = distinct(np.concatenate([self.values, new]))
        where = np.searchsorted(values, self.values)
        matrix = np.zeros((len(values), len(values)))
        matrix[np.ix_(where, where)] = self.matrix
        self.values, self.matrix = values, matrix

    def over(self, categories: list[int]) -> np.ndarray:
        """The matrix over the given values, in their order (zero for values never seen)."""
        wanted = np.array(categories, dtype=np.int64)
        position = np.minimum(np.searchsorted(self.values, wanted), max(len(self.values) - 1, 0))
        seen = self.values[position] == wanted if len(self.values) else np.zeros(0, bool)
        matrix = np.zeros((len(wanted), len(wanted)))
        inside = np.flatnonzero(seen)
        matrix[np.ix_(inside, inside)] = self.matrix[np.ix_(position[inside], position[inside])]
        return matrix


def ordinal_codes(grades: np.ndarray, scale_length: int) -> np.ndarray:
    """Indices in GRADES ("ABCDEF", "123456") -> ranks on the ordinal scale; the last grade
    (cannot be judged) and none -> -1 (missing)."""
    return np.where((grades >= 0) & (grades < scale_length), grades, -1)


class CardTotals:
    """Every figure of the card that depends on the annotations, folded block by block."""

    def __init__(self, groups: int, reliability_scale: int, credibility_scale: int):
        self.scales = (reliability_scale, credibility_scale)
        self.annotations = 0
        self.annotators: Counter = Counter()
        self.reliability_given = np.zeros(6, dtype=np.int64)  # per index in "ABCDEF"
        self.credibility_given = np.zeros(6, dtype=np.int64)  # per index in "123456"
        self.paired = 0  # statements with two or more annotations
        self.source = RunningCoincidences()
        self.reliability = RunningCoincidences()
        self.credibility = RunningCoincidences()
        self.masks = [RunningCoincidences() for _group in range(groups)]
        self.carried: AnnotationBlock | None = None  # the last statement, maybe continued

    def add(self, block: AnnotationBlock) -> None:
        if not len(block):
            return
        self.count(block)
        rows = block if self.carried is None else self.carried.then(block)
        statement = rows.statement
        last = int(np.searchsorted(statement, statement[-1]))  # rows come in statement order
        if last:
            self.fold(rows.rows(slice(0, last)))
        self.carried = rows.rows(slice(last, None))

    def finish(self) -> CardTotals:
        if self.carried is not None:
            self.fold(self.carried)
            self.carried = None
        return self

    def count(self, block: AnnotationBlock) -> None:
        """What needs no grouping by statement."""
        self.annotations += len(block)
        people = np.sort(block.annotator)
        starts = np.flatnonzero(np.r_[True, people[1:] != people[:-1]])
        numbers, people = np.diff(np.r_[starts, len(people)]), people[starts]
        self.annotators.update(dict(zip(people.tolist(), numbers.tolist(), strict=True)))
        self.reliability_given += np.bincount(block.reliability + 1, minlength=7)[1:]
        self.credibility_given += np.bincount(block.credibility + 1, minlength=7)[1:]

    def fold(self, rows: AnnotationBlock) -> None:
        """Whole statements' coincidences, per field."""
        statement = rows.statement
        starts = np.flatnonzero(np.r_[True, statement[1:] != statement[:-1]])
        sizes = np.diff(np.r_[starts, len(statement)])
        unit = np.repeat(np.arange(len(starts)), sizes)
        self.paired += int(np.count_nonzero(sizes >= 2))
        self.source.add(unit, rows.source)
        self.reliability.add(unit, ordinal_codes(rows.reliability, self.scales[0]))
        self.credibility.add(unit, ordinal_codes(rows.credibility, self.scales[1]))
        for total, mask in zip(self.masks, rows.masks, strict=True):
            total.add(unit, mask)
