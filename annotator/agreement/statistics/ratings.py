"""Inter-coder agreement statistics in pure numpy (no Django imports).

Ratings are ``(unit, coder, value)`` triples. A value of ``None`` (or a float NaN) means the
coder did not rate the unit; such triples are ignored. Units and coders may be any hashable
objects. A coder may rate a unit only once (a second non-missing value raises ``ValueError``).

Levels of measurement for Krippendorff's alpha:

* ``"nominal"``: values are hashable labels; distance 0 if equal, else 1.
* ``"ordinal"``: ranked values; ``order`` lists the ranks for non-numeric values, numeric
  values without ``order`` are ranked by sorting. Distance per Krippendorff (2011) from the
  marginal frequencies of the ranks.
* ``"interval"``: numbers (or positions in ``order``); squared difference.
* ``"ratio"``: non-negative numbers; ``((a - b) / (a + b)) ** 2``.
* ``"masi"``: sets of labels (multi-choice groups); MASI distance as in NLTK's
  ``masi_distance`` (Passonneau 2006). The empty set is a value of its own (distance 0 to
  itself, 1 to any non-empty set).

Memory: alpha is computed from per-unit value counts (one entry per unit and value present,
at most units x coders entries). We never build the units x categories x categories array of
the ``krippendorff`` package, whose size grows with the square of the number of categories.
Categories x categories matrices are built only where the distance needs them.

Undefined statistics return ``float("nan")``, never raise ``ZeroDivisionError``: empty input, no
unit with two or more values (e.g. a single coder), or no variation among the pairable values
(expected disagreement D_e = 0; the ``krippendorff`` package raises there and NLTK returns 1).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

__all__ = [
    "LEVELS",
    "CodedRatings",
    "bootstrap_alpha_ci",
    "coincidence_matrix",
    "cohen_kappa",
    "cohen_kappa_from_confusion",
    "fleiss_kappa",
    "krippendorff_alpha",
    "per_unit_agreement",
    "per_unit_agreement_array",
    "percent_agreement",
]

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
    members: np.ndarray | None = None  # masi: categories x labels membership (0/1)


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
        return _Scale(level, labels, members=_membership(labels)), code
    return _Scale(level, labels), code


def _membership(sets: list[frozenset]) -> np.ndarray:
    elements, _ = _factorize([e for s in sets for e in s])
    index = {e: i for i, e in enumerate(elements)}
    members = np.zeros((len(sets), len(elements)))
    for row, s in enumerate(sets):
        members[row, [index[e] for e in s]] = 1.0
    return members


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


# --------------------------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------------------------


def _ordinal_distances(marginals: np.ndarray) -> np.ndarray:
    """Krippendorff (2011): d_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2.

    Works on (..., V) marginals and returns (..., V, V). Ranks with zero frequency between c and
    k add nothing to the sum, so listing unused ranks in ``order`` does not change alpha.
    """
    v = marginals.shape[-1]
    low = np.minimum.outer(np.arange(v), np.arange(v))
    high = np.maximum.outer(np.arange(v), np.arange(v))
    cumulative = np.cumsum(marginals, axis=-1)
    between = cumulative[..., high] - cumulative[..., low] + marginals[..., low]
    return (between - (marginals[..., low] + marginals[..., high]) / 2) ** 2


def _masi_distances(members: np.ndarray) -> np.ndarray:
    """MASI distance between every pair of sets, as NLTK's ``masi_distance`` computes it."""
    size = members.sum(axis=1)
    common = members @ members.T
    union = size[:, None] + size[None, :] - common
    smaller = np.minimum.outer(size, size)
    same = (common == size[:, None]) & (common == size[None, :])
    monotonicity = np.select(
        [same, common == smaller, common > 0], [1.0, 2.0 / 3.0, 1.0 / 3.0], default=0.0
    )
    jaccard = np.divide(common, union, out=np.ones_like(common), where=union > 0)
    return 1.0 - jaccard * monotonicity


def _distance_matrix(scale: _Scale, marginals: np.ndarray) -> np.ndarray | None:
    """Categories x categories distances (ordinal needs the data's marginals).

    None for nominal and interval: closed forms over the counts replace the matrix there, so a
    field with very many distinct values costs no V x V memory.
    """
    v = len(scale.categories)
    if scale.level in ("nominal", "interval"):
        return None
    if scale.level == "ordinal":
        return _ordinal_distances(marginals)
    if scale.level == "masi":
        return _masi_distances(scale.members)
    x = scale.positions
    total = np.add.outer(x, x)
    ratio = np.divide(np.subtract.outer(x, x), total, out=np.zeros((v, v)), where=total != 0)
    return ratio**2


def _spread(counts: np.ndarray, x: np.ndarray, total: np.ndarray) -> np.ndarray:
    """sum_{c,k} n_c n_k (x_c - x_k)^2 = 2 n sum_c n_c (x_c - mean)^2, for rows of counts."""
    mean = (counts @ x) / np.where(total > 0, total, 1.0)
    return 2.0 * total * ((x - mean[..., None]) ** 2 * counts).sum(axis=-1)


def _pair_sum(scale: _Scale, marginals: np.ndarray, distances: np.ndarray | None) -> np.ndarray:
    """sum_{c,k} n_c n_k d_ck for (..., V) counts; without a V x V matrix where possible."""
    total = marginals.sum(axis=-1)
    if scale.level == "nominal":
        return total**2 - (marginals**2).sum(axis=-1)
    if scale.level == "interval":
        return _spread(marginals, scale.positions, total)
    return ((marginals @ distances) * marginals).sum(axis=-1)


# --------------------------------------------------------------------------------------------
# Within-unit pairs
# --------------------------------------------------------------------------------------------


def _unit_starts(counts: _Counts) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(counts.unit, minlength=len(counts.units))
    return np.cumsum(sizes) - sizes, sizes


def _entry_pairs(counts: _Counts) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (left, right) entry indices of all ordered entry pairs within each unit, itself
    included, in chunks of about _CHUNK_ELEMENTS pairs: a unit with p values gives p * p pairs,
    at most coders^2, so this stays proportional to units x coders^2, never to categories^2."""
    starts, sizes = _unit_starts(counts)
    cumulative = np.cumsum(sizes.astype(np.int64) ** 2)
    first, n_units = 0, len(sizes)
    while first < n_units:
        done = cumulative[first - 1] if first else 0
        last = int(np.searchsorted(cumulative, done + _CHUNK_ELEMENTS, side="right"))
        last = min(max(last, first + 1), n_units)
        entries = np.arange(starts[first], starts[last - 1] + sizes[last - 1])
        repeats = sizes[counts.unit[entries]]
        left = np.repeat(entries, repeats)
        block_start = np.repeat(starts[counts.unit[entries]], repeats)
        offset = np.arange(left.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        yield left, block_start + offset
        first = last


def _unit_pair_sums(counts: _Counts, distances: np.ndarray | None) -> np.ndarray:
    """sum_{c,k} n_uc n_uk d_ck for every pairable unit u."""
    scale, n_units = counts.scale, len(counts.units)
    if scale.level == "nominal":
        squares = np.bincount(counts.unit, weights=counts.count**2, minlength=n_units)
        return counts.unit_total**2 - squares
    if scale.level == "interval":
        weighted = np.bincount(
            counts.unit, weights=counts.count * scale.positions[counts.value], minlength=n_units
        )
        mean = weighted / counts.unit_total
        deviation = (scale.positions[counts.value] - mean[counts.unit]) ** 2
        spread = np.bincount(counts.unit, weights=counts.count * deviation, minlength=n_units)
        # A unit with one distinct value has no disagreement; its rounded mean may say 1e-34.
        spread[_unit_starts(counts)[1] == 1] = 0.0
        return 2.0 * counts.unit_total * spread
    sums = np.zeros(n_units)
    for left, right in _entry_pairs(counts):
        contribution = (
            counts.count[left]
            * counts.count[right]
            * distances[counts.value[left], counts.value[right]]
        )
        sums += np.bincount(counts.unit[left], weights=contribution, minlength=n_units)
    return sums


def _coincidence_pairs(counts: _Counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit coincidences in compact form: (unit, c * V + k, o_uck) for every unit's pairs
    of present values, o_uck = (n_uc n_uk - [c == k] n_uc) / (m_u - 1)."""
    v = counts.n_categories
    parts = []
    for left, right in _entry_pairs(counts):
        unit = counts.unit[left]
        product = counts.count[left] * counts.count[right] - np.where(
            left == right, counts.count[left], 0.0
        )
        key = counts.value[left] * v + counts.value[right]
        parts.append((unit, key, product / (counts.unit_total[unit] - 1)))
    if not parts:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    unit, key, weight = (np.concatenate(p) for p in zip(*parts, strict=True))
    return unit, key, weight


# --------------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------------


def _alpha(counts: _Counts) -> float:
    marginals = counts.marginals()
    total = marginals.sum()
    if np.count_nonzero(marginals) < 2:
        return float("nan")  # D_e = 0: distinct values are always at a positive distance
    distances = _distance_matrix(counts.scale, marginals)
    expected = float(_pair_sum(counts.scale, marginals, distances))  # n (n - 1) D_e
    within = _unit_pair_sums(counts, distances) / (counts.unit_total - 1)
    observed = float(within.sum())  # n D_o = sum_ck o_ck d_ck
    return 1.0 - (total - 1) * observed / expected


def krippendorff_alpha(
    ratings: Iterable[Rating], level: str = "nominal", order: Sequence | None = None
) -> float:
    """Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").

    ``ratings``: ``(unit, coder, value)`` triples, value ``None`` = missing. Only units with two
    or more values count. ``level``: one of ``LEVELS`` (see the module docstring). ``order``:
    the ranked values of an ordinal (or interval) scale of non-numeric values; a value not in
    it raises ``ValueError``.

    Returns ``nan`` when alpha is undefined: no pairable unit (empty input, a single coder) or
    no variation among the pairable values (D_e = 0, e.g. every value equal).
    """
    return _alpha(_count(ratings, level, order))


def coincidence_matrix(
    ratings: Iterable[Rating], level: str = "nominal", order: Sequence | None = None
) -> tuple[list, np.ndarray]:
    """Krippendorff's coincidence matrix o_ck and its categories (ranked for ordinal scales).

    Built from the per-unit value counts: o_ck = sum_u (n_uc n_uk - [c == k] n_uc) / (m_u - 1)
    over pairable units. Its row sums are the marginals n_c.
    """
    counts = _count(ratings, level, order)
    v = counts.n_categories
    _, key, weight = _coincidence_pairs(counts)
    matrix = np.bincount(key, weights=weight, minlength=v * v).reshape(v, v)
    return list(counts.scale.categories), matrix


# --------------------------------------------------------------------------------------------
# Per-unit and percent agreement
# --------------------------------------------------------------------------------------------


def _largest_distance(scale: _Scale, marginals: np.ndarray, distances: np.ndarray | None) -> float:
    """The largest distance between two categories that occur among the pairable values."""
    used = marginals > 0
    if scale.level == "nominal":
        return 1.0 if used.sum() > 1 else 0.0
    if scale.level == "interval":
        x = scale.positions[used]
        return float((x.max() - x.min()) ** 2)
    return float(distances[np.ix_(used, used)].max())


def per_unit_agreement(
    ratings: Iterable[Rating], level: str = "nominal", order: Sequence | None = None
) -> dict[Hashable, float]:
    """Agreement within each pairable unit, ordered worst first (stable among ties).

    Defined as the mean over ordered pairs of values within the unit of ``1 - d / d_max``,
    where ``d`` is the level's distance and ``d_max`` the largest distance between two values
    that occur among the pairable values of the whole data (1 for nominal). For nominal data
    that is the fraction of agreeing coder pairs. Units with fewer than two values are left
    out. When ``d_max`` is 0 (one value throughout) every unit gets 1.0.
    """
    units, agreement = per_unit_agreement_array(ratings, level, order)
    worst_first = np.argsort(agreement, kind="stable")
    if isinstance(units, np.ndarray):
        return dict(zip(units[worst_first].tolist(), agreement[worst_first].tolist(), strict=True))
    return {units[i]: float(agreement[i]) for i in worst_first}


def per_unit_agreement_array(
    ratings: Iterable[Rating], level: str = "nominal", order: Sequence | None = None
) -> tuple[list, np.ndarray]:
    """``per_unit_agreement`` as (pairable units, their agreements), in the units' order: for
    callers that go on computing with the figures rather than reading them one by one."""
    counts = _count(ratings, level, order)
    if not len(counts.units):
        return [], np.zeros(0)
    marginals = counts.marginals()
    distances = _distance_matrix(counts.scale, marginals)
    largest = _largest_distance(counts.scale, marginals, distances)
    m = counts.unit_total
    mean_distance = _unit_pair_sums(counts, distances) / (m * (m - 1))
    agreement = 1.0 - mean_distance / largest if largest > 0 else np.ones_like(m)
    return counts.units, np.clip(agreement, 0.0, 1.0)  # rounding must not leave [0, 1]


def percent_agreement(ratings: Iterable[Rating]) -> float:
    """Pairwise percent agreement (exact equality of values; sets compare as sets).

    For every pairable unit (two or more values) take the fraction of ordered pairs of its
    coders that gave the same value, sum_c n_uc (n_uc - 1) / (m_u (m_u - 1)); average that over
    the pairable units, each unit weighing the same. When every coder rated every unit this is
    NLTK's ``AnnotationTask.avg_Ao``. Returns ``nan`` when no unit is pairable.
    """
    _, agreement = per_unit_agreement_array(ratings, level="nominal")
    return float(agreement.mean()) if agreement.size else float("nan")


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


def _sum_by_row(weights: np.ndarray, index: np.ndarray, values: np.ndarray, width: int):
    """rows x width sums of ``values`` grouped by ``index``, scaled per row by ``weights``."""
    rows = weights.shape[0]
    flat = (np.arange(rows)[:, None] * width + index).ravel()
    return np.bincount(flat, weights=(weights * values).ravel(), minlength=rows * width).reshape(
        rows, width
    )


def _alphas_fixed_distance(
    counts: _Counts, weights: np.ndarray, *, within: np.ndarray, distances: np.ndarray | None
) -> np.ndarray:
    """Alphas of resamples for levels whose distances do not depend on the data: the observed
    part is a weighted sum of per-unit scalars, the expected part needs only the marginals."""
    marginals = _sum_by_row(
        weights[:, counts.unit], counts.value, counts.count, counts.n_categories
    )
    expected = _pair_sum(counts.scale, marginals, distances)
    observed = weights @ within
    return _alpha_rows(marginals, observed, expected)


def _alphas_ordinal(counts: _Counts, weights: np.ndarray, *, pairs) -> np.ndarray:
    """Ordinal distances follow the marginals, so every resample needs its coincidences."""
    unit, key, weight = pairs
    v = counts.n_categories
    coincidences = _sum_by_row(weights[:, unit], key, weight, v * v).reshape(-1, v, v)
    marginals = coincidences.sum(axis=2)
    distances = _ordinal_distances(marginals)
    observed = (coincidences * distances).sum(axis=(1, 2))
    expected = np.einsum("rc,rck,rk->r", marginals, distances, marginals)
    return _alpha_rows(marginals, observed, expected)


def _alpha_rows(marginals: np.ndarray, observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """1 - (n - 1) observed / expected per resample; nan where one value was drawn (D_e = 0)."""
    defined = np.count_nonzero(marginals, axis=-1) >= 2
    total = marginals.sum(axis=-1)
    safe = np.where(defined, expected, 1.0)
    return np.where(defined, 1.0 - (total - 1) * observed / safe, np.nan)


def _resampler(counts: _Counts) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """Precompute the per-unit parts once; return a function from (resamples x units) weights
    to the resamples' alphas, and the widest per-resample temporary (to size chunks)."""
    n_units, v = len(counts.units), counts.n_categories
    if counts.scale.level == "ordinal":
        pairs = _coincidence_pairs(counts)
        return partial(_alphas_ordinal, counts, pairs=pairs), max(pairs[0].size, v * v, n_units)
    distances = _distance_matrix(counts.scale, counts.marginals())
    within = _unit_pair_sums(counts, distances) / (counts.unit_total - 1)
    alphas_of = partial(_alphas_fixed_distance, counts, within=within, distances=distances)
    return alphas_of, max(counts.unit.size, n_units, v)


def _profiles(counts: _Counts) -> tuple[_Counts, np.ndarray, np.ndarray]:
    """Collapse units with the same values into one "profile" each.

    Units with equal value counts contribute equally to alpha, so resampling units is
    resampling profiles with their frequencies as weights. Real annotation data has few
    profiles (most units agree, disagreements repeat), which makes each resample cost
    profiles, not units. Returns (profile counts, frequency per profile, profile of each unit).
    """
    starts, sizes = _unit_starts(counts)
    n_units = len(counts.units)
    width = int(counts.count.max()) + 1 if counts.count.size else 1
    entry_code = counts.value.astype(np.int64) * width + counts.count.astype(np.int64)
    profile_of_unit = np.empty(n_units, dtype=np.intp)
    representatives, found = [], 0
    # Units with the same number of distinct values are rows of one matrix: unique rows.
    base = int(entry_code.max()) + 1 if entry_code.size else 1
    for size in np.unique(sizes):
        members = np.flatnonzero(sizes == size)
        rows = entry_code[starts[members][:, None] + np.arange(size)]
        if base ** int(size) < 2**62:  # one integer per unit: a 1-D unique is far faster
            rows = rows @ (base ** np.arange(int(size), dtype=np.int64))
            _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        else:
            _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        profile_of_unit[members] = found + inverse.reshape(-1)
        representatives.append(members[first])
        found += first.size
    chosen = np.concatenate(representatives) if representatives else np.zeros(0, np.intp)
    lengths = sizes[chosen]
    entries = (
        np.repeat(starts[chosen], lengths)
        + np.arange(lengths.sum())
        - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    collapsed = _Counts(
        scale=counts.scale,
        units=list(range(chosen.size)),
        unit=np.repeat(np.arange(chosen.size), lengths),
        value=counts.value[entries],
        count=counts.count[entries],
        unit_total=counts.unit_total[chosen],
    )
    frequency = np.bincount(profile_of_unit, minlength=chosen.size)
    return collapsed, frequency, profile_of_unit


def _profile_weights(
    rng: np.random.Generator, rows: int, frequency: np.ndarray, profile_of_unit: np.ndarray
) -> np.ndarray:
    """rows x profiles: how often each profile was drawn when resampling the units.

    Drawing n units with replacement draws the profiles multinomially with their
    frequencies; with few profiles that is far cheaper than drawing every unit.
    """
    n_units, n_profiles = profile_of_unit.size, frequency.size
    if n_profiles * 5 < n_units:  # measured: about where the two cost the same (see caller)
        return rng.multinomial(n_units, frequency / n_units, size=rows).astype(float)
    drawn = profile_of_unit[rng.integers(0, n_units, size=(rows, n_units))]
    flat = (np.arange(rows)[:, None] * n_profiles + drawn).ravel()
    counts = np.bincount(flat, minlength=rows * n_profiles)
    return counts.reshape(rows, n_profiles).astype(float)


def bootstrap_alpha_ci(
    ratings: Iterable[Rating],
    level: str = "nominal",
    order: Sequence | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of Krippendorff's alpha.

    Resamples the pairable units (those that count for alpha) with replacement, using
    ``numpy.random.default_rng(seed)``, so the same data and seed give the same interval.
    Units with the same values are collapsed into profiles first and their contributions
    computed once; each resample is then a weighted sum over the profiles.
    Resamples in which alpha is undefined (no variation drawn) are left out. Returns
    ``(nan, nan)`` when alpha itself is undefined.
    """
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    counts = _count(ratings, level, order)
    if math.isnan(_alpha(counts)):
        return float("nan"), float("nan")

    profiles, frequency, profile_of_unit = _profiles(counts)
    alphas_of, width = _resampler(profiles)
    rng = np.random.default_rng(seed)
    # The widest temporary per resample: the profile weights, or the units drawn one by one.
    drawn = frequency.size if frequency.size * 5 < profile_of_unit.size else profile_of_unit.size
    rows = max(1, _CHUNK_ELEMENTS // max(width, drawn))
    alphas = [
        alphas_of(_profile_weights(rng, min(rows, n_resamples - start), frequency, profile_of_unit))
        for start in range(0, n_resamples, rows)
    ]
    alphas = np.concatenate(alphas)
    alphas = alphas[~np.isnan(alphas)]
    if alphas.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1.0 - tail])
    return float(low), float(high)


# --------------------------------------------------------------------------------------------
# Kappas
# --------------------------------------------------------------------------------------------


def cohen_kappa(
    a: Iterable[Hashable],
    b: Iterable[Hashable],
    weights: str | None = None,
    labels: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa of two coders, as scikit-learn's ``cohen_kappa_score``.

    ``a`` and ``b`` are the two coders' values for the same items, in the same order.
    ``weights``: None, "linear" or "quadratic"; with weights a category's position is its index
    in ``labels`` (default: the sorted distinct values). Items where either value is missing
    (None/NaN) or not in ``labels`` are left out.

    Returns ``nan`` when kappa is undefined: no item left, or both coders used one and the same
    category only (scikit-learn also returns nan there, with a warning; we do not warn).
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same length, got {len(a)} and {len(b)}")
    items = [(x, y) for x, y in zip(a, b, strict=True) if not (_is_missing(x) or _is_missing(y))]
    if labels is None:
        try:
            labels = sorted({v for pair in items for v in pair})
        except TypeError:
            raise ValueError("values cannot be sorted; pass `labels`") from None
    index = {label: i for i, label in enumerate(labels)}
    if len(index) != len(labels):
        raise ValueError("`labels` lists a value twice")
    k = len(labels)
    codes = [(index[x], index[y]) for x, y in items if x in index and y in index]
    if not codes:
        return float("nan")
    first, second = np.array(codes).T
    confusion = np.bincount(first * k + second, minlength=k * k).reshape(k, k)
    return cohen_kappa_from_confusion(confusion, weights=weights)


def cohen_kappa_from_confusion(
    confusion: Sequence[Sequence[float]] | np.ndarray, weights: str | None = None
) -> float:
    """Cohen's kappa from a k x k confusion matrix (rows: first coder, columns: second).

    For callers that count the confusion matrices themselves, e.g. of every pair of coders at
    once. A category's position for ``weights`` ("linear", "quadratic") is its row index.
    Returns ``nan`` when kappa is undefined (no items, or one and the same category only).
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    confusion = np.asarray(confusion, dtype=float)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError("confusion must be a square matrix")
    total = confusion.sum()
    if total == 0:
        return float("nan")
    k = confusion.shape[0]
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / total
    position = np.arange(k, dtype=float)
    if weights is None:
        weight = 1.0 - np.eye(k)
    elif weights == "linear":
        weight = np.abs(np.subtract.outer(position, position))
    else:
        weight = np.subtract.outer(position, position) ** 2
    chance = float((weight * expected).sum())
    if chance == 0:
        return float("nan")
    return 1.0 - float((weight * confusion).sum()) / chance


def fleiss_kappa(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Fleiss' kappa from a units x categories table of rating counts.

    Same as statsmodels' ``fleiss_kappa(table, method="fleiss")``. Every unit must have the
    same number of ratings (use ``krippendorff_alpha`` for missing ratings). Returns ``nan``
    when undefined: no units, fewer than two ratings per unit, or one category only.
    """
    table = np.asarray(table, dtype=float)
    if table.ndim != 2:
        raise ValueError("table must be 2-dimensional: units x categories")
    if table.size == 0:
        return float("nan")
    if (table < 0).any():
        raise ValueError("table counts must be non-negative")
    raters = table.sum(axis=1)
    if not np.allclose(raters, raters[0]):
        raise ValueError("every unit needs the same number of ratings for Fleiss' kappa")
    n = raters[0]
    if n < 2:
        return float("nan")
    category_share = table.sum(axis=0) / table.sum()
    unit_agreement = ((table**2).sum(axis=1) - n) / (n * (n - 1))
    chance = float((category_share**2).sum())
    if chance >= 1.0:
        return float("nan")
    return (float(unit_agreement.mean()) - chance) / (1.0 - chance)
