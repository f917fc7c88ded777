"""The bundle every export is: ``PATH`` (the data), ``PATH.documents.jsonl`` (one line per
document: the texts the statement offsets point into, which ``import_dataset`` rebuilds
documents from) and ``PATH.card.md`` (the dataset card). Written as three files by
``export_dataset`` (all or none); the admin's export job (tasks.py) packs them into one zip."""

from __future__ import annotations

import shlex
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import yaml

from .forked_copy import data_forked
from .selection import DatasetExport, export_snapshot
from .writers import DATA_WRITERS, write_jsonl


def companion_names(data_name: str) -> tuple[str, str]:
    return f"{data_name}.documents.jsonl", f"{data_name}.card.md"


def card_meta(text: str) -> dict:
    """The YAML front matter of a dataset card ({} if it has none): what import_dataset reads
    of the card. Here rather than in card.py, so that an import does not load the card's
    statistics (numpy) only to read a few lines of YAML."""
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    return yaml.safe_load(text[4:end]) or {} if end != -1 else {}


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


def data_in_child(
    export: DatasetExport, fmt: str, path: Path, wrap
) -> AbstractContextManager[bool]:
    """The data (csv, jsonl) written by a child process meanwhile (forked_copy), where it can
    be: not where a wrapper must see the bytes as they are written."""
    if wrap is None:
        return data_forked(export, fmt, path)
    return nullcontext(False)


def dataset_write(*, export: DatasetExport, fmt: str, path: Path, wrap=None) -> list[Path]:
    """Write PATH, PATH.documents.jsonl and PATH.card.md; return the three paths.

    Each file is written under a temporary name and renamed only when all three are complete,
    so an export that fails half-way (the database going away, a full disk) leaves no file
    that could be mistaken for a dataset, and a rerun simply writes them again. `wrap`, if
    given, wraps the data file's stream (a background job counts the bytes with it).
    """
    documents_name, card_name = companion_names(path.name)
    targets = [path, path.parent / documents_name, path.parent / card_name]
    partials = [target.with_name(f".{target.name}.partial") for target in targets]
    try:
        with export_snapshot(), data_in_child(export, fmt, partials[0], wrap) as forked:
            # Imported here, once the child copies the data: numpy and the card's modules
            # (only an export needs them) would delay its start by as long as they load.
            from .card import dataset_card

            # The card first: its arrays are freed before the data's writer (pyarrow's)
            # takes memory of its own, so the two peaks do not add up.
            card = dataset_card(
                export=export,
                fmt=fmt,
                data_name=path.name,
                documents_name=documents_name,
                command=export_command(export, fmt, str(path)),
            )
            if not forked:
                with partials[0].open("wb") as out:
                    DATA_WRITERS[fmt](export, wrap(out) if wrap else out)
            with partials[1].open("wb") as out:
                write_jsonl(export.document_records(), out)
        partials[2].write_text(card, encoding="utf-8")
        for partial, target in zip(partials, targets, strict=True):
            partial.replace(target)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return targets
