"""Krippendorff's alpha, the coincidence matrix, per-unit and percent agreement, and the
distances between values they rest on (nominal, ordinal, interval, ratio, MASI)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence

import numpy as np

from .ratings import _CHUNK_ELEMENTS, CodedRatings, Rating, _count, _Counts, _Scale

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


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance between two label sets (Passonneau 2006), as NLTK's ``masi_distance``:
    1 - Jaccard x monotonicity (1 same sets, 2/3 one contains the other, 1/3 they overlap,
    0 disjoint). Two empty sets are the same value (distance 0)."""
    if a == b:
        return 0.0
    common = len(a & b)
    if not common:
        return 1.0
    monotonicity = 2 / 3 if common == min(len(a), len(b)) else 1 / 3
    return 1.0 - common / len(a | b) * monotonicity


def _masi_distances(sets: list[frozenset]) -> np.ndarray:
    """MASI distance between every pair of the categories (distinct label sets, a few hundred
    at most: one per combination of labels the coders actually chose)."""
    return np.array([[masi_distance(a, b) for b in sets] for a in sets]).reshape(len(sets), -1)


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
        return _masi_distances(scale.categories)
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


DENSE_COUNTS = 1 << 20  # units x categories up to which coded_coincidences counts densely


def coded_coincidences(
    unit: np.ndarray, value: np.ndarray, n_categories: int, n_units: int | None = None
) -> np.ndarray:
    """The coincidence matrix of coded ratings (unit index, category index, -1 missing), as
    `coincidence_matrix` counts it. Where units x categories is small (few categories) from
    one units x categories table of counts N: o = N^T W N - diag(W N), W = 1 / (m_u - 1) for
    pairable units and 0 for the others, a product instead of a pass over every pair."""
    keep = value >= 0
    unit, value = unit[keep], value[keep]
    if n_units is None:
        n_units = int(unit.max()) + 1 if len(unit) else 0
    if n_units * n_categories > DENSE_COUNTS:
        ratings = CodedRatings(unit, value, list(range(n_categories)))
        return coincidence_matrix(ratings, "nominal")[1]
    cells = np.bincount(unit * n_categories + value, minlength=n_units * n_categories)
    counts = cells.reshape(n_units, n_categories).astype(float)
    values = np.bincount(unit, minlength=n_units).astype(float)  # m_u
    weight = np.divide(1.0, values - 1, out=np.zeros_like(values), where=values >= 2)
    weighted = counts * weight[:, None]
    return weighted.T @ counts - np.diag(weight @ counts)


def alpha_from_coincidences(categories: Sequence, matrix: np.ndarray, level: str) -> float:
    """Krippendorff's alpha from a coincidence matrix over `categories` (as
    `coincidence_matrix` returns them: ranked for ordinal, label sets for MASI).

    Coincidences add up over disjoint sets of units, so a large data set can be counted in
    slices of whole units and its alpha computed once from the sum: the same figure as
    `krippendorff_alpha` over all of it (up to float rounding), with memory bounded by the
    slice. Nominal, ordinal and MASI levels.
    """
    marginals = matrix.sum(axis=1)
    if np.count_nonzero(marginals) < 2:
        return float("nan")
    if level == "nominal":
        distances = 1.0 - np.eye(len(categories))
    elif level == "ordinal":
        distances = _ordinal_distances(marginals)
    elif level == "masi":
        distances = _masi_distances([frozenset(category) for category in categories])
    else:
        raise ValueError(f"level must be nominal, ordinal or masi here, got {level!r}")
    expected = float(((marginals @ distances) * marginals).sum())  # n (n - 1) D_e
    observed = float((matrix * distances).sum())  # n D_o
    return 1.0 - (marginals.sum() - 1) * observed / expected


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
