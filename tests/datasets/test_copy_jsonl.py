"""The PostgreSQL jsonl (postgres_jsonl.copy_jsonl) against the streaming writer
(writers.jsonl_chunks over DatasetExport.records): the same bytes."""

from __future__ import annotations

import io

from annotator.datasets.postgres_jsonl import copy_jsonl
from annotator.datasets.selection import DatasetExport
from annotator.datasets.writers import jsonl_chunks


def both(export: DatasetExport) -> tuple[str, str]:
    copied = io.BytesIO()
    copy_jsonl(export, copied)
    return copied.getvalue().decode(), "".join(jsonl_chunks(export.records()))


def test_demo_matches(postgres_only, demo):
    copied, streamed = both(DatasetExport(project=demo))
    assert copied == streamed
