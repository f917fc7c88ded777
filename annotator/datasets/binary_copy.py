"""Binary COPYs of integer columns handed to numpy block by block, and a second connection in
the same snapshot as Django's (dataset card, coded.py).

numpy is imported where the records are parsed, not with the module: the forked export
imports `snapshot_twin` before its fork, and its child never parses (numpy costs about 0.1 s
of CPU to load)."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    import numpy as np

COPY_HEADER = 19  # PGCOPY signature, flags and header extension length
PIPE_BUFFER = 1 << 18  # bytes handed from the database driver to the parser at a time


@contextmanager
def snapshot_twin():
    """A second connection reading the same snapshot as Django's, or None: outside a
    transaction (no snapshot lives long enough to share), inside a savepoint (PostgreSQL
    exports no snapshot there) and in a transaction that wrote (its own rows, not committed,
    are invisible to any other connection)."""
    if not connection.in_atomic_block or any(connection.savepoint_ids):
        yield None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current_if_assigned() IS NULL")
        shareable = cursor.fetchone()[0]
        if shareable:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
    if not shareable:
        yield None
        return
    try:  # a second connection refused (max_connections reached): one reads it all
        twin = connection.Database.connect(**connection.get_connection_params())
    except connection.Database.Error:
        yield None
        return
    try:
        twin.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with twin.cursor() as cursor:
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        yield twin
    finally:
        twin.close()


def binary_copy(raw, query: tuple[str, list], on_block, fields: int) -> None:
    """COPY the query's rows (`fields` int8 each, never NULL) to `on_block` in blocks. The
    driver writes each row to a buffered pipe (C code, no Python call per row: a million rows
    cost 0.1-0.2 s less) that a thread reads and parses 256 KB at a time."""
    sql = raw.mogrify(*query).decode()
    records = _FixedRecords(fields, on_block)
    read_end, write_end = os.pipe()
    _widen(write_end)
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsed = pool.submit(records.read_from, read_end)
        try:
            with open(write_end, "wb", buffering=PIPE_BUFFER) as sink:
                raw.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT binary)", sink)
        finally:
            parsed.result()


def binary_copy_whole(raw, query: tuple[str, list], fields: int) -> list[np.ndarray]:
    """A small COPY's rows (`fields` int8 each, never NULL) read whole and parsed at once, in
    the calling thread and in place: for a block's label pairs, where a parsing thread per
    block cost more memory (each thread's own allocations) than the block's bytes."""
    import numpy as np

    sink = io.BytesIO()
    raw.copy_expert(f"COPY ({raw.mogrify(*query).decode()}) TO STDOUT WITH (FORMAT binary)", sink)
    dtype = _FixedRecords(fields, None).dtype
    with sink.getbuffer() as data:
        count = max(0, (len(data) - COPY_HEADER) // dtype.itemsize)  # the trailer: 2 bytes
        records = np.frombuffer(data, dtype, count=count, offset=min(COPY_HEADER, len(data)))
        columns = [records[f"v{field}"].astype(np.int64) for field in range(fields)]
        del records  # the view released before the buffer
    return columns


def _widen(pipe: int) -> None:
    """A pipe that holds a whole buffer (Linux; elsewhere the default size serves, slower)."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BUFFER)
    except (ImportError, AttributeError, OSError):
        pass


class _FixedRecords:
    """COPY's binary rows, all fields int8 and never NULL: fixed-width records that numpy
    reads in blocks (2-byte field count, then per field a 4-byte length and 8 bytes). Each
    block goes to `on_block` as a list of int64 arrays, one per field."""

    def __init__(self, fields: int, on_block):
        self.fields = fields
        self.on_block = on_block
        import numpy as np

        self.dtype = np.dtype(
            [("count", ">i2")]
            + [item for i in range(fields) for item in ((f"l{i}", ">i4"), (f"v{i}", ">i8"))]
        )
        self.header_done = False

    def read_from(self, descriptor: int) -> None:
        with open(descriptor, "rb", buffering=0) as source:
            try:
                self.parse_all(source)
            finally:  # never leave the writer blocked on a full pipe
                while source.read(PIPE_BUFFER):
                    pass

    def parse_all(self, source) -> None:
        pending = bytearray()
        while chunk := source.read(PIPE_BUFFER):
            pending += chunk
            if len(pending) >= PIPE_BUFFER:
                self.parse(pending)
        self.parse(pending)  # what is left is the 2-byte trailer

    def parse(self, pending: bytearray) -> None:
        if not self.header_done:
            if len(pending) < COPY_HEADER:
                return
            del pending[:COPY_HEADER]
            self.header_done = True
        count = len(pending) // self.dtype.itemsize
        if not count:
            return
        import numpy as np

        records = np.frombuffer(pending, self.dtype, count=count)  # a view: no copy
        block = [records[f"v{field}"].astype(np.int64) for field in range(self.fields)]
        del records  # the view released, the parsed bytes can go
        del pending[: count * self.dtype.itemsize]
        self.on_block(block)
