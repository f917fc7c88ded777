"""Agreement figures of a project: per field, per pair of annotators, per annotator, per
document, per source, and the confusion tables, computed with `annotator.agreement` from the
coded annotations of `agreement_data`. See agreement_data for the fields and their levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import agreement
from .agreement_data import (
    CREDIBILITY,
    RELIABILITY,
    AgreementData,
    Field,
    Filters,
    agreement_data,
)
from .models import Project, Source

MIN_UNITS = 30  # fewer pairable units: the interval is wide, the figure not to be trusted
DOMINANT_SHARE = 0.9  # one category above this share: alpha swings with a few values
RESAMPLES = 1000


# --------------------------------------------------------------------------------------------
# Per field
# --------------------------------------------------------------------------------------------


@dataclass
class FieldFigure:
    field: Field
    alpha: float
    ci95: tuple[float, float]
    units: int  # pairable units: statements with two or more (non-missing) values
    values: int  # values in pairable units
    percent: float  # observed agreement: the share of agreeing pairs, per unit, averaged
    top_name: str
    top_share: float
    warnings: list[str]
    labels: list[FieldFigure] = field(default_factory=list)  # per label of a multi-choice group


def values_per_unit(data: AgreementData, f: Field) -> np.ndarray:
    return np.bincount(data.unit[f.codes >= 0], minlength=data.n_units)


def percent_agreement(units: np.ndarray, codes: np.ndarray, width: int) -> float:
    """As agreement.percent_agreement (exact equality), from one sort of (unit, value) keys."""
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


def field_figure(data: AgreementData, f: Field, resamples: int = RESAMPLES) -> FieldFigure:
    coded = data.coded(f)
    alpha = agreement.krippendorff_alpha(coded, f.level)
    ci95 = (float("nan"), float("nan"))
    if resamples and not math.isnan(alpha):
        ci95 = agreement.bootstrap_alpha_ci(coded, f.level, n_resamples=resamples)
    per_unit = values_per_unit(data, f)
    in_pairable = (f.codes >= 0) & (per_unit[data.unit] >= 2)
    tally = np.bincount(f.codes[in_pairable], minlength=len(f.categories))
    values = int(in_pairable.sum())
    top = int(tally.argmax()) if values else 0
    top_share = float(tally[top] / values) if values else 0.0
    units = int(np.count_nonzero(per_unit >= 2))
    top_name = f.names[top] if f.names else ""
    return FieldFigure(
        field=f,
        alpha=alpha,
        ci95=ci95,
        units=units,
        values=values,
        percent=agreement.percent_agreement(coded),
        top_name=top_name,
        top_share=top_share,
        warnings=figure_warnings(alpha, units, top_name, top_share),
    )


def field_figures(data: AgreementData, resamples: int = RESAMPLES) -> list[FieldFigure]:
    """One figure per main field; a multi-choice group's labels nested in its figure."""
    figures: list[FieldFigure] = []
    for f in data.fields:
        figure = field_figure(data, f, resamples)
        if f.is_label:
            figures[-1].labels.append(figure)
        else:
            figures.append(figure)
    return figures


# --------------------------------------------------------------------------------------------
# Pairs of annotators and annotators
# --------------------------------------------------------------------------------------------


@dataclass
class PairFigure:
    first: int  # coder indices
    second: int
    units: int  # statements both annotated
    kappa: dict[str, float]  # per main field except multi-choice (MASI) groups


def kappa_fields(data: AgreementData) -> list[Field]:
    return [f for f in data.main_fields if f.level != "masi"]


def coder_pairs(data: AgreementData) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (left, right) of every two annotations of the same statement, the left
    one by the annotator with the lower index, grouped by pair of annotators."""
    order = np.lexsort((data.coder, data.unit))
    unit = data.unit[order]
    lefts, rights = [], []
    for distance in range(1, int(np.bincount(unit).max()) if unit.size else 1):
        same = unit[:-distance] == unit[distance:]
        lefts.append(order[:-distance][same])
        rights.append(order[distance:][same])
    if not lefts:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    left, right = np.concatenate(lefts), np.concatenate(rights)
    by_pair = np.argsort(data.coder[left] * len(data.coders) + data.coder[right], kind="stable")
    return left[by_pair], right[by_pair]


def pair_kappa(f: Field, first: np.ndarray, second: np.ndarray) -> float:
    present = (first >= 0) & (second >= 0)
    first, second = first[present], second[present]
    k = len(f.categories)  # ordinal: the whole scale, linear weights by position on A–E / 1–5
    if k > 64 and f.level != "ordinal":  # many sources: only those the two used
        both = np.unique(np.concatenate([first, second]), return_inverse=True)[1]
        both = both.reshape(-1)
        first, second = both[: first.size], both[first.size :]
        k = int(both.max()) + 1 if both.size else 1
    confusion = np.bincount(first * k + second, minlength=k * k).reshape(k, k)
    return agreement.cohen_kappa_from_confusion(confusion, weights=f.weights)


def pair_figures(data: AgreementData) -> list[PairFigure]:
    left, right = coder_pairs(data)
    keys = data.coder[left] * len(data.coders) + data.coder[right]
    pair_keys, starts, sizes = np.unique(keys, return_index=True, return_counts=True)
    fields = kappa_fields(data)
    figures = []
    for key, start, size in zip(pair_keys.tolist(), starts.tolist(), sizes.tolist(), strict=True):
        rows_a, rows_b = left[start : start + size], right[start : start + size]
        figures.append(
            PairFigure(
                first=key // len(data.coders),
                second=key % len(data.coders),
                units=size,
                kappa={f.key: pair_kappa(f, f.codes[rows_a], f.codes[rows_b]) for f in fields},
            )
        )
    return figures


@dataclass
class AnnotatorFigure:
    coder: int
    user: object
    units: int  # submitted annotations
    mean_kappa: dict[str, float]  # with the others, per field
    gold_units: int
    accuracy: dict[str, float]  # share of gold-labelled statements where the value equals gold


def nanmean(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else float("nan")


def annotator_figures(data: AgreementData, pairs: list[PairFigure]) -> list[AnnotatorFigure]:
    n = len(data.coders)
    units = np.bincount(data.coder, minlength=n)
    with_gold = data.has_gold[data.unit]
    gold_units = np.bincount(data.coder[with_gold], minlength=n)
    accuracy = {}
    for f in data.main_fields:
        equal = f.raw[with_gold] == data.gold[f.key][data.unit[with_gold]]
        hits = np.bincount(data.coder[with_gold], weights=equal, minlength=n)
        accuracy[f.key] = np.divide(hits, gold_units, out=np.full(n, np.nan), where=gold_units > 0)
    figures = []
    for coder, user in enumerate(data.coders):
        own = [p for p in pairs if coder in (p.first, p.second)]
        figures.append(
            AnnotatorFigure(
                coder=coder,
                user=user,
                units=int(units[coder]),
                mean_kappa={
                    f.key: nanmean([p.kappa[f.key] for p in own]) for f in kappa_fields(data)
                },
                gold_units=int(gold_units[coder]),
                accuracy={key: float(values[coder]) for key, values in accuracy.items()},
            )
        )
    return figures


@dataclass
class Cell:
    kappa: float | None
    units: int
    colour: str
    diagonal: bool = False

    @property
    def title(self) -> str:
        return ngettext(
            "%(units)d statement in common", "%(units)d statements in common", self.units
        ) % {"units": self.units}


@dataclass
class Heatmap:
    field: Field
    rows: list[tuple[object, list[Cell]]]


def kappa_colour(kappa: float | None) -> str:
    """Red (0 and below) through yellow to green (1); grey where undefined."""
    if kappa is None or math.isnan(kappa):
        return "#e0e0e0"
    hue = round(120 * min(max(kappa, 0.0), 1.0))
    return f"hsl({hue}, 70%, 75%)"


def heatmaps(data: AgreementData, pairs: list[PairFigure]) -> list[Heatmap]:
    by_pair = {}
    for pair in pairs:
        by_pair[pair.first, pair.second] = by_pair[pair.second, pair.first] = pair
    maps = []
    for f in kappa_fields(data):
        rows = []
        for i, user in enumerate(data.coders):
            cells = []
            for j in range(len(data.coders)):
                pair = by_pair.get((i, j))
                kappa = pair.kappa[f.key] if pair else None
                cells.append(
                    Cell(kappa, pair.units if pair else 0, kappa_colour(kappa), diagonal=i == j)
                )
            rows.append((user, cells))
        maps.append(Heatmap(f, rows))
    return maps


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
        units, per_unit = agreement.per_unit_agreement_array(data.coded(f), f.level)
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
    from .models import Document

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
                    key: agreement.krippendorff_alpha(data.coded(f, rows), f.level)
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
    matrix = agreement.coincidence_matrix(data.coded(f), f.level)[1]
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
    alpha = agreement.krippendorff_alpha(data.coded(f, rows), f.level)
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


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


@dataclass
class AgreementReport:
    data: AgreementData
    fields: list[FieldFigure]
    pairs: list[PairFigure]
    annotators: list[AnnotatorFigure]
    heatmaps: list[Heatmap]
    documents: list[DocumentFigure]
    documents_total: int
    confusion: list[ConfusionTable]
    disagreements: int
    gold_labels: int


def agreement_report(
    *, project: Project, filters: Filters | None = None, resamples: int = RESAMPLES
) -> AgreementReport:
    data = agreement_data(project=project, filters=filters or Filters())
    pairs = pair_figures(data)
    scores = unit_scores(data)
    documents, documents_total = document_figures(data, scores)
    return AgreementReport(
        data=data,
        fields=field_figures(data, resamples),
        pairs=pairs,
        annotators=annotator_figures(data, pairs),
        heatmaps=heatmaps(data, pairs),
        documents=documents,
        documents_total=documents_total,
        confusion=[confusion_table(data, f) for f in data.main_fields if f.level != "masi"],
        disagreements=int(scores.any_disagreement().sum()) if data.n_units else 0,
        gold_labels=int(data.has_gold.sum()),
    )


def number(value: float) -> float | None:
    """JSON has no NaN: undefined figures are null."""
    return None if value is None or math.isnan(value) else float(value)


def report_json(report: AgreementReport) -> dict:
    names = [user.get_username() for user in report.data.coders]
    return {
        "fields": {
            figure.field.key: {
                "alpha": number(figure.alpha),
                "level": figure.field.level,
                "units": figure.units,
                "ci95": [number(figure.ci95[0]), number(figure.ci95[1])],
            }
            for figure in report.fields
        },
        "pairs": [
            {
                "annotators": [names[pair.first], names[pair.second]],
                "units": pair.units,
                "kappa": {key: number(value) for key, value in pair.kappa.items()},
            }
            for pair in report.pairs
        ],
        "annotators": [
            {
                "annotator": names[figure.coder],
                "units": figure.units,
                "mean_kappa": {key: number(value) for key, value in figure.mean_kappa.items()},
                "gold_units": figure.gold_units,
                "accuracy": {key: number(value) for key, value in figure.accuracy.items()},
            }
            for figure in report.annotators
        ],
    }
