"""The dataset import's first pass (dataset_import.records_check) over a large file in two
processes: the file's second half is checked in a forked child while this process checks
the first, and the child hands back the names it collected and the problems it found.

Why: the first pass is Python alone (parsing and checking every line, nothing written yet),
so on a machine with two cores the second one waits idle; split, each core checks half
(where the other core is free, the pass takes about half its time; on a machine busy with
other work it gains nothing). The result is the same as one pass over the whole file: the
halves are cut after a line break, each knows the number of its first line, and their names
(with the first line that uses each) and problems are merged in the file's order.

Only where it is safe and pays: a fork is available, this process runs no other thread (a
fork copies only the calling one, and a lock another thread held would stay locked in the
child), there are at least two processors, and the file is large enough for a fork (a few
milliseconds) to be worth it. The child only reads the file and checks lines: it makes no
query, and it ends without closing anything the parent holds (multiprocessing ends a forked
child with os._exit). If the child cannot run or dies, this process checks that half too.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

# Below this size the file is checked in this process only (a fork and the hand-back cost
# some milliseconds; checking a file of this size takes about a tenth of a second).
SPLIT_BYTES = 4_000_000


@dataclass(frozen=True)
class Span:
    """A part of the file: its lines after the first `skip`, `take` of them (None: all)."""

    skip: int = 0
    take: int | None = None

    @property
    def first_line(self) -> int:
        return self.skip + 1

    def lines(self, path: Path) -> Iterator[str]:
        """The span's lines, read as open(path, encoding="utf-8", errors="replace") reads the
        file (universal newlines); the lines before it are read and passed over (about a
        hundredth of the time it takes to parse them)."""
        end = None if self.take is None else self.skip + self.take
        with path.open(encoding="utf-8", errors="replace") as text:
            yield from islice(text, self.skip, end)


def halves(path: Path, split_bytes: int = SPLIT_BYTES) -> list[Span] | None:
    """The file cut in two after the line break nearest its middle, or None where it is not
    to be split (see the module)."""
    size = path.stat().st_size
    if size < max(split_bytes, 2) or not _forking_safe():
        return None
    middle, breaks, piece = size // 2, 0, b""
    with path.open("rb") as data:
        while data.tell() < middle:
            piece = data.read(min(1 << 20, middle - data.tell()))
            if not piece:
                return None  # the file got shorter
            if data.tell() >= middle or piece.endswith(b"\r"):
                piece += data.readline()  # on to the line's end (a \r\n is kept together)
            # The line breaks as a text file reads them: \n, \r\n and a lone \r.
            breaks += piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n")
    if not piece.endswith(b"\n"):
        return None  # no \n after the middle (one long line, or lines ended by \r alone)
    return [Span(0, breaks), Span(breaks, None)]


def _forking_safe() -> bool:
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and (os.cpu_count() or 1) >= 2
        and not multiprocessing.current_process().daemon  # a daemon may not have children
    )


def checked_in_two(path: Path, spans: list[Span], check: Callable) -> list:
    """check(path, span) for both spans, the second in a forked child if it can run there;
    the results in the spans' order."""
    first, second = spans
    executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        child = executor.submit(check, path, second)  # forks here
    except (OSError, ValueError, AssertionError):  # no fork now (out of processes, memory)
        executor.shutdown()
        return [check(path, first), check(path, second)]
    try:
        mine = check(path, first)
        try:
            theirs = child.result()
        except BrokenProcessPool:  # the child died (killed, out of memory): checked here
            theirs = check(path, second)
    finally:
        executor.shutdown(cancel_futures=True)
    return [mine, theirs]
