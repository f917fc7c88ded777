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
"""

from __future__ import annotations

import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def data_copy(export: DatasetExport, fmt: str, raw) -> tuple[bytes, str, CopyRows]:
    """The data file's header, its COPY statement (bound with psycopg2's cursor `raw`) and the
    function that runs it, for a format in FORKED_FORMATS."""
    if fmt == "csv":
        return csv_header_bytes(export), mogrified_copy(export, raw), copy_rows
    return b"", mogrified_jsonl_copy(export, raw), copy_jsonl_rows


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
    """While the block runs, a child process writes the data file (csv or jsonl) to `path`;
    yields True, then waits for it and raises DatabaseError if it failed. Yields False (and
    writes nothing) where it cannot (see the module's docstring)."""
    if fmt not in FORKED_FORMATS or not can_fork():
        yield False
        return
    from .binary_copy import snapshot_twin

    with snapshot_twin() as twin:
        if twin is None:
            yield False
            return
        # Built here, in the parent's snapshot and with its connection: the child only copies.
        header, query, copy = data_copy(export, fmt, twin.cursor())
        child = _ChildCopy(twin, (header, query, copy), path)
        try:
            yield True
        except BaseException:
            child.stop()
            raise
        child.wait()


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
