"""The data file (csv, jsonl) written by a child process in the export's snapshot while the
card is written (forked_copy), and the names the csv's COPY reads as constants
(postgres.Lookups): the same bytes as the streaming writers."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from annotator.datasets import forked_copy
from annotator.datasets.forked_copy import FORKED_FORMATS, data_forked, document_parts
from annotator.datasets.postgres import LOOKUP_SPAN, Lookups
from annotator.datasets.selection import DatasetExport, export_snapshot
from annotator.datasets.writers import csv_chunks, write_jsonl
from annotator.models import Annotation, Document, Statement


def streaming_bytes(export: DatasetExport, fmt: str) -> bytes:
    """The data file as the streaming (Python) writer makes it."""
    if fmt == "csv":
        return "".join(csv_chunks(export)).encode()
    out = io.BytesIO()
    write_jsonl(export.records(), out)
    return out.getvalue()


@pytest.fixture
def parts_from_one(monkeypatch):
    """Two parts from the first statement on: the demo's export is far smaller than
    forked_copy.PARTS_FROM, and the parts must be tested on it."""
    monkeypatch.setattr(forked_copy, "PARTS_FROM", 1)


def second_document(project) -> Document:
    """The later half of the project's first document's statements moved to a new document
    (the demo has one): an export of two documents, copied in two parts (parts_from_one)."""
    first = project.documents.order_by("pk").first()
    second = Document.objects.create(
        project=project, title="Zweiter Teil", text=first.text, language=first.language,
        content_hash="second",
    )  # fmt: skip
    statements = list(first.statements.order_by("position").values_list("pk", flat=True))
    Statement.objects.filter(pk__in=statements[len(statements) // 2 :]).update(document=second)
    return second


@pytest.mark.parametrize("documents", [1, 2])
@pytest.mark.parametrize("fmt", FORKED_FORMATS)
def test_a_child_process_writes_the_streaming_writers_bytes(
    postgres_only, transactional_demo, tmp_path, fmt, documents, parts_from_one
):
    if documents == 2:
        second_document(transactional_demo)
    export = DatasetExport(project=transactional_demo)
    assert len(document_parts(export)) == documents
    path = tmp_path / f"forked.{fmt}"
    with export_snapshot(), data_forked(export, fmt, path) as forked:
        assert forked
    assert path.read_bytes() == streaming_bytes(export, fmt)
    submitted = Annotation.objects.submitted().filter(statement__document__project=export.project)
    assert submitted.count() > 0
    if fmt == "csv":
        assert path.read_bytes().count(b"\r\n") > submitted.count()
    else:
        assert path.read_bytes().count(b"\n") == export.statements().count()


@pytest.mark.parametrize("fmt", FORKED_FORMATS)
def test_the_command_writes_the_data_in_a_child_process(
    postgres_only, transactional_demo, tmp_path, fmt
):
    path = tmp_path / f"demo.{fmt}"
    call_command(
        "export_dataset", "--project", transactional_demo.name, "--format", fmt,
        "--output", str(path), stdout=io.StringIO(),
    )  # fmt: skip
    export = DatasetExport(project=transactional_demo)
    assert path.read_bytes() == streaming_bytes(export, fmt)
    assert path.with_name(f"demo.{fmt}.card.md").exists()


def test_the_data_is_copied_in_two_parts_of_whole_documents(postgres_only, demo, parts_from_one):
    """Each part holds whole documents, the first's before the second's, and together they
    hold every exported statement once."""
    second_document(demo)
    export = DatasetExport(project=demo)
    parts = document_parts(export)
    documents = [
        set(export.statements().filter(**part).values_list("document_id", flat=True))
        for part in parts
    ]
    assert len(documents) == 2 and documents[0] and documents[1]
    assert max(documents[0]) < min(documents[1])
    counts = [export.statements().filter(**part).count() for part in parts]
    assert sum(counts) == export.statements().count()


def test_one_document_is_copied_in_one_part(postgres_only, demo, parts_from_one):
    assert demo.documents.count() == 1
    assert document_parts(DatasetExport(project=demo)) == [{}]


def test_an_export_below_parts_from_is_copied_in_one_part(postgres_only, demo, monkeypatch):
    """Two documents, but fewer statements than PARTS_FROM: one part; from PARTS_FROM on, two."""
    second_document(demo)
    export = DatasetExport(project=demo)
    statements = export.statements().count()
    monkeypatch.setattr(forked_copy, "PARTS_FROM", statements + 1)
    assert document_parts(export) == [{}]
    monkeypatch.setattr(forked_copy, "PARTS_FROM", statements)
    assert len(document_parts(export)) == 2


def test_the_exports_of_the_demo_are_below_parts_from(postgres_only, demo):
    """With the shipped threshold, a small export (and every other test's) is one COPY."""
    second_document(demo)
    assert document_parts(DatasetExport(project=demo)) == [{}]


def test_a_failed_part_leaves_no_part_file(
    postgres_only, transactional_demo, tmp_path, parts_from_one
):
    """The second part's file cannot be written (its name is a link into a missing folder):
    the export fails, and no part's file is left beside the data file."""
    second_document(transactional_demo)
    export = DatasetExport(project=transactional_demo)
    path = tmp_path / "x.csv"
    (tmp_path / "x.csv.1").symlink_to(tmp_path / "missing" / "part")
    with (
        pytest.raises(OSError, match="No such file"),
        export_snapshot(),
        data_forked(export, "csv", path),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_formats_without_a_copy_are_written_by_the_caller(
    postgres_only, transactional_demo, tmp_path
):
    path = tmp_path / "x.xlsx"
    with (
        export_snapshot(),
        data_forked(DatasetExport(project=transactional_demo), "xlsx", path) as forked,
    ):
        assert not forked
    assert not path.exists()


def test_a_failed_child_raises_in_the_parent(postgres_only, transactional_demo, tmp_path):
    export = DatasetExport(project=transactional_demo)
    missing = tmp_path / "missing" / "x.csv"
    with (
        pytest.raises(OSError, match="No such file"),
        export_snapshot(),
        data_forked(export, "csv", missing) as forked,
    ):
        assert forked


def test_no_child_inside_a_savepoint(postgres_only, demo, tmp_path):
    """A test's transaction is a savepoint: no snapshot to share, the caller writes the data."""
    with (
        export_snapshot(),
        data_forked(DatasetExport(project=demo), "jsonl", tmp_path / "x") as forked,
    ):
        assert not forked
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("far", [0, LOOKUP_SPAN])
def test_names_by_id_read_the_same_near_and_far(postgres_only, db, far):
    """Ids within LOOKUP_SPAN: an array; further apart: a jsonb object. Both neutralised, ""
    as NULL, quotes and backslashes kept."""
    names = {3: "=SUM(1)", 5: 'say "hi" \\ bye', 6: "", 7 + far: "KCNA"}
    lookups = Lookups({"sources": names})
    keys = [3, 4, 5, 6, 7 + far, None]
    sql = lookups.name("sources", "v.k")
    values = ", ".join(["(%s::bigint)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM (VALUES {values}) v(k)", [*lookups.params, *keys])
        read = [row[0] for row in cursor.fetchall()]
    assert read == ["'=SUM(1)", None, 'say "hi" \\ bye', None, "KCNA", None]


@pytest.mark.parametrize("daemon", [False, True])
def test_no_child_beside_a_working_thread(postgres_only, transactional_demo, tmp_path, daemon):
    """A thread pool's or a server's worker (not a daemon) keeps the data in this process; a
    daemon thread (a test's live server) does not."""
    export = DatasetExport(project=transactional_demo)
    path = tmp_path / "x.csv"
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=daemon)
    thread.start()
    try:
        with export_snapshot(), data_forked(export, "csv", path) as forked:
            assert forked is daemon
    finally:
        stop.set()
        thread.join()
    assert path.exists() is daemon
