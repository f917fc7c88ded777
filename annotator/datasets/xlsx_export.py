"""The xlsx export: three sheets through the streaming writer (xlsx.py) from one pass over the
export's records. The statements sheet goes into the zip as the records come; each record's
annotation rows are built as XML at once and kept compressed (SpooledSheet) until the
statements are written, then copied into the zip: no row is kept as Python objects, built
twice or compressed twice.

The annotation rows repeat their values: the statement's cells are built once for its rows,
and the cells of repeated texts (pseudonyms, sources, grades, label sets) are looked up
(TextCells, LabellingCells). Each cell is what row_xml writes for it, so the sheet's XML is the
same as a row-by-row writer's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.db.models import Q

from ..models import Source
from .selection import DatasetExport, span_text, timestamp
from .xlsx import XLSX_MAX_ROWS, SpooledSheet, StreamingWorkbook, TextCells, cell_xml

LABELLING_HEADER = ["source", "source_mention", "source_reliability", "info_credibility",
                    "admiralty_code"]  # fmt: skip


def statement_header(export: DatasetExport) -> list[str]:
    return [
        *export.csv_header()[:9], "annotations",
        *[f"gold.{column}" for column in LABELLING_HEADER],
        *export.label_columns("gold."), "gold.note", "gold.method", "gold.decided_by",
        "gold.rationale", "agreement.source", "agreement.source_reliability",
        "agreement.info_credibility", *[f"agreement.labels.{group.key}" for group in export.groups],
    ]  # fmt: skip


def annotation_header(export: DatasetExport) -> list[str]:
    """The statement's id, position and text, and the annotation's own columns: those before
    the gold label's, and three of the four added last."""
    header = export.csv_header()
    gold_start = header.index("gold.source")
    return [header[0], header[3], header[4], *header[9:gold_start], *header[-4:-1]]


class LabellingCells:
    """The cells of an annotation's labelling (source, mention, grades, admiralty code, labels,
    note: export.flat_labelling), kept per distinct labelling: the same few recur (at most
    LIMIT are kept: memory stays flat)."""

    LIMIT = 2_000

    def __init__(self, export: DatasetExport, cells: TextCells):
        self.export, self.cells = export, cells
        self.known: dict[tuple, str] = {}

    def __call__(self, annotation: dict) -> str:
        # label_values hands out one dict per label set, kept for the whole export: its id
        # stands for the set.
        key = (annotation["source"], annotation["source_mention"],
               annotation["source_reliability"], annotation["info_credibility"],
               id(annotation["labels"]), annotation["note"])  # fmt: skip
        xml = self.known.get(key)
        if xml is None:
            xml = "".join(map(self.cells, self.export.flat_labelling(annotation)))
            if len(self.known) < self.LIMIT:
                self.known[key] = xml
        return xml


class AnnotationRows:
    """One record's rows of the annotations sheet, as XML."""

    def __init__(self, export: DatasetExport, cells: TextCells):
        self.cells = cells
        self.labelling = LabellingCells(export, cells)

    def __call__(self, record: dict) -> Iterator[str]:
        cells, labelling = self.cells, self.labelling
        statement = (
            f"<row>{cell_xml(record['id'])}{cell_xml(record['position'])}"
            f"{cell_xml(record['text'], neutralised=cells.neutralised)}"
        )
        for annotation in record["annotations"]:
            if annotation["annotator"] is not None:  # as the long rows of a statement without any
                yield (
                    statement
                    + cells(annotation["annotator"])
                    + labelling(annotation)
                    # Distinct on nearly every row: built, not looked up (a time, a span: never
                    # quoted).
                    + cell_xml(timestamp(annotation["submitted_at"]))
                    + cell_xml(span_text(annotation["source_mention_span"]))
                    + cells(annotation["guidelines_version"])
                    + cell_xml(annotation["seconds_spent"])
                    + "</row>"
                )


def statement_rows(export: DatasetExport, annotations: SpooledSheet) -> Iterator[list]:
    """The statements sheet's rows; each record's annotation rows go to `annotations`, so the
    data is read once for both sheets."""
    groups = export.groups
    annotation_rows = AnnotationRows(export, TextCells(neutralised=True))
    add = annotations.add
    for record in export.records():
        for row in annotation_rows(record):
            add(row)
        agreement = record["agreement"]
        yield [
            *export.statement_columns(record),
            len(record["annotations"]),
            *export.gold_columns(record["gold"]),
            agreement["source"],
            agreement["source_reliability"],
            agreement["info_credibility"],
            *[agreement["labels"][group.key] for group in groups],
        ]


def source_rows(export: DatasetExport) -> Iterator[list]:
    """The sources the export refers to."""
    sources = Source.objects.filter(
        Q(pk__in=export.annotations().values("source_id"))
        | Q(pk__in=export.gold_labels().values("source_id"))
        | Q(pk__in=export.statements().values("suggested_source_id"))
    ).order_by("name")
    for source in sources:
        yield [source.name, source.get_kind_display(), source.country,
               "; ".join(source.alias_list), source.description]  # fmt: skip


def write_xlsx(export: DatasetExport, out: IO[bytes], *, max_rows: int | None = None) -> None:
    """Statements, annotations (long) and sources; a sheet past Excel's row limit (`max_rows`,
    by default Excel's) continues in "NAME (2)", ... Every text cell is neutralised
    (safety.py)."""
    workbook = StreamingWorkbook(
        out, max_rows=XLSX_MAX_ROWS if max_rows is None else max_rows, neutralised=True
    )
    annotations = workbook.spooled("annotations", annotation_header(export))
    workbook.write_sheet(
        "statements", statement_header(export), statement_rows(export, annotations)
    )
    workbook.write_spooled(annotations)
    workbook.write_sheet("sources", ["name", "kind", "country", "aliases", "description"],
                         source_rows(export))  # fmt: skip
    workbook.close()
