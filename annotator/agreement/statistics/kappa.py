"""Cohen's kappa (two coders, optionally weighted) and Fleiss' kappa (many coders, fixed
number of ratings per unit)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from .ratings import _is_missing

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
