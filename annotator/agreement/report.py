"""Agreement figures of a project: per field, per pair of annotators, per annotator, per
document, per source, and the confusion tables, computed with `annotator.agreement` from the
coded annotations of `agreement_data`. See agreement_data for the fields and their levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import ngettext

from ..models import Project
from . import statistics
from .breakdowns import (
    ConfusionTable,
    DocumentFigure,
    confusion_table,
    document_figures,
    figure_warnings,
    unit_scores,
)
from .data import AgreementData, Field, Filters, agreement_data

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


def field_figure(data: AgreementData, f: Field, resamples: int = RESAMPLES) -> FieldFigure:
    coded = data.coded(f)
    alpha = statistics.krippendorff_alpha(coded, f.level)
    ci95 = (float("nan"), float("nan"))
    if resamples and not math.isnan(alpha):
        ci95 = statistics.bootstrap_alpha_ci(coded, f.level, n_resamples=resamples)
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
        percent=statistics.percent_agreement(coded),
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
    return statistics.cohen_kappa_from_confusion(confusion, weights=f.weights)


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


def json_key(field) -> str:
    """A field by stable keys: the grades as they are, a label group by its key ("bias"), a
    label of a multiple-choice group as "group:label" ("persuasion-techniques:doubt")."""
    if field.label is not None:
        return f"{field.group.key}:{field.label.key}"
    if field.group is not None:
        return field.group.key
    return field.key


def report_json(report: AgreementReport) -> dict:
    """The figures for scripts: fields named by their stable keys (json_key)."""
    names = [user.get_username() for user in report.data.coders]
    keys = {field.key: json_key(field) for field in report.data.fields}
    return {
        "fields": {
            keys[figure.field.key]: {
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
                "kappa": {keys[key]: number(value) for key, value in pair.kappa.items()},
            }
            for pair in report.pairs
        ],
        "annotators": [
            {
                "annotator": names[figure.coder],
                "units": figure.units,
                "mean_kappa": {
                    keys[key]: number(value) for key, value in figure.mean_kappa.items()
                },
                "gold_units": figure.gold_units,
                "accuracy": {keys[key]: number(value) for key, value in figure.accuracy.items()},
            }
            for figure in report.annotators
        ],
    }
