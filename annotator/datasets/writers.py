"""The dataset writers: jsonl (one record per statement) and csv (one row per annotation), each
PostgreSQL's COPY where available and the streaming writer elsewhere, byte for byte the same; xlsx
(sheets of statements, annotations and sources) and parquet (the jsonl records as a typed
table). Each writes into a binary stream as the records come."""

from __future__ import annotations

import csv
import io
import json
import marshal
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from django.db import connection
from django.db.models import Q

from ..models import Source
from .postgres import copy_csv
from .postgres_jsonl import copy_jsonl
from .safety import spreadsheet_row
from .selection import BATCH, DatasetExport, batched, span_text, timestamp

FORMATS = ("jsonl", "csv", "xlsx", "parquet")

# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def jsonl_chunks(records: Iterable[dict]) -> Iterator[str]:
    # One encoder for the whole export: json.dumps with options builds a new one per record.
    encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode
    for batch in batched(records, BATCH):
        yield "".join(encode(record) + "\n" for record in batch)


def csv_writer(buffer: IO[str]):
    # CRLF as RFC 4180 wants; it also makes the csv module quote a lone CR inside a value, as
    # PostgreSQL's COPY does, so both writers produce the same bytes.
    return csv.writer(buffer, lineterminator="\r\n")


def csv_chunks(export: DatasetExport) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(spreadsheet_row(export.csv_header()))
    for rows in batched(export.long_rows(), BATCH):
        writer.writerows(spreadsheet_row(row) for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def csv_header_bytes(export: DatasetExport) -> bytes:
    buffer = io.StringIO()
    csv_writer(buffer).writerow(spreadsheet_row(export.csv_header()))
    return buffer.getvalue().encode()


def write_csv(export: DatasetExport, out: IO[bytes]) -> None:
    """The csv export: PostgreSQL's COPY where available, the streaming writer elsewhere."""
    if connection.vendor == "postgresql":
        out.write(csv_header_bytes(export))
        copy_csv(export, out)
        return
    for chunk in csv_chunks(export):
        out.write(chunk.encode())


def write_jsonl(records: Iterable[dict], out: IO[bytes]) -> None:
    for chunk in jsonl_chunks(records):
        out.write(chunk.encode())


def write_jsonl_export(export: DatasetExport, out: IO[bytes]) -> None:
    """The jsonl export: PostgreSQL's COPY where available, the streaming writer elsewhere."""
    if connection.vendor == "postgresql":
        copy_jsonl(export, out)
        return
    write_jsonl(export.records(), out)


LABELLING_HEADER = ["source", "source_mention", "source_reliability", "info_credibility",
                    "admiralty_code"]  # fmt: skip


def xlsx_sheets(export: DatasetExport) -> dict[str, tuple[list[str], Iterator[list]]]:
    """The three sheets: statements with their gold label and agreement, annotations (long),
    and the sources the export refers to."""
    groups = export.groups
    statement_header = [
        *export.csv_header()[:9], "annotations",
        *[f"gold.{column}" for column in LABELLING_HEADER],
        *export.label_columns("gold."), "gold.note", "gold.method", "gold.decided_by",
        "gold.rationale", "agreement.source", "agreement.source_reliability",
        "agreement.info_credibility", *[f"agreement.labels.{group.key}" for group in groups],
    ]  # fmt: skip
    header = export.csv_header()
    gold_start = header.index("gold.source")
    # The annotation's own columns: before the gold label's, and three of the four added last.
    extra = slice(-4, -1)
    annotation_header = [header[0], header[3], header[4], *header[9:gold_start], *header[extra]]

    spool = RowSpool()

    def statement_rows():
        """The statements sheet's rows; each record's annotation rows go to the spool, so
        the data is read once for both sheets."""
        for record in export.records():
            agreement = record["agreement"]
            spool.add(annotation_sheet_rows(export, record))
            yield [
                *export.statement_columns(record),
                len(record["annotations"]),
                *export.gold_columns(record["gold"]),
                agreement["source"],
                agreement["source_reliability"],
                agreement["info_credibility"],
                *[agreement["labels"][group.key] for group in groups],
            ]

    sources = Source.objects.filter(
        Q(pk__in=export.annotations().values("source_id"))
        | Q(pk__in=export.gold_labels().values("source_id"))
        | Q(pk__in=export.statements().values("suggested_source_id"))
    ).order_by("name")
    source_rows = (
        [source.name, source.get_kind_display(), source.country, "; ".join(source.alias_list),
         source.description]
        for source in sources
    )  # fmt: skip
    return {
        "statements": (statement_header, statement_rows()),
        "annotations": (annotation_header, spool.rows()),
        "sources": (["name", "kind", "country", "aliases", "description"], source_rows),
    }


def annotation_sheet_rows(export: DatasetExport, record: dict) -> Iterator[list]:
    """The annotations sheet's rows of one record: the csv's long rows (record_long_rows) cut
    to the statement's id, position and text and the annotation's own columns, built as they
    are (the whole long row with its gold columns, then cut, cost twice as much)."""
    statement = [record["id"], record["position"], record["text"]]
    for annotation in record["annotations"]:
        if annotation["annotator"] is not None:  # as the long rows of a statement without any
            yield [
                *statement,
                annotation["annotator"],
                *export.flat_labelling(annotation),
                timestamp(annotation["submitted_at"]),
                span_text(annotation["source_mention_span"]),
                annotation["guidelines_version"],
                annotation["seconds_spent"],
            ]


class RowSpool:
    """Rows kept aside in a temporary file and read back in the same order, once: memory
    stays flat however many rows there are. Blocks of rows as marshal bytes, each after its
    length (marshal.load on a file reads in tiny pieces: slower than the rows' XML)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed when read back)
        self.block: list = []

    def add(self, rows: Iterable[list]) -> None:
        self.block.extend(rows)
        if len(self.block) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.block:
            data = marshal.dumps(self.block)
            self.file.write(len(data).to_bytes(8, "little") + data)
            self.block = []

    def rows(self) -> Iterator[list]:
        self.flush()
        self.file.seek(0)
        with self.file:
            while size := self.file.read(8):
                yield from marshal.loads(self.file.read(int.from_bytes(size, "little")))


def write_xlsx(export: DatasetExport, out: IO[bytes], *, max_rows: int | None = None) -> None:
    """The three sheets through the streaming writer (xlsx.py); a sheet past Excel's row limit
    (`max_rows`, by default Excel's) continues in "NAME (2)", ... Every text cell is
    neutralised (safety.py)."""
    from .xlsx import XLSX_MAX_ROWS, StreamingWorkbook  # only this format needs the writer

    workbook = StreamingWorkbook(
        out, max_rows=XLSX_MAX_ROWS if max_rows is None else max_rows, neutralised=True
    )
    for title, (header, rows) in xlsx_sheets(export).items():
        workbook.write_sheet(title, header, rows)
    workbook.close()


def parquet_schema(export: DatasetExport):
    import pyarrow as pa

    labels = pa.struct(
        [
            pa.field(group.key, pa.list_(pa.string()) if group.multiple else pa.string())
            for group in export.groups
        ]
    )
    labelling = [
        pa.field("source", pa.string()),
        pa.field("source_mention", pa.string()),
        pa.field("source_reliability", pa.string()),
        pa.field("info_credibility", pa.string()),
        pa.field("admiralty_code", pa.string()),
        pa.field("labels", labels),
        pa.field("note", pa.string()),
    ]
    annotation = pa.struct(
        [
            pa.field("annotator", pa.string()),
            *labelling,
            pa.field("submitted_at", pa.timestamp("us", tz="UTC")),
            pa.field("source_mention_span", pa.list_(pa.int64())),
            pa.field("guidelines_version", pa.string()),
            pa.field("seconds_spent", pa.int64()),
        ]
    )
    gold = pa.struct(
        [
            *labelling,
            pa.field("method", pa.string()),
            pa.field("decided_by", pa.string()),
            pa.field("rationale", pa.string()),
            pa.field("source_mention_span", pa.list_(pa.int64())),
        ]
    )
    agreement = pa.struct(
        [
            pa.field("annotators", pa.int64()),
            pa.field("source", pa.float64()),
            pa.field("source_reliability", pa.float64()),
            pa.field("info_credibility", pa.float64()),
            pa.field(
                "labels", pa.struct([pa.field(group.key, pa.float64()) for group in export.groups])
            ),
        ]
    )
    text, integer, span_type = pa.string(), pa.int64(), pa.list_(pa.int64())
    return pa.schema(
        [
            ("id", integer), ("document_id", integer), ("document_title", text),
            ("document_external_id", text), ("position", integer), ("paragraph", integer),
            ("text", text), ("start", integer), ("end", integer), ("language", text),
            ("suggested_source", text), ("suggested_mention", text), ("suggested_cue", text),
            ("suggested_cue_span", span_type), ("suggested_mention_span", span_type),
            ("annotations", pa.list_(annotation)), ("gold", gold), ("agreement", agreement),
        ]
    )  # fmt: skip


PARQUET_ROW_GROUP = 20 * BATCH  # statements per row group


def write_parquet(export: DatasetExport, out: IO[bytes]) -> None:
    """Records turned into Arrow batches BATCH at a time (a Python dict per record weighs
    several times its Arrow form: 10,000 at once took about 90 MB more), written PARQUET_ROW_GROUP
    statements per row group: memory bounded by one row group, at any size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(export)
    with pq.ParquetWriter(out, schema) as writer:
        pending: list = []
        for batch in batched(export.records(), BATCH):
            pending.append(pa.RecordBatch.from_pylist(batch, schema=schema))
            if len(pending) * BATCH >= PARQUET_ROW_GROUP:
                writer.write_table(pa.Table.from_batches(pending, schema=schema))
                pending = []
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema=schema))


DATA_WRITERS = {
    "jsonl": write_jsonl_export,
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}
