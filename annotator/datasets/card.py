"""The dataset card written with every export (``PATH.card.md``): a Markdown page for people with
a YAML front matter for programs (as Hugging Face dataset cards have), which `import_dataset`
reads to rebuild the project, label vocabularies and sources.

Agreement per field is Krippendorff's alpha over the exported statements' submitted annotations
(agreement.statistics): source nominal (no source is a value of its own), reliability ordinal
over A–E and credibility ordinal over 1–5 with F and 6 ("cannot be judged") as missing,
single-choice label groups nominal (no label is a value of its own), multiple-choice groups MASI.
The annotations are read once, in statement order and block by block (coded.py: on PostgreSQL a
binary COPY that numpy parses, each block's labels on a second connection in the export's
snapshot), and folded into running totals (card_totals.py): counts per annotator and per grade,
and per field a coincidence matrix from which alpha is computed at the end. Nothing is kept per
annotation or per statement: the card's memory is the same at a million annotations as at a
hundred thousand.

The card is rendered from the template ``annotator/datasets/card.md``; text from the database is
shown as written, never rendered as HTML, and no name can break out of a table or code block
(templatetags/dataset_card.py).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache

import numpy as np
import yaml
from django.db.models import Count, prefetch_related_objects
from django.template import Context, Engine

from ..agreement.statistics import alpha_from_coincidences
from ..labelling import GRADES, ORDINAL_SCALES, project_label_groups
from ..models import (
    Annotation,
    GoldLabel,
    InfoCredibility,
    LabelGroup,
    Project,
    Source,
    SourceReliability,
    Statement,
)
from .card_totals import CardTotals
from .coded import NO_VALUE, ExportedRange, card_totals, exported_range
from .selection import DatasetExport

CARD_TEMPLATE = "annotator/datasets/card.md"
RELIABILITY, CREDIBILITY = "source_reliability", "info_credibility"
RELIABILITY_SCALE = ORDINAL_SCALES["source_reliability"]  # F: cannot be judged -> missing
CREDIBILITY_SCALE = ORDINAL_SCALES["info_credibility"]  # 6: cannot be judged -> missing


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


def alpha_fields(export: DatasetExport, totals: CardTotals, bits: list[list[int]]) -> list[tuple]:
    """(field, level as the card names it, level, categories, coincidence matrix) per field:
    the source's and the label groups' categories are the values given, sorted."""
    fields = [
        ("source", "nominal", "nominal", totals.source.values.tolist(), totals.source.matrix),
        ("source_reliability", "ordinal A–E (F missing)", "ordinal", RELIABILITY_SCALE,
         totals.reliability.over(list(range(len(RELIABILITY_SCALE))))),
        ("info_credibility", "ordinal 1–5 (6 missing)", "ordinal", CREDIBILITY_SCALE,
         totals.credibility.over(list(range(len(CREDIBILITY_SCALE))))),
    ]  # fmt: skip
    for group, group_bits, total in zip(export.groups, bits, totals.masks, strict=True):
        fields.append(
            (
                f"labels.{group.key}",
                "MASI (sets)" if group.multiple else "nominal",
                "masi" if group.multiple else "nominal",
                mask_values(group, group_bits, total.values),
                total.matrix,
            )
        )
    return fields


def agreement_figures(
    export: DatasetExport, totals: CardTotals, bits: list[list[int]]
) -> list[dict]:
    """Krippendorff's alpha per field, from the coincidences summed block by block."""
    figures = []
    for field, level_text, level, categories, matrix in alpha_fields(export, totals, bits):
        value = alpha_from_coincidences(categories, matrix, level)
        alpha = None if math.isnan(value) else round(float(value), 4)
        figures.append({"field": field, "level": level_text, "alpha": alpha})
    return figures


def gold_tally(export: DatasetExport, exported: ExportedRange) -> list[tuple[str, int | None, int]]:
    """The exported gold labels counted per (method, source): one grouped query for the
    counts by method and the sources the card lists."""
    gold = GoldLabel.objects.filter(exported.rows_of(export)).order_by()
    gold = gold.values_list("method", "source_id")
    return list(gold.annotate(n=Count("id")))


def counts(export: DatasetExport, exported: ExportedRange, totals: CardTotals, gold: list) -> dict:
    methods: dict[str, int] = {}
    for method, _source, n in gold:
        methods[str(method)] = methods.get(str(method), 0) + n
    return {
        "documents": exported.documents,
        "statements": exported.statements,
        "statements_with_two_or_more_annotations": totals.paired,
        "annotations": totals.annotations,
        "drafts_not_exported": Annotation.objects.drafts().filter(exported.rows_of(export)).count(),
        "annotators": len(totals.annotators),
        "gold_labels": sum(methods.values()),
        "gold_labels_by_method": dict(sorted(methods.items())),
    }


def per_annotator(export: DatasetExport, totals: CardTotals) -> list[tuple[str, int]]:
    return sorted(
        ((export.people.get(pk, str(pk)), n) for pk, n in totals.annotators.items()),
        key=lambda item: (len(item[0]), item[0]),
    )


def grade_distribution(tally: np.ndarray, field: str) -> dict[str, int]:
    """The annotations per grade given (`tally`: per index in "ABCDEF" or "123456")."""
    return {grade: n for grade, n in zip(GRADES[field], tally.tolist(), strict=True) if n}


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


def sources_used(
    export: DatasetExport, exported: ExportedRange, totals: CardTotals, gold: list
) -> list[dict]:
    """The sources the export refers to: the annotations' (the values of their agreement's
    source field), the gold labels' and the statements' suggestions."""
    ids = set(totals.source.values.tolist()) - {NO_VALUE}
    ids.update(source for _method, source, _n in gold if source is not None)
    ids.update(
        Statement.objects.filter(exported.rows_of(export, "pk"))
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
    # The exported statements counted, and their id range found, once for every query below.
    exported = exported_range(export)
    totals, bits = card_totals(export, exported=exported)  # read once; the figures below use it
    gold = gold_tally(export, exported)
    facts = {
        "counts": counts(export, exported, totals, gold),
        "agreement": agreement_figures(export, totals, bits),
        "vocabulary": vocabulary(export.project),
        "sources": sources_used(export, exported, totals, gold),
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
            [list(r) for r in per_annotator(export, totals)],
        ),
        "reliability_given": (
            ["source_reliability", "annotations"],
            [list(r) for r in grade_distribution(totals.reliability_given, RELIABILITY).items()],
        ),
        "credibility_given": (
            ["info_credibility", "annotations"],
            [list(r) for r in grade_distribution(totals.credibility_given, CREDIBILITY).items()],
        ),
        "guidelines": guidelines_sections(project),
        "sources": (
            ["source", "kind", "country or affiliation"],
            [[s["name"], s["kind"], s["country"]] for s in facts["sources"]],
        ),
    }
    return card_engine().get_template(CARD_TEMPLATE).render(Context(context))


@cache
def card_engine() -> Engine:
    """The card's template engine: the apps' template folders as the project's engine reads
    them, and of the template tag libraries only the card's. The project's engine imports every
    app's libraries when it starts (the admin's and the annotation pages' with their modules),
    25 ms of an export command that renders one Markdown page."""
    return Engine(app_dirs=True, libraries={"dataset_card": "annotator.templatetags.dataset_card"})


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
