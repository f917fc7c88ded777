"""Per-statement agreement in a dataset export's records: the share of annotator pairs that
agree, per field, worked out once per combination of values (the same few recur statement after
statement)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..labelling import GRADE_FIELDS, is_judged
from ..models import LabelGroup


def masi_similarity(a: frozenset, b: frozenset) -> float:
    # Imported here: the statistics package loads numpy, which import_dataset (it imports the
    # export's selection, and so this module, for its batches) never needs. Called once per
    # distinct pair (lru_cache below).
    from ..agreement.statistics import masi_distance

    return 1.0 - masi_distance(a, b)


def pairwise_agreement(values: list, similarity=None) -> float | None:
    """Mean agreement over pairs of annotators (exact match unless `similarity` is given)."""
    if len(values) < 2:
        return None
    return _pairwise_agreement(tuple(values), similarity)


# The same few values recur statement after statement (a handful of annotators, a few grades
# and labels): each combination is worked out once. Bounded, so memory stays flat.
@lru_cache(maxsize=20_000)
def _pairwise_agreement(values: tuple, similarity) -> float:
    pairs = [(a, b) for i, a in enumerate(values) for b in values[i + 1 :]]  # a handful
    if similarity is None:
        total = sum(a == b for a, b in pairs)
    else:
        total = sum(similarity(a, b) for a, b in pairs)
    return round(total / len(pairs), 4)


def statement_agreement(annotations: list[dict], groups: list[LabelGroup]) -> dict:
    """Share of annotator pairs that agree, per field; F and 6 ("cannot be judged") are left
    out of the grades, as in the ordinal alpha. Multi-choice groups: mean MASI similarity."""
    figures: dict[str, Any] = {"annotators": len(annotations)}
    figures["source"] = pairwise_agreement([a["source"] for a in annotations])
    for field in GRADE_FIELDS:
        figures[field] = pairwise_agreement(
            [a[field] for a in annotations if is_judged(field, a[field])]
        )
    figures["labels"] = {
        group.key: pairwise_agreement(
            [frozenset(a["labels"][group.key]) for a in annotations], masi_similarity
        )
        if group.multiple
        else pairwise_agreement([a["labels"][group.key] for a in annotations])
        for group in groups
    }
    return figures
