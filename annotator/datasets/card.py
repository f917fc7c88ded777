"""The dataset card written with every export (``PATH.card.md``): a Markdown page for people with
a YAML front matter for programs (as Hugging Face dataset cards have), which `import_dataset`
reads to rebuild the project, label vocabularies and sources.

Agreement per field is Krippendorff's alpha over the exported statements' submitted annotations
(agreement.statistics): source nominal (no source is a value of its own), reliability ordinal
over A–E and credibility ordinal over 1–5 with F and 6 ("cannot be judged") as missing,
single-choice label groups nominal (no label is a value of its own), multiple-choice groups MASI.
The annotations are read once, as compact integer arrays (coded.py: on PostgreSQL plain binary
COPYs that numpy parses, the label pairs on a second connection in the export's snapshot), and
every figure of the card (counts, per annotator, grade distributions, alpha) is computed from
them, alpha slice by slice of whole statements: a million annotations take about 13 MB, not a
Python object per rating.

The card is rendered from the template ``annotator/datasets/card.md``; text from the database is
shown as written, never rendered as HTML, and no name can break out of a table or code block
(templatetags/dataset_card.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import yaml
from django.db.models import Count, prefetch_related_objects
from django.template.loader import render_to_string

from ..agreement.statistics import alpha_from_coincidences, coded_coincidences
from ..labelling import GRADES, ORDINAL_SCALES, project_label_groups
from ..models import Annotation, InfoCredibility, LabelGroup, Project, Source, SourceReliability
from .coded import NO_VALUE, CodedAnnotations, coded_annotations
from .selection import DatasetExport

RELIABILITY_SCALE = ORDINAL_SCALES["source_reliability"]  # F: cannot be judged -> missing
CREDIBILITY_SCALE = ORDINAL_SCALES["info_credibility"]  # 6: cannot be judged -> missing


def ordinal_codes(grades: np.ndarray, scale: list[str]) -> np.ndarray:
    """Indices in GRADES ("ABCDEF", "123456") -> ranks on the ordinal scale; the last grade
    (cannot be judged) and none -> -1 (missing)."""
    return np.where((grades >= 0) & (grades < len(scale)), grades, -1)


def mask_values(group: LabelGroup, bits: list[int], masks: np.ndarray) -> list:
    """Each distinct mask's value in `group`: a set of label ids (multiple choice), or one label
    id (NO_VALUE for none; several labels, which only bad data has, as a tuple of their ids)."""
    values = []
    for mask in masks.tolist():
        chosen = tuple(pk for bit, pk in enumerate(bits) if mask >> bit & 1)
        if group.multiple:
            values.append(frozenset(chosen))
        else:
            values.append(chosen[0] if len(chosen) == 1 else chosen or NO_VALUE)
    return values


UNITS_SLICE = 100_000  # annotations per slice of whole statements counted at a time
BLOCK = 1 << 17  # elements per temporary array in passes over a whole column


def statement_slices(statement: np.ndarray) -> list[tuple[int, int]]:
    """Ranges [low, high) of statement ids holding about UNITS_SLICE annotations each (more
    only where one bin of a 65,536-bin histogram of the ids holds more), so that a slice has
    whole statements and no sorted copy of the column is needed."""
    if not len(statement):
        return []
    low, high = int(statement.min()), int(statement.max())
    shift = max(0, (high - low).bit_length() - 16)
    per_bin = np.zeros(((high - low) >> shift) + 1, dtype=np.int64)
    for start in range(0, len(statement), BLOCK):
        part = statement[start : start + BLOCK]
        per_bin += np.bincount((part - low) >> shift, minlength=len(per_bin))
    cumulative = np.cumsum(per_bin)
    ends = np.searchsorted(cumulative, np.arange(UNITS_SLICE, len(statement), UNITS_SLICE))
    edges = [low, *(low + ((int(end) + 1) << shift) for end in np.unique(ends)), high + 1]
    edges = sorted(set(min(edge, high + 1) for edge in edges))
    return list(itertools.pairwise(edges))


@dataclass
class AlphaField:
    """A field of the card's agreement table: its categories and how to code rows of it."""

    field: str
    level_text: str
    level: str
    categories: list
    codes: Callable[[np.ndarray], np.ndarray]  # rows -> category indices (-1: missing)


def alpha_fields(export: DatasetExport, data: CodedAnnotations) -> list[AlphaField]:
    sources = data.sources
    fields = [
        AlphaField("source", "nominal", "nominal", sources.tolist(),
                   lambda rows: np.searchsorted(sources, data.source[rows])),
        AlphaField("source_reliability", "ordinal A–E (F missing)", "ordinal", RELIABILITY_SCALE,
                   lambda rows: ordinal_codes(data.reliability[rows], RELIABILITY_SCALE)),
        AlphaField("info_credibility", "ordinal 1–5 (6 missing)", "ordinal", CREDIBILITY_SCALE,
                   lambda rows: ordinal_codes(data.credibility[rows], CREDIBILITY_SCALE)),
    ]  # fmt: skip
    for index, group in enumerate(export.groups):
        masks = data.distinct_masks[index]
        values = mask_values(group, data.bits[index], masks)
        categories = list(dict.fromkeys(values))
        category_of_mask = np.array([categories.index(v) for v in values], dtype=np.int64)

        def codes(rows, masks=masks, column=data.masks[index], of_mask=category_of_mask):
            return of_mask[np.searchsorted(masks, column[rows])]

        fields.append(
            AlphaField(
                f"labels.{group.key}",
                "MASI (sets)" if group.multiple else "nominal",
                "masi" if group.multiple else "nominal",
                categories,
                codes,
            )
        )
    return fields


def sliced_coincidences(data: CodedAnnotations, fields: list[AlphaField]):
    """Each field's coincidence matrix, counted slice by slice of whole statements (memory
    bounded by a slice), and the number of statements with two or more annotations."""
    totals = [np.zeros((len(f.categories), len(f.categories))) for f in fields]
    paired = 0
    for low, high in statement_slices(data.statement):
        rows = np.flatnonzero((data.statement >= low) & (data.statement < high))
        unit, size = statement_units(data.statement[rows], low, high)
        paired += int((size >= 2).sum())
        for total, field in zip(totals, fields, strict=True):
            if field.categories:
                total += coded_coincidences(unit, field.codes(rows), len(total), len(size))
    return totals, paired


def statement_units(statement: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's statement as an index 0 .. n - 1, and each statement's number of rows: by
    counting where the ids lie close together (no sort), else by np.unique."""
    if high - low > 4 * len(statement):
        _ids, unit, size = np.unique(statement, return_inverse=True, return_counts=True)
        return unit.reshape(-1), size
    per_id = np.bincount(statement - low, minlength=high - low)
    index = np.cumsum(per_id > 0) - 1
    return index[statement - low], per_id[per_id > 0]


def agreement_figures(export: DatasetExport, data: CodedAnnotations) -> tuple[list[dict], int]:
    """Krippendorff's alpha per field, and the number of statements with two or more
    annotations (counted in the same pass)."""
    fields = alpha_fields(export, data)
    totals, paired = sliced_coincidences(data, fields)
    figures = []
    for field, total in zip(fields, totals, strict=True):
        value = alpha_from_coincidences(field.categories, total, field.level)
        alpha = None if math.isnan(value) else round(float(value), 4)
        figures.append({"field": field.field, "level": field.level_text, "alpha": alpha})
    return figures, paired


def gold_tally(export: DatasetExport) -> list[tuple[str, int | None, int]]:
    """The exported gold labels counted per (method, source): one grouped query for the
    counts by method and the sources the card lists (each query is a pass over the project's
    statements: 0.4 s at 250,000)."""
    gold = export.gold_labels().order_by().values_list("method", "source_id")
    return list(gold.annotate(n=Count("id")))


def counts(export: DatasetExport, data: CodedAnnotations, paired: int, gold: list) -> dict:
    statements = export.statements()
    methods: dict[str, int] = {}
    for method, _source, n in gold:
        methods[str(method)] = methods.get(str(method), 0) + n
    return {
        "documents": export.documents().count(),
        "statements": statements.count(),
        "statements_with_two_or_more_annotations": paired,
        "annotations": len(data),
        "drafts_not_exported": Annotation.objects.drafts().filter(statement__in=statements).count(),
        "annotators": len(data.annotators),
        "gold_labels": sum(methods.values()),
        "gold_labels_by_method": dict(sorted(methods.items())),
    }


def per_annotator(export: DatasetExport, data: CodedAnnotations) -> list[tuple[str, int]]:
    return sorted(
        ((export.people.get(pk, str(pk)), n) for pk, n in data.annotators.items()),
        key=lambda item: (len(item[0]), item[0]),
    )


def grade_distribution(codes: np.ndarray, field: str) -> dict[str, int]:
    grades = GRADES[field]
    tally = [int(np.count_nonzero(codes == index)) for index in range(len(grades))]
    return {grade: n for grade, n in zip(grades, tally, strict=True) if n}


def bilingual(item) -> dict:
    """A group's or label's key, description and names and descriptions in both languages."""
    return {
        "key": item.key,
        "description": item.description,
        **{f"{field}_{code}": getattr(item, f"{field}_{code}") for field in ("name", "description")
           for code in ("de", "en")},
    }  # fmt: skip


def label_row(label: dict) -> list[str]:
    """A label in the card's table: its key (the value the data files hold), its name, and its
    names and descriptions in German and English (the English one falls back to the common
    description, which is written in English)."""
    return [
        label["key"],
        label["name"],
        label["name_de"] or "—",
        label["name_en"] or "—",
        label["description_de"] or "—",
        label["description_en"] or label["description"] or "—",
    ]


def vocabulary(project: Project) -> list[dict]:
    """The project's schema: its groups (retired ones too, whose labels may be in the data)."""
    groups = project_label_groups(project)
    prefetch_related_objects(groups, "labels")
    return [
        {
            "name": group.name,
            **bilingual(group),
            "multiple": group.multiple,
            "required": group.required,
            "position": group.position,
            "labels": [
                {"name": label.name, **bilingual(label), "position": label.position}
                for label in sorted(
                    group.labels.all(), key=lambda label: (label.position, label.name)
                )
            ],
        }
        for group in groups
    ]


def sources_used(export: DatasetExport, data: CodedAnnotations, gold: list) -> list[dict]:
    """The sources the export refers to: the annotations' (from the arrays), the gold labels'
    and the statements' suggestions."""
    ids = set(data.sources.tolist()) - {NO_VALUE}
    ids.update(source for _method, source, _n in gold if source is not None)
    ids.update(
        export.statements()
        .exclude(suggested_source=None)
        .order_by()
        .values_list("suggested_source_id", flat=True)
        .distinct()
    )
    return [
        {
            "name": source.name,
            "kind": source.kind,
            "country": source.country,
            "aliases": source.alias_list,
            "description": source.description,
        }
        for source in Source.objects.filter(pk__in=ids).order_by("name")
    ]


def front_matter(
    export: DatasetExport, *, fmt: str, data_name: str, documents_name: str, exported_at, facts
) -> str:
    project = export.project
    meta = {
        "dataset": "source-credibility-annotations",
        "project": {
            "name": project.name,
            "description": project.description,
            "guidelines": project.guidelines,
            "guidelines_de": project.guidelines_de,
            "guidelines_en": project.guidelines_en,
            "guidelines_version": project.guidelines_version,
            "annotations_per_statement": project.annotations_per_statement,
        },
        "exported_at": exported_at.isoformat(),
        "format": fmt,
        "files": {"data": data_name, "documents": documents_name},
        "filters": {
            "gold_only": export.gold_only,
            "since": export.since.isoformat() if export.since else None,
        },
        "pseudonymised": not export.real_names,
        "counts": facts["counts"],
        "agreement": {row["field"]: row["alpha"] for row in facts["agreement"]},
        "label_groups": facts["vocabulary"],
        "sources": facts["sources"],
    }
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)


def dataset_card(
    *, export: DatasetExport, fmt: str, data_name: str, documents_name: str, command: str
) -> str:
    exported_at = datetime.now(UTC).replace(microsecond=0)
    data = coded_annotations(export)  # read once; every figure below comes from it
    agreement, paired = agreement_figures(export, data)
    gold = gold_tally(export)
    facts = {
        "counts": counts(export, data, paired, gold),
        "agreement": agreement,
        "vocabulary": vocabulary(export.project),
        "sources": sources_used(export, data, gold),
    }
    number = facts["counts"]
    project = export.project
    meta = front_matter(
        export,
        fmt=fmt,
        data_name=data_name,
        documents_name=documents_name,
        exported_at=exported_at,
        facts=facts,
    )
    context = {
        "front_matter": meta,
        "project": project,
        "data_name": data_name,
        "documents_name": documents_name,
        "command": command,
        "counts": number,
        "summary": (
            ["", ""],
            summary_rows(export, fmt, data_name, documents_name, number, exported_at),
        ),
        "reliability_meanings": (
            ["source_reliability", "meaning"],
            [[v, str(label)] for v, label in SourceReliability.choices],
        ),
        "credibility_meanings": (
            ["info_credibility", "meaning"],
            [[v, str(label)] for v, label in InfoCredibility.choices],
        ),
        "label_groups": [
            {
                **group,
                "table": (
                    [
                        "key",
                        "name",
                        "German",
                        "English",
                        "description (German)",
                        "description (English)",
                    ],
                    [label_row(label) for label in group["labels"]],
                ),
            }
            for group in facts["vocabulary"]
        ],
        "agreement": (
            ["field", "level", "Krippendorff's alpha"],
            [
                [
                    row["field"],
                    row["level"],
                    "undefined" if row["alpha"] is None else f"{row['alpha']:.3f}",
                ]
                for row in facts["agreement"]
            ],
        ),
        "annotators": (
            ["annotator", "annotations"],
            [list(r) for r in per_annotator(export, data)],
        ),
        "reliability_given": (
            ["source_reliability", "annotations"],
            [list(r) for r in grade_distribution(data.reliability, "source_reliability").items()],
        ),
        "credibility_given": (
            ["info_credibility", "annotations"],
            [list(r) for r in grade_distribution(data.credibility, "info_credibility").items()],
        ),
        "guidelines": guidelines_sections(project),
        "sources": (
            ["source", "kind", "country or affiliation"],
            [[s["name"], s["kind"], s["country"]] for s in facts["sources"]],
        ),
    }
    return render_to_string("annotator/datasets/card.md", context)


def guidelines_sections(project: Project) -> list[tuple[str, str]]:
    """The project's guidelines in German and in English, and the common text where it is
    neither (a project whose guidelines were written in one language only)."""
    sections = [
        (heading, text)
        for heading, text in (("German", project.guidelines_de), ("English", project.guidelines_en))
        if text
    ]
    if project.guidelines and project.guidelines not in (
        project.guidelines_de,
        project.guidelines_en,
    ):
        sections.insert(0, ("", project.guidelines))
    return sections


def summary_rows(
    export: DatasetExport, fmt: str, data_name: str, documents_name: str, number: dict, exported_at
) -> list[list]:
    project = export.project
    methods = ", ".join(f"{n} {m}" for m, n in number["gold_labels_by_method"].items()) or "none"
    filters = []
    if export.gold_only:
        filters.append("only statements with a gold label")
    if export.since:
        filters.append(f"only statements labelled since {export.since.isoformat()}")
    names = (
        "real usernames (--real-names)"
        if export.real_names
        else "pseudonymised: annotator_1, annotator_2, … in the order the accounts were created "
        "(stable across exports of this project); gold deciders who did not annotate are lead_1, …"
    )
    return [
        ["project", project.name],
        ["guidelines version", project.guidelines_version],
        ["exported", exported_at.strftime("%Y-%m-%d %H:%M UTC")],
        ["data", f"`{data_name}` ({fmt})"],
        ["documents", f"`{documents_name}`: {number['documents']} document(s)"],
        ["selection", "; ".join(filters) or "every statement of the project"],
        ["statements", number["statements"]],
        [
            "annotations",
            f"{number['annotations']} submitted "
            f"({number['drafts_not_exported']} drafts not exported)",
        ],
        ["annotators", f"{number['annotators']}, {names}"],
        ["gold labels", f"{number['gold_labels']} ({methods})"],
    ]
