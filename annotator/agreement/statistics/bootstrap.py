"""Bootstrap confidence intervals of Krippendorff's alpha, resampling units (Hayes and
Krippendorff 2007), with memory flat in the number of resamples."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import numpy as np

from .alpha import (
    _alpha,
    _coincidence_pairs,
    _distance_matrix,
    _ordinal_distances,
    _pair_sum,
    _unit_pair_sums,
    _unit_starts,
)
from .ratings import _CHUNK_ELEMENTS, Rating, _count, _Counts

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
