"""The data file (csv or jsonl) written by a child process while the parent writes the
dataset card.

The two are independent reads of one snapshot, and on PostgreSQL the data's cost is the
server's COPY: with the rows read in a child process (fork) on a second connection in the
export's snapshot, the server's COPY runs on one core while the card's Python runs on the
other. A thread would not do: the driver takes the interpreter lock for every row, and a
busy card would hand it over only every few milliseconds.

Only where it is safe and useful: PostgreSQL, a platform with fork, a process with no other
working thread (a fork copies only the calling thread; another's locks would stay taken in the
child), no stream wrapper (the admin's job counts the bytes as they are written), and a
snapshot that can be shared (binary_copy.snapshot_twin). Elsewhere the caller writes the data
itself.

From PARTS_FROM exported statements on, the data itself is copied in parts (document_parts):
the statements of the first half of the documents and those of the second, each by its own
child on its own connection in the same snapshot, each part's file appended to the first's
in order when both are done. The export's order (document, then position) keeps each part's
rows together, so the two files put end to end are the file one COPY would write, and the
server's work for them runs on two cores (the card's Python takes its share meanwhile).
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, connection

from .postgres import copy_rows, mogrified_copy
from .postgres_jsonl import copy_jsonl_rows, mogrified_jsonl_copy
from .selection import DatasetExport
from .writers import csv_header_bytes

# What the child runs: its copy function (psycopg2 cursor, COPY statement, output).
CopyRows = Callable[[Any, str, IO[bytes]], None]
FORKED_FORMATS = ("csv", "jsonl")
# Statements from which the data is copied in two parts. Each part plans and scans the
# statements and annotations to find its own, so two cost more server CPU than one COPY of
# the whole; below this the second core gains less than that costs (README, "Export
# benchmark").
PARTS_FROM = 50_000


def data_copy(
    export: DatasetExport, fmt: str, raw, part: dict | None = None
) -> tuple[bytes, str, CopyRows]:
    """The data file's header, its COPY statement (bound with psycopg2's cursor `raw`, for a
    `part` of the statements) and the function that runs it, for a format in FORKED_FORMATS."""
    if fmt == "csv":
        return csv_header_bytes(export), mogrified_copy(export, raw, part), copy_rows
    return b"", mogrified_jsonl_copy(export, raw, part), copy_jsonl_rows


def document_parts(export: DatasetExport) -> list[dict]:
    """Filters that split the exported statements in two at the document of the median
    statement (before it and from it on, or up to it and after it where it is the first), in
    the export's order; one part (no filter) when all are in one document, or when there are
    fewer than PARTS_FROM statements."""
    documents = export.statements().values("document_id").order_by()
    sql, params = documents.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(document_id), percentile_disc(0.5) WITHIN GROUP (ORDER BY document_id), "
            f"max(document_id), count(*) FROM ({sql}) chosen",
            params,
        )
        first, median, last, statements = cursor.fetchone()
    if first == last or statements < PARTS_FROM:  # one document (or none), or a small export
        return [{}]
    if first < median:
        return [{"document_id__lt": median}, {"document_id__gte": median}]
    return [{"document_id__lte": median}, {"document_id__gt": median}]


def can_fork() -> bool:
    return connection.vendor == "postgresql" and hasattr(os, "fork") and not _working_threads()


def _working_threads() -> list[threading.Thread]:
    """The other threads that may be working beside this one: a thread pool's or a threaded
    server's (their threads are not daemons). A daemon thread (a development or test server
    listening, a monitor) does not count: the child touches nothing it shares with any thread
    (its own connection and file, then os._exit), and Python renews its own locks in the
    child; the check is there so that a process busy in several threads is not copied."""
    current = threading.current_thread()
    return [t for t in threading.enumerate() if t is not current and not t.daemon]


@contextmanager
def data_forked(export: DatasetExport, fmt: str, path: Path) -> Iterator[bool]:
    """While the block runs, child processes write the data file (csv or jsonl) to `path`, a
    part each (document_parts); yields True, then waits for them, raises DatabaseError if one
    failed and puts the parts together. Yields False (and writes nothing) where it cannot (see
    the module's docstring)."""
    if fmt not in FORKED_FORMATS or not can_fork():
        yield False
        return
    from .binary_copy import snapshot_twin

    parts = document_parts(export)
    paths = [path] + [path.with_name(f"{path.name}.{number}") for number in range(1, len(parts))]
    with ExitStack() as twins_open:
        twins = [twins_open.enter_context(snapshot_twin()) for _ in parts]
        if None in twins:
            yield False
            return
        # Built here, in the parent's snapshot and with its connection: the children only copy.
        plans = [
            data_copy(export, fmt, twin.cursor(), part)
            for twin, part in zip(twins, parts, strict=True)
        ]
        # Only the first part's file starts with the header.
        plans[1:] = [(b"", query, copy) for _header, query, copy in plans[1:]]
        children = []
        try:
            for twin, plan, part_path in zip(twins, plans, paths, strict=True):
                children.append(_ChildCopy(twin, plan, part_path))
            yield True
        except BaseException:
            for child in children:
                child.stop()
            _remove(paths[1:])
            raise
        try:
            _wait_all(children)
            _append(path, paths[1:])
        finally:
            _remove(paths[1:])


def _wait_all(children: list[_ChildCopy]) -> None:
    """Wait for every child (none left running), then raise the first one's failure."""
    failures = []
    for child in children:
        try:
            child.wait()
        except (DatabaseError, OSError) as error:
            failures.append(error)
    if failures:
        raise failures[0]


def _append(path: Path, parts: list[Path]) -> None:
    """The parts' bytes added to the end of `path`, in order."""
    with path.open("ab") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)


def _remove(paths: list[Path]) -> None:
    for part_path in paths:
        part_path.unlink(missing_ok=True)


class _ChildCopy:
    """The forked child: COPY into the file, then leave with os._exit (no cleanup of the
    parent's objects, whose sockets it shares); its error message comes back through a pipe."""

    def __init__(self, twin, plan: tuple[bytes, str, CopyRows], path: Path):
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child
            os.close(read_end)
            self._run(twin, plan, path, write_end)
        os.close(write_end)
        self.errors = read_end

    @staticmethod
    def _run(twin, plan: tuple[bytes, str, CopyRows], path: Path, errors: int) -> None:
        header, query, copy = plan
        status = 1
        try:
            with path.open("wb") as out:
                out.write(header)
                copy(twin.cursor(), query, out)
            status = 0
        except BaseException as error:
            kind = "database" if isinstance(error, connection.Database.Error) else "other"
            os.write(errors, f"{kind}\n{traceback.format_exc(limit=3)}".encode()[-4000:])
        finally:
            os._exit(status)

    def wait(self) -> None:
        """Wait for the child; its failure raised here: DatabaseError for the database's,
        OSError for any other (a full disk)."""
        with open(self.errors, "rb") as errors:
            report = errors.read().decode(errors="replace")
        _pid, status = os.waitpid(self.pid, 0)
        if status == 0:
            return
        kind, _, trace = report.partition("\n")
        message = trace.strip().splitlines()[-1] if trace.strip() else f"exit status {status}"
        raise (DatabaseError if kind in ("database", "") else OSError)(message)

    def stop(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
        os.close(self.errors)
        os.waitpid(self.pid, 0)
