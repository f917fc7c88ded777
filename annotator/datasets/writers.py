"""The dataset writers: jsonl (one record per statement) and csv (one row per annotation), each
PostgreSQL's COPY where available and the streaming writer elsewhere, byte for byte the same; xlsx
(sheets of statements, annotations and sources) and parquet (the jsonl records as a typed
table). Each writes into a binary stream as the records come."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from django.db import connection

from .postgres import copy_csv
from .postgres_jsonl import copy_jsonl
from .safety import spreadsheet_row
from .selection import BATCH, DatasetExport, batched, timestamp

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


def write_xlsx(export: DatasetExport, out: IO[bytes], *, max_rows: int | None = None) -> None:
    """The xlsx export (xlsx_export.py), imported here: only this format needs its writer."""
    from .xlsx_export import write_xlsx as written

    written(export, out, max_rows=max_rows)


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
