"""The dataset card written with every export (``PATH.card.md``): a Markdown page for people with
a YAML front matter for programs (as Hugging Face dataset cards have), which `import_dataset`
reads to rebuild the project, label vocabularies and sources.

Agreement per field is Krippendorff's alpha over the exported statements' submitted annotations
(annotator/agreement.py): source nominal (no source is a value of its own), reliability ordinal
over A–E and credibility ordinal over 1–5 with F and 6 ("cannot be judged") as missing,
single-choice label groups nominal (no label is a value of its own), multiple-choice groups MASI.
The annotations are read once, as integer arrays (`agreement.CodedRatings`), so a million
annotations take a few tens of megabytes, not a Python object per rating.
"""

from __future__ import annotations

import html
import math
import re
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter

import numpy as np
import yaml
from django.db.models import Count, Q

from .agreement import CodedRatings, krippendorff_alpha
from .exporting import DatasetExport, companion_names
from .models import Annotation, InfoCredibility, LabelGroup, Source, SourceReliability

NO_VALUE = 0  # "no source" / "no label": a value of its own, never a real primary key
READ_CHUNK = 10_000


RELIABILITY_SCALE = list("ABCDE")  # F: reliability cannot be judged -> missing
CREDIBILITY_SCALE = list("12345")  # 6: truth cannot be judged -> missing


@dataclass
class CodedAnnotations:
    """The exported annotations as integer arrays (one pass, no Python object per rating):
    statement, source (NO_VALUE for none), grade ranks (-1 for F/6) and label profile."""

    statement: np.ndarray
    source: np.ndarray
    reliability: np.ndarray
    credibility: np.ndarray
    profile: np.ndarray
    profiles: list[tuple[int, ...]]  # profile index -> sorted label ids


def coded_annotations(export: DatasetExport) -> CodedAnnotations:
    """Annotations in id order merged with their labels (also in annotation order)."""
    annotations = export.annotations().order_by("pk")
    through = Annotation.labels.through.objects.filter(annotation__in=annotations)
    chosen = groupby(
        through.order_by("annotation_id")
        .values_list("annotation_id", "label_id")
        .iterator(chunk_size=READ_CHUNK),
        key=itemgetter(0),
    )
    reliability_rank = {grade: rank for rank, grade in enumerate(RELIABILITY_SCALE)}
    credibility_rank = {grade: rank for rank, grade in enumerate(CREDIBILITY_SCALE)}
    # Grade ranks fit a byte, profiles (distinct label sets, a few hundred) an int32.
    types = {"statement": "q", "source": "q", "rel": "b", "cred": "b", "profile": "i"}
    columns = {name: array(code) for name, code in types.items()}
    profile_index: dict[tuple, int] = {}
    next_id, next_labels = next(chosen, (None, ()))
    rows = annotations.values_list(
        "pk", "statement_id", "source_id", "source_reliability", "info_credibility"
    )
    for pk, statement, source, reliability, credibility in rows.iterator(chunk_size=READ_CHUNK):
        while next_id is not None and next_id < pk:  # labels of an annotation saved meanwhile
            next_id, next_labels = next(chosen, (None, ()))
        labels: tuple = ()
        if pk == next_id:
            labels = tuple(sorted(label for _pk, label in next_labels))
            next_id, next_labels = next(chosen, (None, ()))
        columns["statement"].append(statement)
        columns["source"].append(source or NO_VALUE)
        columns["rel"].append(reliability_rank.get(reliability, -1))
        columns["cred"].append(credibility_rank.get(credibility, -1))
        columns["profile"].append(profile_index.setdefault(labels, len(profile_index)))
    dtypes = {"q": np.int64, "b": np.int8, "i": np.int32}
    arrays = {
        name: np.frombuffer(column, dtype=dtypes[column.typecode])
        for name, column in columns.items()
    }
    return CodedAnnotations(
        statement=arrays["statement"],
        source=arrays["source"],
        reliability=arrays["rel"],
        credibility=arrays["cred"],
        profile=arrays["profile"],
        profiles=list(profile_index),
    )


def group_values(export: DatasetExport, group: LabelGroup, profiles: list[tuple]) -> list:
    """Each profile's value in `group`: a set (multiple choice), or one label id (NO_VALUE
    for none; several labels, which only bad data has, as a tuple of their ids)."""
    values = []
    for profile in profiles:
        chosen = tuple(pk for pk in profile if export.labels[pk][0].pk == group.pk)
        if group.multiple:
            values.append(frozenset(chosen))
        else:
            values.append(chosen[0] if len(chosen) == 1 else chosen or NO_VALUE)
    return values


def agreement_figures(export: DatasetExport) -> list[dict]:
    data = coded_annotations(export)
    _statements, unit = np.unique(data.statement, return_inverse=True)
    unit = unit.reshape(-1)

    def alpha(codes: np.ndarray, categories: list, level: str) -> float | None:
        value = krippendorff_alpha(CodedRatings(unit, codes, categories), level=level)
        return None if math.isnan(value) else round(float(value), 4)

    sources, source_codes = np.unique(data.source, return_inverse=True)
    figures = [
        {"field": "source", "level": "nominal",
         "alpha": alpha(source_codes.reshape(-1), sources.tolist(), "nominal")},
        {"field": "source_reliability", "level": "ordinal A–E (F missing)",
         "alpha": alpha(data.reliability, RELIABILITY_SCALE, "ordinal")},
        {"field": "info_credibility", "level": "ordinal 1–5 (6 missing)",
         "alpha": alpha(data.credibility, CREDIBILITY_SCALE, "ordinal")},
    ]  # fmt: skip
    for group in export.groups:
        values = group_values(export, group, data.profiles)
        categories = list(dict.fromkeys(values))
        category_of_profile = np.array(
            [categories.index(value) for value in values], dtype=np.int64
        )
        level = "masi" if group.multiple else "nominal"
        figures.append(
            {
                "field": f"labels.{group.name}",
                "level": "MASI (sets)" if group.multiple else "nominal",
                "alpha": alpha(category_of_profile[data.profile], categories, level)
                if values
                else None,
            }
        )
    return figures


def counts(export: DatasetExport) -> dict:
    annotations = export.annotations()
    statements = export.statements()
    methods = dict(
        export.gold_labels().values_list("method").annotate(n=Count("id")).order_by("method")
    )
    per_statement = annotations.values("statement_id").annotate(n=Count("id"))
    return {
        "documents": export.documents().count(),
        "statements": statements.count(),
        "statements_with_two_or_more_annotations": per_statement.filter(n__gte=2).count(),
        "annotations": annotations.count(),
        "drafts_not_exported": Annotation.objects.filter(
            statement__in=statements, status=Annotation.Status.DRAFT
        ).count(),
        "annotators": annotations.order_by().values("annotator_id").distinct().count(),
        "gold_labels": sum(methods.values()),
        "gold_labels_by_method": {str(method): n for method, n in methods.items()},
    }


def per_annotator(export: DatasetExport) -> list[tuple[str, int]]:
    rows = export.annotations().values_list("annotator_id").annotate(n=Count("id"))
    return sorted(
        ((export.people.get(pk, str(pk)), n) for pk, n in rows),
        key=lambda item: (len(item[0]), item[0]),
    )


def grade_distribution(export: DatasetExport, field: str) -> dict[str, int]:
    rows = export.annotations().values_list(field).annotate(n=Count("id"))
    return dict(sorted(rows))


def vocabulary() -> list[dict]:
    return [
        {
            "name": group.name,
            "description": group.description,
            "multiple": group.multiple,
            "required": group.required,
            "position": group.position,
            "labels": [
                {"name": label.name, "description": label.description, "position": label.position}
                for label in group.labels.order_by("position", "name")
            ],
        }
        for group in LabelGroup.objects.order_by("position", "name").prefetch_related("labels")
    ]


def sources_used(export: DatasetExport) -> list[dict]:
    sources = Source.objects.filter(
        Q(pk__in=export.annotations().values("source_id"))
        | Q(pk__in=export.gold_labels().values("source_id"))
        | Q(pk__in=export.statements().values("suggested_source_id"))
    ).order_by("name")
    return [
        {
            "name": source.name,
            "kind": source.kind,
            "country": source.country,
            "aliases": source.alias_list,
            "description": source.description,
        }
        for source in sources
    ]


def front_matter(export: DatasetExport, *, fmt: str, data_name: str, exported_at, facts) -> str:
    project = export.project
    documents_name, _card = companion_names(data_name)
    meta = {
        "dataset": "source-credibility-annotations",
        "project": {
            "name": project.name,
            "description": project.description,
            "guidelines": project.guidelines,
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


def text(value) -> str:
    """Text from the database as Markdown shows it: HTML in a name or description (typed by a
    lead, or arriving with an import) is shown as written, never rendered."""
    return html.escape(str(value), quote=False)


def code_block(content: str, language: str = "") -> str:
    """A fenced block longer than any run of backticks inside, so no name can close it."""
    runs = [len(run) for run in re.findall(r"`+", content)]
    fence = "`" * max([3, *(run + 1 for run in runs)])
    return f"{fence}{language}\n{content}\n{fence}"


def table(header: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        return text(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def dataset_card(*, export: DatasetExport, fmt: str, data_name: str, command: str) -> str:
    exported_at = datetime.now(UTC).replace(microsecond=0)
    facts = {
        "counts": counts(export),
        "agreement": agreement_figures(export),
        "vocabulary": vocabulary(),
        "sources": sources_used(export),
    }
    number = facts["counts"]
    project = export.project
    documents_name, _card = companion_names(data_name)
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
    meta = front_matter(export, fmt=fmt, data_name=data_name, exported_at=exported_at, facts=facts)
    sections = [
        f"---\n{meta}---",
        f"# {text(project.name)}",
        text(project.description),
        table(
            ["", ""],
            [
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
            ],
        ),
        "## Reproduce this export\n\n" + code_block(command, "sh") + "\n\n"
        "The same files come from the project's admin page (*Export dataset*) as one zip.",
        RECORD_LAYOUT.format(data=data_name, documents=documents_name),
        "## Label schema",
        SCHEMA_FIELDS,
        table(
            ["source_reliability", "meaning"],
            [[v, str(label)] for v, label in SourceReliability.choices],
        ),
        table(
            ["info_credibility", "meaning"],
            [[v, str(label)] for v, label in InfoCredibility.choices],
        ),
        *[group_section(group) for group in facts["vocabulary"]],
        "## Agreement",
        AGREEMENT_TEXT.format(pairable=number["statements_with_two_or_more_annotations"]),
        table(
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
        "## Annotators",
        table(["annotator", "annotations"], [list(row) for row in per_annotator(export)]),
        "## Grades given",
        table(
            ["source_reliability", "annotations"],
            [list(row) for row in grade_distribution(export, "source_reliability").items()],
        ),
        table(
            ["info_credibility", "annotations"],
            [list(row) for row in grade_distribution(export, "info_credibility").items()],
        ),
        "## Sources",
        table(
            ["source", "kind", "country or affiliation"],
            [[s["name"], s["kind"], s["country"]] for s in facts["sources"]],
        ),
        SAFETY_TEXT,
        f"## Guidelines (version {text(project.guidelines_version)})\n\n"
        + (text(project.guidelines) or "(none recorded)"),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def group_section(group: dict) -> str:
    kind = "multiple choice" if group["multiple"] else "single choice"
    required = ", required" if group["required"] else ""
    rows = [[label["name"], label["description"]] for label in group["labels"]]
    heading = f"### labels.{text(group['name'])} ({kind}{required})"
    return f"{heading}\n\n{text(group['description'])}\n\n" + table(["label", "meaning"], rows)


RECORD_LAYOUT = """## Files and record layout

* `{data}`: the data (below).
* `{documents}`: one JSON line per document: `id`, `external_id`, `title`, `text` (the full
  text the offsets point into), `language`, `url`, `place`, `published_at`, `outlet`,
  `listed_sources`. `python manage.py import_dataset {data}` rebuilds the project from the data,
  this file and (if present) this card.
* this card: Markdown with a YAML front matter (project, label groups, sources, counts).

**jsonl / parquet**, one record per statement: `id`, `document_id`, `document_title`,
`document_external_id`, `position`, `paragraph`, `text`, `start`, `end` (character offsets:
`document.text[start:end] == text`), `language`, `suggested_source`, `suggested_mention`,
`suggested_cue`, `suggested_cue_span`, `suggested_mention_span` (the attribution suggested at
import, spans relative to `text`), `annotations` (a list: `annotator`, `source`,
`source_mention`, `source_reliability`, `info_credibility`, `admiralty_code` such as "E4",
`labels` as `{{group: label or null}}` for single-choice and `{{group: [labels]}}` for
multiple-choice groups, `note`, `submitted_at` in UTC), `gold` (the same fields plus `method`,
`decided_by`, `rationale`; null without a gold label) and `agreement` (below). Parquet holds the
same records as a typed table (`submitted_at` a UTC timestamp).

**csv** (long format): one row per submitted annotation with the statement's columns, the
annotation's, and the gold label in `gold.*` columns; a statement without annotations has one
row with empty annotation columns. Labels are one column per group (`labels.<group>`), several
labels of a multiple-choice group joined by `|`. UTF-8, comma-separated, CRLF line ends.

**xlsx**: sheet `statements` (one row per statement with its gold label and agreement), sheet
`annotations` (one row per annotation), sheet `sources` (the sources the export refers to).

Only submitted annotations are exported; drafts are work in progress."""

SCHEMA_FIELDS = """\
* **source**: who the statement comes from, a name from the shared source registry; empty
  means no attributed source (the author's own voice). `source_mention`: the words naming it.
* **source_reliability** and **info_credibility**: the Admiralty code (NATO STANAG 2511 /
  AJP-2.1), judged independently and shown together as `admiralty_code` (e.g. "E4"). F and 6
  mean "cannot be judged", not "worst".
* **labels**: the bias label groups below.
* **note**: the annotator's free-text note."""

AGREEMENT_TEXT = """\
Krippendorff's alpha per field over the {pairable} exported statements with two or more
submitted annotations: `source` nominal (no source is a value of its own), `source_reliability`
ordinal over A–E and `info_credibility` ordinal over 1–5, with F and 6 treated as missing (not
a seventh step of the scale), single-choice label groups nominal (no label is a value of its
own), multiple-choice groups with the MASI distance. "undefined": fewer than two annotations
per statement, or no variation at all.

Each record's `agreement` gives per statement: `annotators` (how many submitted annotations)
and, per field, the share of annotator pairs that agree exactly (F and 6 left out of the
grades; multiple-choice groups: the mean MASI similarity); null with fewer than two values."""

SAFETY_TEXT = """## Spreadsheet safety (CSV injection)

In the csv and xlsx files every text cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return (after any leading single quotes) is prefixed with a single quote `'`, so no
spreadsheet program runs it as a formula (OWASP "CSV injection"). To get the original text back,
remove one leading `'` from values matching `^'+[=+\\-@\\t\\r]`. The jsonl and parquet files keep
every text verbatim: use them for NLP."""


def card_front_matter(text: str) -> dict:
    """The YAML front matter of a dataset card ({} if it has none)."""
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    return yaml.safe_load(text[4:end]) or {} if end != -1 else {}
