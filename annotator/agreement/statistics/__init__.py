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

from .alpha import (
    alpha_from_coincidences,
    coded_coincidences,
    coincidence_matrix,
    krippendorff_alpha,
    masi_distance,
    per_unit_agreement,
    per_unit_agreement_array,
    percent_agreement,
)
from .bootstrap import bootstrap_alpha_ci
from .kappa import cohen_kappa, cohen_kappa_from_confusion, fleiss_kappa
from .ratings import LEVELS, CodedRatings

__all__ = [
    "LEVELS",
    "CodedRatings",
    "alpha_from_coincidences",
    "bootstrap_alpha_ci",
    "coded_coincidences",
    "coincidence_matrix",
    "cohen_kappa",
    "cohen_kappa_from_confusion",
    "fleiss_kappa",
    "krippendorff_alpha",
    "masi_distance",
    "per_unit_agreement",
    "per_unit_agreement_array",
    "percent_agreement",
]
