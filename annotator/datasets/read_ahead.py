"""A server-side cursor's rows read ahead by a thread: the next chunk is fetched (PostgreSQL
computing it, the rows crossing the socket) while the export turns the current one into
records, instead of the two taking turns. The thread holds the interpreter only to take the
rows in; waiting for the server it lets the export run.

The first chunk is read by the caller's thread: that opens the query on the caller's
connection, in the export's snapshot (Django's connections belong to a thread; the cursor,
once open, is only used by the reading thread from then on). psycopg2 serialises the
connection's use among the cursors of several streams read this way."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from queue import Queue
from threading import Event, Thread

CHUNKS_AHEAD = 1  # chunks read but not yet taken, at most: memory stays a few chunks


def read_ahead(rows: Iterator[tuple], chunk: int) -> Iterator[tuple]:
    first = list(islice(rows, chunk))
    if len(first) < chunk:  # all of it: no thread needed
        yield from first
        return
    chunks: Queue = Queue(maxsize=CHUNKS_AHEAD)
    stop = Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                taken = list(islice(rows, chunk))
                chunks.put(taken)
                if not taken:
                    return
        except BaseException as error:  # handed to the caller's thread, raised there
            chunks.put(error)

    thread = Thread(target=reader, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        yield from first
        while taken := chunks.get():
            if isinstance(taken, BaseException):
                raise taken
            yield from taken
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting to put a chunk, then let it end
            while not chunks.empty():
                chunks.get_nowait()
            thread.join(timeout=0.01)
