"""Agreement statistics: published worked examples, reference implementations, edge cases.

Pure numpy code under test: no database, no Django settings needed.
"""

from __future__ import annotations

import math
import tracemalloc
import warnings

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from annotator.agreement.statistics import (
    bootstrap_alpha_ci,
    cohen_kappa,
    coincidence_matrix,
    fleiss_kappa,
    krippendorff_alpha,
    per_unit_agreement,
    percent_agreement,
)
from annotator.agreement.statistics.alpha import _masi_distances
from annotator.agreement.statistics.bootstrap import _resampler
from annotator.agreement.statistics.ratings import _count

NAN = np.nan
LEVELS_OF_PACKAGE = ["nominal", "ordinal", "interval", "ratio"]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 coders x 12
# units, values 1..5, with missing values. Rows are coders, columns units.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]

# Fleiss (1971) / Wikipedia: 10 units, 14 raters, 5 categories.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971) psychiatric diagnoses, 30 patients x 6 raters (statsmodels' `diagnoses`).
FLEISS_1971_DIAGNOSES = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip


def triples(matrix, labels=None):
    """(unit, coder, value) triples from a coders x units matrix with NaN for missing."""
    out = []
    for coder, row in enumerate(matrix):
        for unit, value in enumerate(row):
            if isinstance(value, float) and math.isnan(value):
                out.append((f"u{unit}", f"c{coder}", None))
            else:
                value = int(value) if labels is None else labels[int(value)]
                out.append((f"u{unit}", f"c{coder}", value))
    return out


def random_matrix(seed, units, coders, categories, missing=0.2, agreement=0.6, low=0):
    """Coders x units matrix: each unit has a true value that a coder gives with probability
    ``agreement`` (else a random one); a ``missing`` share of cells is NaN."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(low, low + categories, size=units)
    noise = rng.integers(low, low + categories, size=(coders, units))
    matrix = np.where(rng.random((coders, units)) < agreement, truth, noise).astype(float)
    matrix[rng.random((coders, units)) < missing] = np.nan
    return matrix


RANDOM_SHAPES = [
    # seed, units, coders, categories, missing
    (1, 40, 3, 2, 0.1),
    (2, 200, 5, 5, 0.3),
    (3, 60, 2, 7, 0.2),
    (4, 300, 10, 12, 0.4),
    (5, 25, 4, 30, 0.5),
]


# --------------------------------------------------------------------------------------------
# Published worked examples
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published", "package"),
    [
        ("nominal", 0.743, 0.743421052631579),
        ("ordinal", 0.815, 0.8153875037548814),
        ("interval", 0.849, 0.8491071428571428),
        ("ratio", 0.797, 0.7974027747116121),
    ],
)
def test_it_reproduces_krippendorff_2011_reliability_data(level, published, package):
    alpha = krippendorff_alpha(triples(KRIPPENDORFF_2011), level=level)
    assert round(alpha, 3) == published
    assert alpha == pytest.approx(package, abs=1e-12)


def test_it_reproduces_krippendorff_2011_coincidence_matrix():
    categories, matrix = coincidence_matrix(triples(KRIPPENDORFF_2011))
    third = 1 / 3
    expected = [
        [7, 4 * third, third, third, 0],
        [4 * third, 10, 4 * third, third, 0],
        [third, 4 * third, 8, third, 0],
        [third, third, third, 4, 0],
        [0, 0, 0, 0, 3],
    ]
    assert categories == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(matrix, expected, atol=1e-12)
    np.testing.assert_allclose(matrix.sum(axis=1), [9, 13, 10, 5, 3])


def test_it_reproduces_krippendorff_2011_binary_two_coder_example():
    coder_a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    coder_b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(krippendorff_alpha(triples([coder_a, coder_b])), 3) == 0.095


def test_it_reproduces_the_krippendorff_package_docstring_example():
    data = [
        [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
        [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
        [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
    ]
    assert round(krippendorff_alpha(triples(data), "nominal"), 6) == 0.691358
    assert round(krippendorff_alpha(triples(data), "interval"), 6) == 0.810845


def test_it_ranks_ordinal_labels_by_the_given_order():
    labels = ["very low", "low", "mid", "high", "very high"]
    ratings = triples(KRIPPENDORFF_2011, labels=[None, *labels])
    assert krippendorff_alpha(ratings, "ordinal", order=labels) == pytest.approx(
        0.8153875037548814, abs=1e-12
    )
    assert round(krippendorff_alpha(ratings, "nominal"), 3) == 0.743


def test_it_reproduces_fleiss_kappa_wikipedia_example():
    assert round(fleiss_kappa(FLEISS_WIKIPEDIA), 3) == 0.210
    assert fleiss_kappa(FLEISS_WIKIPEDIA) == pytest.approx(
        statsmodels_fleiss_kappa(FLEISS_WIKIPEDIA, method="fleiss"), abs=1e-12
    )


def test_it_reproduces_fleiss_1971_diagnoses_as_in_statsmodels_and_irr():
    table, _ = aggregate_raters(np.array(FLEISS_1971_DIAGNOSES))
    assert fleiss_kappa(table) == pytest.approx(0.4302445, abs=1e-7)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ([[6.99, 0.01], [6.99, 0.01]], -0.166667),
        ([[7, 1], [3, 5]], 0.161905),
        ([[7, 0], [0, 7]], 1.0),
        ([[6, 1, 0], [0, 7, 0]], 0.708333),
    ],
)
def test_it_matches_statsmodels_fleiss_test_values(table, expected):
    assert fleiss_kappa(table) == pytest.approx(expected, abs=6e-6)


def test_it_reproduces_cohen_kappa_wikipedia_example():
    # 50 proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_it_reproduces_scikit_learn_cohen_kappa_test_examples():
    # Artstein and Poesio (2008), table 1.
    y1 = [0] * 40 + [1] * 60
    y2 = [0] * 20 + [1] * 20 + [0] * 10 + [1] * 50
    kappa = cohen_kappa(y1, y2)
    assert round(kappa, 3) == 0.348
    assert cohen_kappa(y2, y1) == kappa
    assert cohen_kappa(y1 + [2] * 4, y2 + [2] * 4, labels=[0, 1]) == kappa
    assert cohen_kappa(y1, y1) == pytest.approx(1.0)
    # Artstein and Poesio, table 4.
    y1 = [0] * 46 + [1] * 44 + [2] * 10
    assert round(cohen_kappa(y1, [0] * 52 + [1] * 32 + [2] * 16), 4) == 0.8013
    # Weighting example.
    y2 = [0] * 50 + [1] * 40 + [2] * 10
    assert round(cohen_kappa(y1, y2), 4) == 0.9315
    assert round(cohen_kappa(y1, y2, weights="linear"), 4) == 0.9412
    assert round(cohen_kappa(y1, y2, weights="quadratic"), 4) == 0.9541


# --------------------------------------------------------------------------------------------
# Reference implementations on random data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "units", "coders", "categories", "missing"), RANDOM_SHAPES)
@pytest.mark.parametrize("level", LEVELS_OF_PACKAGE)
def test_it_agrees_with_the_krippendorff_package(level, seed, units, coders, categories, missing):
    matrix = random_matrix(seed, units, coders, categories, missing)
    expected = krippendorff.alpha(matrix, level_of_measurement=level)
    assert krippendorff_alpha(triples(matrix), level=level) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_it_agrees_with_the_package_on_letter_grades_with_an_order(seed):
    grades = ["A", "B", "C", "D", "E"]
    matrix = random_matrix(seed, 150, 4, 5, missing=0.25)
    expected = krippendorff.alpha(matrix, level_of_measurement="ordinal", value_domain=range(5))
    alpha = krippendorff_alpha(triples(matrix, labels=grades), "ordinal", order=grades)
    assert alpha == pytest.approx(expected, abs=1e-9)


def test_it_counts_unused_ranks_between_used_ones_without_changing_ordinal_alpha():
    # Only A, C, E, G occur; B, D, F have zero frequency but sit between them in the order.
    order = list("ABCDEFG")
    matrix = random_matrix(21, 120, 3, 4, missing=0.2) * 2  # values 0, 2, 4, 6
    expected = krippendorff.alpha(matrix, level_of_measurement="ordinal")
    alpha = krippendorff_alpha(triples(matrix, labels=order), "ordinal", order=order)
    assert alpha == pytest.approx(expected, abs=1e-9)
    categories, _ = coincidence_matrix(triples(matrix, labels=order), "ordinal", order=order)
    assert categories == order


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_it_agrees_with_the_package_on_non_integer_interval_and_ratio_values(seed):
    matrix = random_matrix(seed, 80, 4, 6, missing=0.2) * 0.37 + 0.5
    for level in ("interval", "ratio"):
        expected = krippendorff.alpha(matrix, level_of_measurement=level)
        ratings = [
            (f"u{u}", f"c{c}", None if np.isnan(v) else float(v))
            for c, row in enumerate(matrix)
            for u, v in enumerate(row)
        ]
        assert krippendorff_alpha(ratings, level) == pytest.approx(expected, abs=1e-9)


def random_label_sets(seed, units, coders, missing=0.2):
    """Non-empty label sets (NLTK's masi_distance divides by zero on two empty sets)."""
    rng = np.random.default_rng(seed)
    pool = ["quote", "paraphrase", "claim", "data"]
    ratings = []
    for unit in range(units):
        base = {pool[i] for i in range(len(pool)) if rng.random() < 0.5} or {pool[0]}
        for coder in range(coders):
            if rng.random() < missing:
                continue
            labels = set(base)
            if rng.random() < 0.4:
                labels ^= {pool[int(rng.integers(len(pool)))]}
            ratings.append((unit, coder, labels or {pool[1]}))
    return ratings


@pytest.mark.parametrize(("seed", "units", "coders"), [(41, 40, 3), (42, 80, 4), (43, 30, 6)])
def test_it_agrees_with_nltk_masi_alpha(seed, units, coders):
    ratings = random_label_sets(seed, units, coders)
    task = AnnotationTask(
        data=[(coder, unit, frozenset(value)) for unit, coder, value in ratings],
        distance=masi_distance,
    )
    assert krippendorff_alpha(ratings, level="masi") == pytest.approx(task.alpha(), abs=1e-9)


def test_it_computes_masi_distances_as_nltk():
    ratings = random_label_sets(44, 60, 3)
    counts = _count(ratings, "masi", None)
    sets = counts.scale.categories
    distances = _masi_distances(counts.scale.categories)
    expected = [[masi_distance(set(a), set(b)) for b in sets] for a in sets]
    np.testing.assert_allclose(distances, expected, atol=1e-12)


@pytest.mark.parametrize("seed", [51, 52, 53])
def test_it_agrees_with_nltk_nominal_alpha_with_missing_values(seed):
    matrix = random_matrix(seed, 70, 4, 4, missing=0.3)
    ratings = triples(matrix)
    task = AnnotationTask(data=[(c, u, v) for u, c, v in ratings if v is not None])
    assert krippendorff_alpha(ratings) == pytest.approx(task.alpha(), abs=1e-9)


@pytest.mark.parametrize("seed", [61, 62])
def test_percent_agreement_equals_nltk_avg_ao_when_every_unit_is_complete(seed):
    ratings = triples(random_matrix(seed, 30, 4, 3, missing=0.0))
    task = AnnotationTask(data=[(c, u, v) for u, c, v in ratings])
    assert percent_agreement(ratings) == pytest.approx(task.avg_Ao(), abs=1e-12)


def test_percent_agreement_averages_units_equally_with_missing_values():
    ratings = [
        ("u1", "a", "x"), ("u1", "b", "x"), ("u1", "c", "y"),  # 2 of 6 ordered pairs agree
        ("u2", "a", "x"), ("u2", "b", "x"),  # 2 of 2
        ("u3", "a", "z"), ("u3", "b", None),  # not pairable
    ]  # fmt: skip
    assert percent_agreement(ratings) == pytest.approx((1 / 3 + 1) / 2)


@pytest.mark.parametrize("seed", [71, 72, 73, 74])
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_it_agrees_with_scikit_learn_cohen_kappa(seed, weights):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, size=120)
    b = np.where(rng.random(120) < 0.6, a, rng.integers(0, 5, size=120))
    expected = cohen_kappa_score(a, b, weights=weights)
    assert cohen_kappa(a.tolist(), b.tolist(), weights=weights) == pytest.approx(expected, abs=1e-9)
    for labels in ([4, 3, 2, 1, 0], [0, 1, 2, 3, 4, 5], [1, 2, 3]):
        expected = cohen_kappa_score(a, b, weights=weights, labels=labels)
        actual = cohen_kappa(a.tolist(), b.tolist(), weights=weights, labels=labels)
        assert actual == pytest.approx(expected, abs=1e-9)


def test_cohen_kappa_takes_string_labels_sorted_like_scikit_learn():
    a = ["neg", "pos", "neg", "neutral", "pos", "neutral", "neg"]
    b = ["neg", "pos", "neg", "neutral", "neg", "pos", "neutral"]
    for weights in (None, "linear", "quadratic"):
        assert cohen_kappa(a, b, weights=weights) == pytest.approx(
            cohen_kappa_score(a, b, weights=weights), abs=1e-12
        )


@pytest.mark.parametrize(
    ("seed", "units", "raters", "categories"), [(81, 20, 3, 4), (82, 50, 7, 6)]
)
def test_it_agrees_with_statsmodels_fleiss_kappa(seed, units, raters, categories):
    rng = np.random.default_rng(seed)
    table = np.array(
        [rng.multinomial(raters, rng.dirichlet(np.ones(categories))) for _ in range(units)]
    )
    expected = statsmodels_fleiss_kappa(table, method="fleiss")
    assert fleiss_kappa(table) == pytest.approx(expected, abs=1e-12)


# --------------------------------------------------------------------------------------------
# Per-unit agreement
# --------------------------------------------------------------------------------------------


def test_per_unit_agreement_ranks_units_worst_first():
    ratings = [
        ("calm", "a", "x"), ("calm", "b", "x"), ("calm", "c", "x"),
        ("split", "a", "x"), ("split", "b", "y"), ("split", "c", "z"),
        ("mostly", "a", "x"), ("mostly", "b", "x"), ("mostly", "c", "y"),
        ("alone", "a", "x"),
    ]  # fmt: skip
    agreement = per_unit_agreement(ratings)
    assert list(agreement) == ["split", "mostly", "calm"]
    assert agreement == {"split": 0.0, "mostly": pytest.approx(1 / 3), "calm": 1.0}


def test_per_unit_agreement_normalises_interval_distance_by_the_largest_one():
    ratings = [
        ("u1", "a", 1), ("u1", "b", 5),  # the largest distance in the data
        ("u2", "a", 2), ("u2", "b", 3),  # (3 - 2)^2 / (5 - 1)^2
        ("u3", "a", 4), ("u3", "b", 4),
    ]  # fmt: skip
    agreement = per_unit_agreement(ratings, level="interval")
    assert agreement == {"u1": 0.0, "u2": pytest.approx(1 - 1 / 16), "u3": 1.0}


@pytest.mark.parametrize("level", ["ordinal", "ratio", "masi"])
def test_per_unit_agreement_lies_between_zero_and_one(level):
    if level == "masi":
        ratings = random_label_sets(91, 40, 3)
    else:
        ratings = triples(random_matrix(91, 40, 3, 5, missing=0.2, low=1))
    agreement = per_unit_agreement(ratings, level=level)
    values = np.array(list(agreement.values()))
    assert len(values) > 30
    assert (values >= 0).all() and (values <= 1 + 1e-12).all()
    assert list(values) == sorted(values)


def test_per_unit_agreement_is_one_everywhere_without_variation():
    ratings = [("u1", "a", "x"), ("u1", "b", "x"), ("u2", "a", "x"), ("u2", "b", "x")]
    assert per_unit_agreement(ratings) == {"u1": 1.0, "u2": 1.0}


# --------------------------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_is_nan_when_all_values_are_equal(level):
    ratings = [(u, c, 3) for u in range(5) for c in range(3)]
    assert math.isnan(krippendorff_alpha(ratings, level=level))
    # The package raises instead; we document nan (D_e = 0 makes alpha undefined).
    with pytest.raises(ValueError):
        krippendorff.alpha([[3] * 5] * 3, level_of_measurement=level)


def test_alpha_is_nan_for_equal_non_integer_interval_values_despite_rounding():
    # The mean of three 0.1s is not exactly 0.1 in floating point.
    ratings = [(u, c, 0.1) for u in range(4) for c in range(3)]
    assert math.isnan(krippendorff_alpha(ratings, level="interval"))
    ratings += [(9, 0, 0.1), (9, 1, 0.7)]
    agreement = per_unit_agreement(ratings, level="interval")
    assert agreement[0] == 1.0
    assert agreement[9] == pytest.approx(0.0, abs=1e-12)


def test_alpha_is_nan_when_only_one_value_is_pairable():
    # "y" occurs only in a unit with one value, so the pairable values show no variation.
    ratings = [("u1", "a", "x"), ("u1", "b", "x"), ("u2", "a", "y"), ("u2", "b", None)]
    assert math.isnan(krippendorff_alpha(ratings))


@pytest.mark.parametrize(
    "ratings",
    [
        [],
        [("u1", "a", 1), ("u2", "a", 2), ("u3", "a", 1)],  # a single coder
        [("u1", "a", 1), ("u1", "b", None), ("u2", "b", 2)],  # no unit with two values
        [("u1", "a", None), ("u1", "b", float("nan"))],  # only missing values
    ],
    ids=["empty", "single-coder", "no-pairable-unit", "all-missing"],
)
def test_everything_is_nan_without_pairable_units(ratings):
    ratings = list(ratings)
    assert math.isnan(krippendorff_alpha(iter(ratings)))
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert math.isnan(krippendorff_alpha(ratings, level=level))
        assert bootstrap_alpha_ci(ratings, level=level, n_resamples=10) == pytest.approx(
            (NAN, NAN), nan_ok=True
        )
    assert math.isnan(percent_agreement(ratings))
    assert per_unit_agreement(ratings) == {}


def test_it_treats_none_and_nan_as_missing():
    with_none = triples(KRIPPENDORFF_2011)
    with_nan = [(u, c, float("nan") if v is None else v) for u, c, v in with_none]
    assert krippendorff_alpha(with_nan) == krippendorff_alpha(with_none)


def test_it_reads_any_hashable_unit_and_coder_ids():
    reference = krippendorff_alpha(triples(KRIPPENDORFF_2011))
    numbered = [(int(u[1:]), int(c[1:]), v) for u, c, v in triples(KRIPPENDORFF_2011)]
    mixed = [(u if u % 2 else f"u{u}", c, v) for u, c, v in numbered]
    pairs = [((u, "statement"), c, v) for u, c, v in numbered]
    ints_then_tuples = [(u if u < 5 else (u, 0), c, v) for u, c, v in numbered]
    numpy_values = [(u, c, None if v is None else np.int64(v)) for u, c, v in numbered]
    for ratings in (numbered, mixed, pairs, ints_then_tuples, numpy_values):
        assert krippendorff_alpha(ratings) == pytest.approx(reference, abs=1e-12)
    assert set(per_unit_agreement(numbered)) == set(range(11))  # unit 10 has one value only


def test_interval_labels_with_an_order_are_equally_spaced():
    grades = ["A", "B", "C", "D", "E"]
    ratings = triples(KRIPPENDORFF_2011, labels=[None, *grades])
    assert krippendorff_alpha(ratings, "interval", order=grades) == pytest.approx(
        0.8491071428571428, abs=1e-12
    )
    with pytest.raises(ValueError, match="order"):
        krippendorff_alpha(triples(KRIPPENDORFF_2011), "ratio", order=[1, 2, 3, 4, 5])


def test_it_rejects_a_value_missing_from_the_order_with_a_clear_message():
    ratings = [("u1", "a", "A"), ("u1", "b", "F"), ("u2", "a", "B"), ("u2", "b", "B")]
    with pytest.raises(ValueError, match=r"'F' is not in `order`"):
        krippendorff_alpha(ratings, "ordinal", order=["A", "B", "C", "D", "E"])


def test_it_needs_an_order_for_non_numeric_ordinal_values():
    ratings = [("u1", "a", "low"), ("u1", "b", "high")]
    with pytest.raises(ValueError, match="order"):
        krippendorff_alpha(ratings, "ordinal")


def test_it_rejects_a_coder_rating_a_unit_twice():
    ratings = [("u1", "a", 1), ("u1", "a", 2), ("u1", "b", 2)]
    with pytest.raises(ValueError, match="more than once"):
        krippendorff_alpha(ratings)


def test_it_rejects_unknown_levels_and_negative_ratio_values():
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha([("u", "a", 1), ("u", "b", 2)], level="cardinal")
    with pytest.raises(ValueError, match="non-negative"):
        krippendorff_alpha([("u", "a", -1), ("u", "b", 2)], level="ratio")


def test_it_accepts_python_sets_and_treats_the_empty_set_as_a_value():
    ratings = [
        ("u1", "a", {"x", "y"}), ("u1", "b", frozenset({"x", "y"})),
        ("u2", "a", set()), ("u2", "b", set()),
        ("u3", "a", {"x"}), ("u3", "b", {"x", "y"}),
        ("u4", "a", set()), ("u4", "b", {"y"}),
    ]  # fmt: skip
    alpha = krippendorff_alpha(ratings, level="masi")
    assert -1 <= alpha <= 1
    assert per_unit_agreement(ratings, level="masi")["u2"] == 1.0
    assert per_unit_agreement(ratings, level="masi")["u4"] == 0.0
    assert percent_agreement(ratings) == pytest.approx(0.5)  # u1 and u2 agree exactly


def test_cohen_kappa_is_nan_without_warning_on_a_single_shared_category():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(cohen_kappa(["x"] * 10, ["x"] * 10))
        assert math.isnan(cohen_kappa([], []))
        assert math.isnan(cohen_kappa([1] * 5 + [2] * 5, [3] * 10, labels=[1, 2]))
        assert math.isnan(cohen_kappa([1] * 5 + [2] * 5, [1] * 5 + [3] * 5, labels=[1, 2]))
    # scikit-learn also answers nan there (with an UndefinedMetricWarning).
    with pytest.warns(UserWarning):
        assert math.isnan(cohen_kappa_score(["x"] * 10, ["x"] * 10))


def test_cohen_kappa_leaves_out_items_with_a_missing_value():
    a = ["x", "y", None, "x", "y", "x"]
    b = ["x", "y", "x", float("nan"), "x", "x"]
    assert cohen_kappa(a, b) == pytest.approx(
        cohen_kappa_score(["x", "y", "y", "x"], ["x", "y", "x", "x"]), abs=1e-12
    )
    with pytest.raises(ValueError, match="same length"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="weights"):
        cohen_kappa([1, 2], [1, 2], weights="cubic")


def test_fleiss_kappa_edge_cases():
    assert math.isnan(fleiss_kappa(np.zeros((0, 3))))
    assert math.isnan(fleiss_kappa([[3, 0], [3, 0]]))  # one category only
    assert math.isnan(fleiss_kappa([[1, 0], [0, 1]]))  # one rater per unit
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[2, 1], [1, 1]])


# --------------------------------------------------------------------------------------------
# Memory: no units x categories x categories array
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_memory_does_not_grow_with_the_square_of_the_categories(level):
    # 4,000 units with 5,000 categories: the package's array would be 800 GB.
    matrix = random_matrix(101, 4000, 5, 5000, missing=0.1, agreement=0.5)
    ratings = triples(matrix)
    tracemalloc.start()
    try:
        alpha = krippendorff_alpha(ratings, level=level)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0.1 < alpha < 0.9
    assert peak < 30 * 2**20


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio", "masi"])
def test_each_bootstrap_resample_is_the_alpha_of_the_resampled_units(level):
    if level == "masi":
        ratings = random_label_sets(111, 30, 4)
    else:
        ratings = triples(random_matrix(111, 30, 4, 5, missing=0.2, low=1))
    counts = _count(ratings, level, None)
    alphas_of, _ = _resampler(counts)
    rng = np.random.default_rng(5)
    by_unit = {}
    for unit, coder, value in ratings:
        by_unit.setdefault(unit, []).append((coder, value))
    for _ in range(5):
        drawn = rng.integers(0, len(counts.units), size=len(counts.units))
        weights = np.bincount(drawn, minlength=len(counts.units)).astype(float)
        resampled = [
            ((copy, counts.units[index]), coder, value)
            for copy, index in enumerate(drawn)
            for coder, value in by_unit[counts.units[index]]
        ]
        expected = krippendorff_alpha(resampled, level=level)
        assert alphas_of(weights[None, :])[0] == pytest.approx(expected, abs=1e-9)


def test_bootstrap_is_reproducible_and_brackets_the_estimate():
    ratings = triples(random_matrix(121, 300, 4, 5, missing=0.2))
    alpha = krippendorff_alpha(ratings)
    first = bootstrap_alpha_ci(ratings, seed=7)
    assert bootstrap_alpha_ci(ratings, seed=7) == first
    low, high = first
    assert low < alpha < high
    assert high - low < 0.2
    other = bootstrap_alpha_ci(ratings, seed=8)
    assert other != first
    assert other == pytest.approx(first, abs=0.03)
    narrower = bootstrap_alpha_ci(ratings, seed=7, confidence=0.5)
    assert low < narrower[0] < narrower[1] < high


@pytest.mark.parametrize("level", ["ordinal", "interval", "ratio"])
def test_bootstrap_brackets_the_estimate_on_other_levels(level):
    ratings = triples(random_matrix(131, 200, 3, 5, missing=0.2, low=1))
    low, high = bootstrap_alpha_ci(ratings, level=level, n_resamples=500)
    assert low < krippendorff_alpha(ratings, level=level) < high


def test_bootstrap_of_1000_units_brackets_alpha_and_repeats_with_its_seed():
    # How fast: bench/bench_agreement.py (speed is never asserted by a clock in a test).
    ratings = triples(random_matrix(141, 1000, 5, 10, missing=0.1))
    low, high = bootstrap_alpha_ci(ratings, n_resamples=1000, seed=3)
    assert low < krippendorff_alpha(ratings) < high
    assert bootstrap_alpha_ci(ratings, n_resamples=1000, seed=3) == (low, high)


def test_bootstrap_rejects_nonsense_parameters():
    ratings = triples(KRIPPENDORFF_2011)
    with pytest.raises(ValueError):
        bootstrap_alpha_ci(ratings, n_resamples=0)
    with pytest.raises(ValueError):
        bootstrap_alpha_ci(ratings, confidence=1.0)
