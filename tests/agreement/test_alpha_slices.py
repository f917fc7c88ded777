"""Krippendorff's alpha from coincidences counted in slices of whole units (the dataset card's
way at a million annotations) is the alpha of the whole data."""

import numpy as np
import pytest

from annotator.agreement.statistics import (
    CodedRatings,
    alpha_from_coincidences,
    coded_coincidences,
    coincidence_matrix,
    krippendorff_alpha,
)

SETS = [frozenset(), frozenset({"a"}), frozenset({"b"}), frozenset({"a", "b"}), frozenset({"c"})]
CATEGORIES = {"nominal": ["x", "y", "z", "w"], "ordinal": ["A", "B", "C", "D", "E"], "masi": SETS}


def ratings(seed: int, level: str) -> tuple[np.ndarray, np.ndarray]:
    """Units of 1-4 values (some missing), the units in order."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, size=300)
    units = np.repeat(np.arange(len(sizes)), sizes)
    values = rng.integers(-1, len(CATEGORIES[level]), size=len(units))
    return units, values


@pytest.mark.parametrize("level", ["nominal", "ordinal", "masi"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alpha_from_sliced_coincidences_is_the_whole_datas_alpha(level, seed):
    units, values = ratings(seed, level)
    categories = CATEGORIES[level]
    whole = krippendorff_alpha(CodedRatings(units, values, categories), level=level)
    total = np.zeros((len(categories), len(categories)))
    for start, end in ((0, 100), (100, 220), (220, 300)):  # slices of whole units
        rows = (units >= start) & (units < end)
        part = CodedRatings(units[rows] - start, values[rows], categories)
        total += coincidence_matrix(part, level)[1]
    assert alpha_from_coincidences(categories, total, level) == pytest.approx(whole, abs=1e-12)


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_coded_coincidences_are_the_coincidence_matrix(seed, dense, monkeypatch):
    """Counted from a units x categories table (few categories) or pair by pair (many)."""
    from annotator.agreement.statistics import alpha

    monkeypatch.setattr(alpha, "DENSE_COUNTS", 1 << 20 if dense else 0)
    units, values = ratings(seed, "nominal")
    categories = CATEGORIES["nominal"]
    expected = coincidence_matrix(CodedRatings(units, values, categories), "nominal")[1]
    counted = coded_coincidences(units, values, len(categories))
    assert counted.shape == expected.shape
    assert np.allclose(counted, expected, rtol=0, atol=1e-12)
    assert counted.sum() > 0


def test_no_variation_is_undefined_and_other_levels_are_refused():
    matrix = np.array([[4.0, 0.0], [0.0, 0.0]])
    assert np.isnan(alpha_from_coincidences(["x", "y"], matrix, "nominal"))
    with pytest.raises(ValueError, match="interval"):
        alpha_from_coincidences([1, 2], np.ones((2, 2)), "interval")
