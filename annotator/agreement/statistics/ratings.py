"""Reading ratings: (unit, coder, value) triples, or integer codes, into per-unit value counts
over a scale of categories (see the package docstring for the levels of measurement)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio", "masi")

Rating = tuple[Hashable, Hashable, Any]

# Elements per temporary array in chunked loops: about 32 MB of float64, so memory stays flat
# however many units or resamples there are.
_CHUNK_ELEMENTS = 1 << 22

# --------------------------------------------------------------------------------------------
# Reading ratings
# --------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _factorize(items: list) -> tuple[list, np.ndarray]:
    """Distinct items and each item's index into them.

    Integers (the usual unit and coder ids) go through numpy and come out sorted; anything
    else is hashed in first-seen order. Hashing a million distinct int objects scattered in
    memory costs several times more than converting them to an array.
    """
    if items and type(items[0]) is int:
        try:  # int64 only if every item is an int (else float, str or object)
            array = np.array(items)
        except ValueError:  # ragged, e.g. tuples among the ints
            array = np.zeros(0, dtype=object)
        if array.dtype.kind in "iu" and array.ndim == 1:
            labels, codes = np.unique(array, return_inverse=True)
            return labels.tolist(), codes.astype(np.intp, copy=False)
    labels = list(dict.fromkeys(items))
    index = {label: i for i, label in enumerate(labels)}
    codes = np.fromiter(map(index.__getitem__, items), dtype=np.intp, count=len(items))
    return labels, codes


def _as_set(value: Any) -> frozenset:
    if isinstance(value, frozenset):
        return value
    if isinstance(value, set | list | tuple):
        return frozenset(value)
    raise ValueError(f"level 'masi' needs set values, got {value!r}")


def _factorize_values(values: list, level: str) -> tuple[list, np.ndarray]:
    """Factorize values; sets become frozensets (every value is a set for MASI)."""
    if level == "masi":
        return _factorize([None if _is_missing(v) else _as_set(v) for v in values])
    try:
        return _factorize(values)
    except TypeError:  # unhashable: only sets are worth converting
        values = [frozenset(v) if isinstance(v, set) else v for v in values]
    try:
        return _factorize(values)
    except TypeError as exc:
        raise ValueError(f"rating values must be hashable: {exc}") from None


def _split(ratings: Iterable[Rating]) -> tuple[list, list, list]:
    rows = ratings if isinstance(ratings, list | tuple) else list(ratings)
    try:
        units = [u for u, _, _ in rows]
    except (TypeError, ValueError):
        raise ValueError("ratings must be (unit, coder, value) triples") from None
    return units, [c for _, c, _ in rows], [v for _, _, v in rows]


@dataclass(frozen=True)
class _Scale:
    """The categories of a level and what a distance needs to know about them."""

    level: str
    categories: list  # category code -> value (ranked for ordinal)
    positions: np.ndarray | None = None  # interval/ratio: numeric value of each category


def _numbers(labels: list, level: str) -> np.ndarray:
    bad = [v for v in labels if not isinstance(v, numbers.Real)]
    if bad:
        raise ValueError(
            f"level {level!r} needs numeric values (or `order`), got {bad[0]!r}; "
            "pass order=[...] to rank non-numeric values"
        )
    values = np.asarray(labels, dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(f"level {level!r} needs finite values")
    return values


def _scale(labels: list, level: str, order: Sequence | None) -> tuple[_Scale, np.ndarray]:
    """Build the scale and map each distinct (non-missing) value to its category code."""
    if order is not None:
        if level in ("ratio", "masi"):
            raise ValueError(f"`order` does not apply to level {level!r}")
        categories = list(order)
        rank = {v: i for i, v in enumerate(categories)}
        if len(rank) != len(categories):
            raise ValueError("`order` lists a value twice")
        unknown = [v for v in labels if v not in rank]
        if unknown:
            raise ValueError(
                f"value {unknown[0]!r} is not in `order` {categories!r} "
                f"({len(unknown)} unknown value(s))"
            )
        code = np.array([rank[v] for v in labels], dtype=np.intp)
        # Interval data given as ranked labels: equally spaced positions 1..K.
        positions = np.arange(1.0, len(categories) + 1) if level == "interval" else None
        return _Scale(level, categories, positions=positions), code

    if level in ("ordinal", "interval", "ratio"):
        values = _numbers(labels, level)
        if level == "ratio" and (values < 0).any():
            raise ValueError("level 'ratio' needs non-negative values")
        sorter = np.argsort(values, kind="stable")
        code = np.empty(len(labels), dtype=np.intp)
        code[sorter] = np.arange(len(labels))
        categories = [labels[i] for i in sorter]
        positions = values[sorter] if level != "ordinal" else None
        return _Scale(level, categories, positions=positions), code

    code = np.arange(len(labels), dtype=np.intp)
    if level == "masi":
        return _Scale(level, labels), code
    return _Scale(level, labels), code


@dataclass(frozen=True)
class _Counts:
    """How often each value was given to each pairable unit (one with two or more values).

    One entry per (unit, value) present, sorted by unit so that each unit's entries are
    contiguous. Units with fewer than two values are dropped: they cannot be paired.
    """

    scale: _Scale
    units: list | np.ndarray  # pairable unit index -> unit label (an array for coded input)
    unit: np.ndarray  # entry -> pairable unit index
    value: np.ndarray  # entry -> category code
    count: np.ndarray  # entry -> n_uc, float64
    unit_total: np.ndarray  # pairable unit index -> m_u, float64

    @property
    def n_categories(self) -> int:
        return len(self.scale.categories)

    def marginals(self) -> np.ndarray:
        """n_c: pairable values per category (the coincidence matrix's row sums)."""
        return np.bincount(self.value, weights=self.count, minlength=self.n_categories)


def _check_one_value_per_coder(
    unit: np.ndarray, coder: np.ndarray, units: list, coders: list
) -> None:
    width = max(len(coders), 1)
    key = np.sort(unit.astype(np.int64) * width + coder)
    repeated = np.flatnonzero(key[1:] == key[:-1])
    if repeated.size:
        u, c = divmod(int(key[repeated[0]]), width)
        raise ValueError(f"coder {coders[c]!r} rated unit {units[u]!r} more than once")


def _encode(
    ratings: Iterable[Rating], level: str, order: Sequence | None
) -> tuple[list, np.ndarray, _Scale, np.ndarray]:
    """Integer codes of the non-missing ratings: (unit labels, unit code, scale, category)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    unit_items, coder_items, value_items = _split(ratings)
    value_labels, value_code = _factorize_values(value_items, level)
    present = ~np.array([_is_missing(v) for v in value_labels], dtype=bool)
    keep = present[value_code] if value_labels else np.zeros(0, dtype=bool)
    units, unit_code = _factorize(unit_items)
    coders, coder_code = _factorize(coder_items)
    unit_code = unit_code[keep]
    _check_one_value_per_coder(unit_code, coder_code[keep], units, coders)

    # Renumber the non-missing labels 0..L-1, then map them onto the scale's categories.
    labels = [v for v, p in zip(value_labels, present, strict=True) if p]
    label_code = np.cumsum(present) - 1
    scale, category_of_label = _scale(labels, level, order)
    return units, unit_code, scale, category_of_label[label_code[value_code[keep]]]


@dataclass(frozen=True)
class CodedRatings:
    """Ratings already coded as integers, accepted wherever ``ratings`` are.

    For callers that compute many figures over the same units (one field after another, one
    subset after another) and should not build and re-read Python triples for each: reading
    a million triples costs far more than the statistics themselves.

    ``units[i]`` is the unit index of rating ``i`` (0 .. n - 1), ``values[i]`` its category
    index into ``categories`` (-1 = missing). ``categories`` are the values themselves, in rank
    order for ordinal scales (``order`` is then ignored; listing unused ranks changes nothing).
    ``unit_labels`` names the units (default: their indices), e.g. for ``per_unit_agreement``.
    Unlike triples, coders are not given: the caller guarantees one value per coder and unit.
    """

    units: np.ndarray
    values: np.ndarray
    categories: Sequence
    unit_labels: Sequence | None = None
    # The tally per level, shared by every figure computed from these ratings.
    _tallies: dict = field(default_factory=dict, compare=False, repr=False)

    def tally(self, level: str) -> _Counts:
        if level not in self._tallies:
            self._tallies[level] = _tally(*self.encode(level))
        return self._tallies[level]

    def encode(self, level: str) -> tuple[list, np.ndarray, _Scale, np.ndarray]:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        units = np.asarray(self.units, dtype=np.intp)
        values = np.asarray(self.values, dtype=np.intp)
        if units.shape != values.shape:
            raise ValueError("units and values must have the same length")
        categories = list(self.categories)
        if level == "masi":
            categories = [_as_set(v) for v in categories]
        order = categories if level == "ordinal" else None
        scale, category_of_label = _scale(categories, level, order)
        if self.unit_labels is not None:
            labels = list(self.unit_labels)
        else:  # the indices themselves, as an array: no list of a million ints
            labels = np.arange(int(units.max()) + 1 if units.size else 0)
        keep = values >= 0
        return labels, units[keep], scale, category_of_label[values[keep]]


def _count(ratings: Iterable[Rating], level: str, order: Sequence | None) -> _Counts:
    if isinstance(ratings, CodedRatings):
        return ratings.tally(level)
    return _tally(*_encode(ratings, level, order))


def _tally(
    units: list | np.ndarray, unit_code: np.ndarray, scale: _Scale, category: np.ndarray
) -> _Counts:
    """Tally (unit, category) pairs with one sort, or with one count where units x categories
    is at most a few times the number of ratings (few categories): never a units x categories
    x categories array, and a units x categories one only that small."""
    width = max(len(scale.categories), 1)
    key = unit_code.astype(np.int64) * width + category
    if len(units) * width <= max(4 * key.size, 1024):
        per_key = np.bincount(key, minlength=len(units) * width)
        pair_key = np.flatnonzero(per_key)
        count = per_key[pair_key]
    else:
        pair_key, count = np.unique(key, return_counts=True)
    entry_unit, entry_value = np.divmod(pair_key, width)
    total = np.bincount(entry_unit, weights=count, minlength=len(units))
    pairable = total >= 2
    new_index = np.cumsum(pairable) - 1
    kept = pairable[entry_unit]
    return _Counts(
        scale=scale,
        units=(
            units[pairable]
            if isinstance(units, np.ndarray)
            else [u for u, p in zip(units, pairable, strict=True) if p]
        ),
        unit=new_index[entry_unit[kept]],
        value=entry_value[kept].astype(np.intp),
        count=count[kept].astype(float),
        unit_total=total[pairable],
    )
