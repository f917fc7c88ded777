"""The bundle every export is: ``PATH`` (the data), ``PATH.documents.jsonl`` (one line per
document: the texts the statement offsets point into, which ``import_dataset`` rebuilds
documents from) and ``PATH.card.md`` (the dataset card). Written as three files by
``export_dataset`` (all or none), or streamed as one zip by the admin's download."""

from __future__ import annotations

import io
import shlex
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .card import dataset_card
from .selection import DatasetExport, export_snapshot
from .writers import DATA_WRITERS, csv_chunks, jsonl_chunks, write_jsonl


def companion_names(data_name: str) -> tuple[str, str]:
    return f"{data_name}.documents.jsonl", f"{data_name}.card.md"


def export_command(export: DatasetExport, fmt: str, output: str) -> str:
    parts = [
        "python", "manage.py", "export_dataset", "--project", export.project.name,
        "--format", fmt, "--output", output,
    ]  # fmt: skip
    if export.gold_only:
        parts.append("--gold-only")
    if export.since is not None:
        parts += ["--since", export.since.isoformat()]
    if export.real_names:
        parts.append("--real-names")
    return shlex.join(parts)


def dataset_write(*, export: DatasetExport, fmt: str, path: Path) -> list[Path]:
    """Write PATH, PATH.documents.jsonl and PATH.card.md; return the three paths.

    Each file is written under a temporary name and renamed only when all three are complete,
    so an export that fails half-way (the database going away, a full disk) leaves no file
    that could be mistaken for a dataset, and a rerun simply writes them again.
    """
    documents_name, card_name = companion_names(path.name)
    targets = [path, path.parent / documents_name, path.parent / card_name]
    partials = [target.with_name(f".{target.name}.partial") for target in targets]
    try:
        with export_snapshot():
            with partials[0].open("wb") as out:
                DATA_WRITERS[fmt](export, out)
            with partials[1].open("wb") as out:
                write_jsonl(export.document_records(), out)
            command = export_command(export, fmt, str(path))
            card = dataset_card(
                export=export,
                fmt=fmt,
                data_name=path.name,
                documents_name=documents_name,
                command=command,
            )
        partials[2].write_text(card, encoding="utf-8")
        for partial, target in zip(partials, targets, strict=True):
            partial.replace(target)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return targets


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes a generator collects (zipfile writes into it)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def zip_stream(*, export: DatasetExport, fmt: str, data_name: str) -> Iterator[bytes]:
    """The three files as one zip, produced while it is sent: jsonl and csv stream row by row
    (the first bytes leave at once); xlsx and parquet are built in a temporary file first."""

    documents_name, card_name = companion_names(data_name)
    pipe = _Pipe()
    with export_snapshot(), zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(data_name, "w", force_zip64=True) as member:
            if fmt in ("jsonl", "csv"):
                chunks = jsonl_chunks(export.records()) if fmt == "jsonl" else csv_chunks(export)
                for chunk in chunks:
                    member.write(chunk.encode())
                    yield pipe.take()
            else:
                with tempfile.TemporaryFile() as spool:
                    DATA_WRITERS[fmt](export, spool)
                    spool.seek(0)
                    while block := spool.read(1 << 20):
                        member.write(block)
                        yield pipe.take()
        with archive.open(documents_name, "w", force_zip64=True) as member:
            for chunk in jsonl_chunks(export.document_records()):
                member.write(chunk.encode())
                yield pipe.take()
        card = dataset_card(
            export=export,
            fmt=fmt,
            data_name=data_name,
            documents_name=documents_name,
            command=export_command(export, fmt, data_name),
        )
        archive.writestr(card_name, card)
    yield pipe.take()
