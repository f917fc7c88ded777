"""The extensions of annotator.agreement used by the agreement page: ratings coded once as
integer arrays give exactly what the (unit, coder, value) triples give, the bootstrap's unit
profiles leave alpha unchanged, and kappa from a confusion matrix is Cohen's kappa."""

import math
import random

import numpy as np
import pytest

from annotator.agreement.statistics import (
    CodedRatings,
    bootstrap_alpha_ci,
    cohen_kappa,
    cohen_kappa_from_confusion,
    coincidence_matrix,
    krippendorff_alpha,
    per_unit_agreement,
    per_unit_agreement_array,
    percent_agreement,
)
from annotator.agreement.statistics.alpha import _alpha
from annotator.agreement.statistics.bootstrap import _profiles, _resampler
from annotator.agreement.statistics.ratings import _count

SETS = [frozenset(), frozenset({"a"}), frozenset({"a", "b"}), frozenset({"c"})]


def random_ratings(seed: int, units: int, coders: int, values: list, missing: float = 0.2):
    rng = random.Random(seed)
    truth = [rng.choice(values) for _ in range(units)]
    return [
        (
            u,
            c,
            None
            if rng.random() < missing
            else (truth[u] if rng.random() < 0.7 else rng.choice(values)),
        )
        for u in range(units)
        for c in range(coders)
    ]


def coded(ratings, categories):
    index = {value: i for i, value in enumerate(categories)}
    return CodedRatings(
        units=np.array([u for u, _, _ in ratings]),
        values=np.array([-1 if v is None else index[v] for _, _, v in ratings]),
        categories=categories,
    )


def by_category(categories, matrix) -> dict:
    return {
        (a, b): matrix[i, j]
        for i, a in enumerate(categories)
        for j, b in enumerate(categories)
        if matrix[i, j]
    }


@pytest.mark.parametrize(
    ("level", "categories"),
    [
        ("nominal", ["x", "y", "z", "w"]),
        ("ordinal", ["A", "B", "C", "D", "E"]),
        ("interval", [1, 2, 3, 5, 8]),
        ("ratio", [0, 1, 2, 4]),
        ("masi", SETS),
    ],
)
def test_coded_ratings_give_what_the_triples_give(level, categories):
    ratings = random_ratings(3, 80, 4, categories)
    order = categories if level == "ordinal" else None
    as_codes = coded(ratings, categories)
    assert krippendorff_alpha(as_codes, level) == pytest.approx(
        krippendorff_alpha(ratings, level, order), abs=1e-12
    )
    assert per_unit_agreement(as_codes, level) == pytest.approx(
        per_unit_agreement(ratings, level, order), abs=1e-12
    )
    assert by_category(*coincidence_matrix(as_codes, level)) == pytest.approx(
        by_category(*coincidence_matrix(ratings, level, order))
    )
    assert bootstrap_alpha_ci(as_codes, level, n_resamples=200) == pytest.approx(
        bootstrap_alpha_ci(ratings, level, order, n_resamples=200), abs=1e-12
    )
    assert percent_agreement(as_codes) == pytest.approx(percent_agreement(ratings), abs=1e-12)


def test_unused_ordinal_ranks_in_the_categories_change_nothing():
    ratings = random_ratings(5, 60, 3, ["B", "C", "D"])
    assert krippendorff_alpha(coded(ratings, list("ABCDEF")), "ordinal") == pytest.approx(
        krippendorff_alpha(ratings, "ordinal", order=list("BCD")), abs=1e-12
    )


def test_per_unit_agreement_array_matches_the_dict():
    ratings = random_ratings(7, 50, 3, list("ABCDE"))
    units, values = per_unit_agreement_array(ratings, "ordinal", order=list("ABCDE"))
    assert dict(zip(units, values.tolist(), strict=True)) == pytest.approx(
        per_unit_agreement(ratings, "ordinal", order=list("ABCDE"))
    )


@pytest.mark.parametrize("level", ["nominal", "ordinal", "masi"])
def test_profiles_weighted_by_frequency_give_the_same_alpha(level):
    values = SETS if level == "masi" else list("ABCDE")
    ratings = random_ratings(11, 400, 3, values)
    counts = _count(ratings, level, list("ABCDE") if level == "ordinal" else None)
    profiles, frequency, profile_of_unit = _profiles(counts)
    assert len(profiles.units) < len(counts.units)
    assert frequency.sum() == len(counts.units)
    assert np.array_equal(np.bincount(profile_of_unit), frequency)
    alphas_of, _ = _resampler(profiles)
    assert alphas_of(frequency[None, :].astype(float))[0] == pytest.approx(
        _alpha(counts), abs=1e-12
    )


def test_the_bootstrap_over_profiles_matches_one_over_units_in_distribution():
    ratings = random_ratings(13, 300, 3, list("ABC"))
    counts = _count(ratings, "nominal", None)
    alpha = _alpha(counts)
    low, high = bootstrap_alpha_ci(ratings, n_resamples=2000, seed=1)
    # The same percentile interval from resampling the units one by one.
    alphas_of, _ = _resampler(counts)
    rng = np.random.default_rng(2)
    n = len(counts.units)
    drawn = rng.integers(0, n, size=(2000, n))
    weights = np.stack([np.bincount(row, minlength=n) for row in drawn]).astype(float)
    reference = np.quantile(alphas_of(weights), [0.025, 0.975])
    assert low < alpha < high
    assert (low, high) == pytest.approx(tuple(reference), abs=0.02)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_from_a_confusion_matrix_is_cohens_kappa(weights):
    rng = random.Random(17)
    a = [rng.choice("ABCDE") for _ in range(200)]
    b = [x if rng.random() < 0.6 else rng.choice("ABCDE") for x in a]
    labels = list("ABCDE")
    confusion = np.zeros((5, 5))
    for x, y in zip(a, b, strict=True):
        confusion[labels.index(x), labels.index(y)] += 1
    assert cohen_kappa_from_confusion(confusion, weights) == pytest.approx(
        cohen_kappa(a, b, weights=weights, labels=labels), abs=1e-12
    )
    assert math.isnan(cohen_kappa_from_confusion(np.zeros((3, 3))))
    with pytest.raises(ValueError):
        cohen_kappa_from_confusion(np.zeros((2, 3)))
