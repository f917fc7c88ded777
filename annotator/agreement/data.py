"""The submitted annotations of a project, read for the agreement figures and coded as arrays.

One query reads every submitted annotation with its labels aggregated into the row; the rows
become one structured array, and each labelled field becomes integer codes per row (-1 where
missing) over its categories. Everything in the report, the breakdowns and the disagreement
queue is computed from these arrays with `agreement.statistics`; nothing is queried per
statement.

Fields and their levels:
- source: nominal; "no source" (the author's own voice) is a category of its own.
- source_reliability: ordinal over A–E, info_credibility: ordinal over 1–5 (the labelling
  schema's ORDINAL_SCALES: F and 6, "cannot be judged", are missing).
- each single-choice label group: nominal ("none chosen" is a category).
- each multi-choice label group: MASI over the chosen set, and each of its labels as a binary
  nominal field (chosen or not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Aggregate, CharField, QuerySet, Value, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from ..labelling import CANNOT_JUDGE, GRADES, ORDINAL_SCALES, project_label_groups
from ..models import Annotation, GoldLabel, Label, LabelGroup, Project, Source
from . import statistics

NO_SOURCE = 0  # source ids start at 1
NOT_IN_DATA = -2  # a gold value no annotation has


class LabelIds(Aggregate):
    """The ids of an annotation's labels, comma-separated (NULL when it has none)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(CAST(%(expressions)s AS text), ',')",
            **extra,
        )


@dataclass(frozen=True)
class Filters:
    document: int | None = None
    annotators: tuple[int, ...] = ()
    submitted_from: date | None = None
    submitted_to: date | None = None


def annotations_submitted(*, project: Project, filters: Filters = Filters()) -> QuerySet:
    """Only submitted annotations count; drafts may still change."""
    queryset = Annotation.objects.submitted().in_project(project)
    if filters.document:
        queryset = queryset.filter(statement__document_id=filters.document)
    if filters.annotators:
        queryset = queryset.filter(annotator_id__in=filters.annotators)
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_to:
        queryset = queryset.filter(submitted_at__date__lte=filters.submitted_to)
    return queryset.order_by()


ROW_FIELDS = ("statement_id", "source_or_none", "source_reliability", "info_credibility")


def labelling_rows(queryset: QuerySet, *extra: str) -> QuerySet:
    """(statement, source or NO_SOURCE, reliability, credibility, label ids, *extra) rows."""
    return queryset.annotate(
        source_or_none=Coalesce("source_id", Value(NO_SOURCE)), label_ids=LabelIds("labels")
    ).values_list(*ROW_FIELDS, "label_ids", *extra)


def annotation_rows(*, project: Project, filters: Filters = Filters()) -> list[tuple]:
    """(statement, source, reliability, credibility, label ids, annotator, document) per
    submitted annotation, in one query. The ORM writes the SQL; a plain cursor reads the
    rows, which saves Django's per-row iteration on hundreds of thousands of them (none of
    these columns needs a converter)."""
    queryset = labelling_rows(
        annotations_submitted(project=project, filters=filters),
        "annotator_id",
        "statement__document_id",
    )
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def gold_rows(*, project: Project, filters: Filters = Filters()) -> list[tuple]:
    queryset = GoldLabel.objects.filter(statement__document__project=project).order_by()
    if filters.document:
        queryset = queryset.filter(statement__document_id=filters.document)
    return list(labelling_rows(queryset))


def label_set(label_ids: str | None) -> frozenset[int]:
    return frozenset(int(i) for i in label_ids.split(",")) if label_ids else frozenset()


# --------------------------------------------------------------------------------------------
# Coding the rows
# --------------------------------------------------------------------------------------------


@dataclass
class Field:
    """One labelled field, coded: category index per row (-1 missing) and the raw value code
    (F and 6 included) that decides whether two annotations are identical."""

    key: str  # as in the JSON output: source, source_reliability, info_credibility, group name
    title: str
    level: str
    categories: list  # values, ranked for ordinal fields
    names: list[str]  # how each category is shown
    codes: np.ndarray
    raw: np.ndarray
    raw_names: list[str]
    group: LabelGroup | None = None
    label: Label | None = None  # a label of a multi-choice group, as a binary field

    @property
    def weights(self) -> str | None:
        return "linear" if self.level == "ordinal" else None

    @property
    def is_label(self) -> bool:
        return self.label is not None


def factorized(values: np.ndarray) -> tuple[list, np.ndarray]:
    categories, codes = np.unique(values, return_inverse=True)
    return categories.tolist(), codes.reshape(-1).astype(np.intp)


def grade_codes(values: np.ndarray, first: str) -> np.ndarray:
    """Single-character grades as their positions on the scale (A/1 -> 0 ... F/6 -> 5)."""
    characters = np.ascontiguousarray(values, dtype="<U1")
    return (characters.view(np.int32) - ord(first)).astype(np.intp)


def grade_fields(reliability: np.ndarray, credibility: np.ndarray) -> list[Field]:
    fields = []
    for key, title, values in (
        ("source_reliability", _("source reliability"), reliability),
        ("info_credibility", _("information credibility"), credibility),
    ):
        grades = GRADES[key]
        raw = grade_codes(values, grades[0])
        cannot_judge = grades.index(CANNOT_JUDGE[key])
        fields.append(
            Field(
                key=key,
                title=title,
                level="ordinal",
                categories=list(ORDINAL_SCALES[key]),
                names=list(ORDINAL_SCALES[key]),
                codes=np.where(raw == cannot_judge, -1, raw),  # cannot be judged: missing
                raw=raw,
                raw_names=list(grades),
            )
        )
    return fields


def source_field(source_ids: np.ndarray, sources: dict[int, Source]) -> Field:
    categories, codes = factorized(np.asarray(source_ids, dtype=np.int64))
    names = [str(sources[s]) if s in sources else str(_("— no source")) for s in categories]
    return Field(
        key="source",
        title=_("source"),
        level="nominal",
        categories=categories,
        names=names,
        codes=codes,
        raw=codes,
        raw_names=names,
    )


def label_group_fields(
    profiles: list[frozenset[int]], profile_of_row: np.ndarray, groups: list[LabelGroup]
) -> list[Field]:
    """Fields of the label groups, each computed once per distinct label set (profile)."""
    fields = []
    for group in groups:
        labels = list(group.labels.all())
        in_group = {label.pk for label in labels}
        name = {label.pk: label.display_name for label in labels}
        chosen = [profile & in_group for profile in profiles]
        if not group.multiple:
            per_profile = np.array([min(c) if c else 0 for c in chosen], dtype=np.int64)
            categories, profile_codes = factorized(per_profile)
            names = [name.get(c, str(_("— none"))) for c in categories]
            level = "nominal"
        else:
            index: dict[frozenset, int] = {}
            profile_codes = np.array([index.setdefault(c, len(index)) for c in chosen], np.intp)
            categories = list(index)
            names = [", ".join(sorted(name[i] for i in c)) or str(_("— none")) for c in categories]
            level = "masi"
        codes = profile_codes[profile_of_row] if len(profiles) else np.zeros(0, np.intp)
        fields.append(
            Field(
                group.name, group.display_name, level, categories, names, codes, codes, names, group
            )
        )
        if group.multiple:
            for label in labels:
                per_profile = np.array([label.pk in c for c in chosen], dtype=np.intp)
                codes = per_profile[profile_of_row] if len(profiles) else np.zeros(0, np.intp)
                yes_no = [str(_("not chosen")), str(_("chosen"))]
                fields.append(
                    Field(
                        key=f"{group.name}: {label.name}",
                        title=label.display_name,
                        level="nominal",
                        categories=[False, True],
                        names=yes_no,
                        codes=codes,
                        raw=codes,
                        raw_names=yes_no,
                        group=group,
                        label=label,
                    )
                )
    return fields


@dataclass
class AgreementData:
    """The submitted annotations of a project (filtered), coded as arrays.

    Rows are annotations; `unit` is the statement's index into `statement_ids`, `coder` the
    annotator's index into `coders`. Gold labels are coded with the same categories; `gold`
    holds per field the gold raw code of each unit (NOT_IN_DATA where there is none).
    """

    project: Project
    filters: Filters
    statement_ids: np.ndarray
    unit: np.ndarray
    coder: np.ndarray
    coders: list
    document: np.ndarray
    source: np.ndarray  # source id per row, NO_SOURCE for none
    fields: list[Field]
    sources: dict[int, Source]
    has_gold: np.ndarray  # per unit
    gold: dict[str, np.ndarray] = field(default_factory=dict)
    coded_fields: dict[str, statistics.CodedRatings] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return int(self.unit.size)

    @property
    def n_units(self) -> int:
        return int(self.statement_ids.size)

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    @property
    def main_fields(self) -> list[Field]:
        return [f for f in self.fields if not f.is_label]

    def coded(self, field: Field, rows: np.ndarray | None = None) -> statistics.CodedRatings:
        """The field's ratings (of the selected rows) for `agreement.statistics`; all rows'
        are kept, so every figure of the field shares one tally."""
        if rows is None:
            if field.key not in self.coded_fields:
                self.coded_fields[field.key] = statistics.CodedRatings(
                    self.unit, field.codes, field.categories
                )
            return self.coded_fields[field.key]
        units, compact = np.unique(self.unit[rows], return_inverse=True)
        return statistics.CodedRatings(compact.reshape(-1), field.codes[rows], field.categories)


ROW_DTYPE = np.dtype(
    [
        ("statement", np.int64),
        ("source", np.int64),
        ("reliability", "<U1"),
        ("credibility", "<U1"),
        ("label_ids", object),
        ("annotator", np.int64),
        ("document", np.int64),
    ]
)


def row_table(rows: list[tuple], padding: tuple = ()) -> np.ndarray:
    """Rows as one structured array: columns come out as numpy arrays without transposing
    hundreds of thousands of tuples in Python."""
    padded = (row + padding for row in rows) if padding else rows
    return np.fromiter(padded, dtype=ROW_DTYPE, count=len(rows))


def agreement_data(*, project: Project, filters: Filters = Filters()) -> AgreementData:
    rows = row_table(annotation_rows(project=project, filters=filters))
    golds = row_table(gold_rows(project=project, filters=filters), padding=(0, 0))
    groups = project_label_groups(project)
    prefetch_related_objects(groups, "labels")
    sources = {source.pk: source for source in Source.objects.all()}
    n = rows.size
    both = np.concatenate([rows, golds])  # gold coded with the annotations: same categories
    label_ids = both["label_ids"].tolist()

    # Label sets repeat: code each distinct one once (the same set in another order too).
    distinct = {ids: i for i, ids in enumerate(dict.fromkeys(label_ids))}
    profile_of_row = np.fromiter(map(distinct.__getitem__, label_ids), np.intp, len(label_ids))
    profiles = [label_set(ids) for ids in distinct]
    fields = [
        source_field(both["source"], sources),
        *grade_fields(both["reliability"], both["credibility"]),
        *label_group_fields(profiles, profile_of_row, groups),
    ]
    statement_array = both["statement"]
    statement_ids, unit = np.unique(statement_array[:n], return_inverse=True)
    coder_ids, coder = np.unique(rows["annotator"], return_inverse=True)
    users = get_user_model().objects.in_bulk(coder_ids.tolist())

    gold_units = np.searchsorted(statement_ids, statement_array[n:])
    gold_units = np.minimum(gold_units, max(statement_ids.size - 1, 0))
    known = statement_ids[gold_units] == statement_array[n:] if statement_ids.size else []
    has_gold = np.zeros(statement_ids.size, dtype=bool)
    has_gold[gold_units[known]] = True
    gold = {}
    for f in fields:
        per_unit = np.full(statement_ids.size, NOT_IN_DATA, dtype=np.intp)
        per_unit[gold_units[known]] = f.raw[n:][known]
        gold[f.key] = per_unit
        f.codes, f.raw = f.codes[:n], f.raw[:n]
    return AgreementData(
        project=project,
        filters=filters,
        statement_ids=statement_ids,
        unit=unit.reshape(-1).astype(np.intp),
        coder=coder.reshape(-1).astype(np.intp),
        coders=[users[i] for i in coder_ids.tolist()],
        document=np.ascontiguousarray(rows["document"]),
        source=np.ascontiguousarray(rows["source"]),
        fields=fields,
        sources=sources,
        has_gold=has_gold,
        gold=gold,
    )
