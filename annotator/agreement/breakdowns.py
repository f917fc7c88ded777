"""Agreement broken down: per statement (the scores the disagreement queue sorts by), per
document, per source (its grades and how far annotators agree on them), and the confusion tables
of a field. Computed from the coded annotations of `agreement.data`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from ..labelling import GRADES
from ..models import Document, Source
from . import statistics
from .data import AgreementData, Field

RELIABILITY = GRADES["source_reliability"]
CREDIBILITY = GRADES["info_credibility"]
MIN_UNITS = 30  # fewer pairable units: the interval is wide, the figure not to be trusted
DOMINANT_SHARE = 0.9  # one category above this share: alpha swings with a few values


def percent_agreement(units: np.ndarray, codes: np.ndarray, width: int) -> float:
    """As statistics.percent_agreement (exact equality), from one sort of (unit, value) keys."""
    present = codes >= 0
    width = max(width, 1)
    keys, counts = np.unique(units[present] * width + codes[present], return_counts=True)
    key_units = keys // width
    n_units = int(key_units.max()) + 1 if key_units.size else 0
    totals = np.bincount(key_units, weights=counts, minlength=n_units)
    pairable = totals >= 2
    if not pairable.any():
        return float("nan")
    same = np.bincount(key_units, weights=counts * (counts - 1.0), minlength=n_units)
    return float((same[pairable] / (totals[pairable] * (totals[pairable] - 1))).mean())


def figure_warnings(alpha: float, units: int, top_name: str, top_share: float) -> list[str]:
    warnings = []
    if math.isnan(alpha):
        warnings.append(
            str(_("Undefined: no statement has two or more values to compare."))
            if units == 0
            else str(_("Undefined: every value is the same, so there is no variation to judge."))
        )
    if 0 < units < MIN_UNITS:
        warnings.append(
            str(
                _("Only %(units)d statements with two or more values: too few to trust (%(min)d+).")
            )
            % {"units": units, "min": MIN_UNITS}
        )
    if top_share > DOMINANT_SHARE and not math.isnan(alpha):
        warnings.append(
            str(
                _(
                    "“%(name)s” makes up %(share)d%% of the values: with one category dominating, "
                    "alpha swings with a few values; read the confusion table too."
                )
            )
            % {"name": top_name, "share": round(100 * top_share)}
        )
    return warnings


# --------------------------------------------------------------------------------------------
# Per statement and per document
# --------------------------------------------------------------------------------------------


@dataclass
class UnitScores:
    """Per statement: agreement per main field (nan where fewer than two values), whether the
    raw values differ (F and 6 included: "E" against "F" is a disagreement to settle), and the
    mean agreement over the fields."""

    score: dict[str, np.ndarray]
    disagrees: dict[str, np.ndarray]
    combined: np.ndarray
    annotations: np.ndarray

    def any_disagreement(self, keys: list[str] | None = None) -> np.ndarray:
        keys = keys or list(self.disagrees)
        return np.logical_or.reduce([self.disagrees[key] for key in keys])


def unit_scores(data: AgreementData) -> UnitScores:
    order = np.argsort(data.unit, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(data.unit[order]) != 0]) if data.n_rows else []
    score, disagrees = {}, {}
    for f in data.main_fields:
        units, per_unit = statistics.per_unit_agreement_array(data.coded(f), f.level)
        values = np.full(data.n_units, np.nan)
        values[np.asarray(units, dtype=np.intp)] = per_unit
        score[f.key] = values
        raw = f.raw[order]
        disagrees[f.key] = (
            np.minimum.reduceat(raw, starts) != np.maximum.reduceat(raw, starts)
            if data.n_rows
            else np.zeros(0, dtype=bool)
        )
    stacked = np.vstack(list(score.values())) if score else np.zeros((0, data.n_units))
    defined = ~np.isnan(stacked)
    fields_defined = defined.sum(axis=0)
    combined = np.divide(
        np.where(defined, stacked, 0.0).sum(axis=0),
        fields_defined,
        out=np.full(data.n_units, np.nan),
        where=fields_defined > 0,
    )
    return UnitScores(score, disagrees, combined, np.bincount(data.unit, minlength=data.n_units))


@dataclass
class DocumentFigure:
    document_id: int
    title: str
    statements: int
    annotations: int
    disagreements: int
    agreement: float  # mean per-statement agreement
    alpha: dict[str, float]  # source, reliability, credibility


DOCUMENT_ALPHA_FIELDS = ("source", "source_reliability", "info_credibility")


def document_figures(
    data: AgreementData, scores: UnitScores, limit: int = 50
) -> tuple[list[DocumentFigure], int]:
    """The `limit` least agreeing documents (alphas computed for those only), and how many
    documents there are."""

    unit_document = np.zeros(data.n_units, dtype=np.int64)
    unit_document[data.unit] = data.document
    document_ids, doc_of_unit = np.unique(unit_document, return_inverse=True)
    doc_of_unit = doc_of_unit.reshape(-1)
    n_docs = document_ids.size
    defined = ~np.isnan(scores.combined)
    score_sum = np.bincount(doc_of_unit[defined], scores.combined[defined], minlength=n_docs)
    score_n = np.bincount(doc_of_unit[defined], minlength=n_docs)
    mean = np.divide(score_sum, score_n, out=np.full(n_docs, np.nan), where=score_n > 0)
    statements = np.bincount(doc_of_unit, minlength=n_docs)
    annotations = np.bincount(doc_of_unit, weights=scores.annotations, minlength=n_docs)
    disagreements = np.bincount(
        doc_of_unit, weights=scores.any_disagreement() if data.n_units else None, minlength=n_docs
    )
    worst = np.lexsort((document_ids, np.where(np.isnan(mean), 2.0, mean)))[:limit]
    titles = dict(
        Document.objects.filter(pk__in=document_ids[worst].tolist()).values_list("pk", "title")
    )
    row_doc = doc_of_unit[data.unit]
    figures = []
    for d in worst.tolist():
        rows = np.flatnonzero(row_doc == d)
        figures.append(
            DocumentFigure(
                document_id=int(document_ids[d]),
                title=titles.get(int(document_ids[d]), ""),
                statements=int(statements[d]),
                annotations=int(annotations[d]),
                disagreements=int(disagreements[d]),
                agreement=float(mean[d]),
                alpha={
                    key: statistics.krippendorff_alpha(data.coded(f, rows), f.level)
                    for key in DOCUMENT_ALPHA_FIELDS
                    for f in [data.field(key)]
                },
            )
        )
    return figures, int(n_docs)


# --------------------------------------------------------------------------------------------
# Confusion tables
# --------------------------------------------------------------------------------------------


@dataclass
class ConfusionTable:
    field: Field
    names: list[str]
    rows: list[tuple[str, list[float], float]]  # (category, coincidences, row total)
    collapsed: int  # categories folded into "other"


def confusion_table(data: AgreementData, f: Field, limit: int = 12) -> ConfusionTable:
    """Krippendorff's coincidence matrix of the field: how often values were paired within a
    statement. Categories nobody used are left out; beyond `limit`, the rarest are folded
    into "other"."""
    matrix = statistics.coincidence_matrix(data.coded(f), f.level)[1]
    totals = matrix.sum(axis=1)
    used = np.flatnonzero(totals > 0)
    names = [f.names[i] for i in used]
    matrix = matrix[np.ix_(used, used)]
    collapsed = 0
    if used.size > limit:
        keep = np.sort(np.argsort(-matrix.sum(axis=1), kind="stable")[: limit - 1])
        rest = np.setdiff1d(np.arange(used.size), keep)
        collapsed = rest.size
        index = np.r_[keep, np.full(rest.size, limit - 1)]
        order = np.r_[keep, rest]
        folded = np.zeros((limit, limit))
        np.add.at(folded, (index[:, None], index[None, :]), matrix[np.ix_(order, order)])
        matrix = folded
        names = [names[i] for i in keep] + [str(_("other (%(n)d)")) % {"n": collapsed}]
    return ConfusionTable(
        field=f,
        names=names,
        rows=[
            (name, row.tolist(), float(row.sum())) for name, row in zip(names, matrix, strict=True)
        ],
        collapsed=collapsed,
    )


# --------------------------------------------------------------------------------------------
# Per source
# --------------------------------------------------------------------------------------------


@dataclass
class GradeAgreement:
    """Agreement on one grade among the annotations naming one source."""

    alpha: float
    units: int
    percent: float  # exact agreement (F and 6 left out, as for alpha)
    top_grade: str
    top_share: float
    warnings: list[str]


@dataclass
class SourceProfile:
    """How the statements annotators attributed to one source were graded, and how much
    they agree on it: alpha over those annotations, statement by statement."""

    source: Source | None
    name: str
    annotations: int
    statements: int
    reliability: list[tuple[str, int, float]]  # (grade, count, share) for A–F
    credibility: list[tuple[str, int, float]]  # for 1–6
    code: str  # the most common Admiralty code, e.g. "E4"
    code_share: float
    reliability_agreement: GradeAgreement
    credibility_agreement: GradeAgreement


def distribution(counts: np.ndarray, scale: str) -> list[tuple[str, int, float]]:
    total = counts.sum()
    return [
        (g, int(c), float(c / total) if total else 0.0) for g, c in zip(scale, counts, strict=True)
    ]


def grade_agreement(data: AgreementData, f: Field, rows: np.ndarray) -> GradeAgreement:
    codes = f.codes[rows]
    units = np.unique(data.unit[rows], return_inverse=True)[1].reshape(-1)
    pairable = np.bincount(units[codes >= 0], minlength=units.max() + 1 if units.size else 0)
    tally = np.bincount(codes[codes >= 0], minlength=len(f.categories))
    top = int(tally.argmax())
    top_share = float(tally[top] / tally.sum()) if tally.sum() else 0.0
    alpha = statistics.krippendorff_alpha(data.coded(f, rows), f.level)
    n_units = int(np.count_nonzero(pairable >= 2))
    return GradeAgreement(
        alpha=alpha,
        units=n_units,
        percent=percent_agreement(units, codes, len(f.categories)),
        top_grade=f.categories[top] if tally.sum() else "",
        top_share=top_share,
        warnings=figure_warnings(alpha, n_units, f.categories[top], top_share),
    )


def source_profiles(data: AgreementData) -> list[SourceProfile]:
    """Every source annotators chose, most annotated first; "no source" last."""
    reliability, credibility = data.field("source_reliability"), data.field("info_credibility")
    source_ids, source_of_row = np.unique(data.source, return_inverse=True)
    source_of_row = source_of_row.reshape(-1)
    order = np.argsort(source_of_row, kind="stable")
    bounds = np.searchsorted(source_of_row[order], np.arange(source_ids.size + 1))
    profiles = []
    for s, source_id in enumerate(source_ids.tolist()):
        rows = order[bounds[s] : bounds[s + 1]]
        codes = np.bincount(reliability.raw[rows] * 6 + credibility.raw[rows], minlength=36)
        best = int(codes.argmax())
        source = data.sources.get(source_id)
        profiles.append(
            SourceProfile(
                source=source,
                name=str(source) if source else str(_("— no source (the author’s own voice)")),
                annotations=int(rows.size),
                statements=int(np.unique(data.unit[rows]).size),
                reliability=distribution(
                    np.bincount(reliability.raw[rows], minlength=6), RELIABILITY
                ),
                credibility=distribution(
                    np.bincount(credibility.raw[rows], minlength=6), CREDIBILITY
                ),
                code=RELIABILITY[best // 6] + CREDIBILITY[best % 6],
                code_share=float(codes[best] / rows.size),
                reliability_agreement=grade_agreement(data, reliability, rows),
                credibility_agreement=grade_agreement(data, credibility, rows),
            )
        )
    profiles.sort(key=lambda p: (p.source is None, -p.annotations, p.name))
    return profiles
