"""PostgreSQL's CPU for the csv's or jsonl's SELECT, whole (one COPY) against its two parts
(forked_copy.document_parts) copied at once on two connections, on a database that
bench_export.py built and kept (--keep).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench_export \\
        .venv/bin/python bench/bench_export_parts.py [--format csv|jsonl] [--rounds 2]

Each COPY goes into a sink that only counts the bytes; each backend's CPU (user + system) is
read from /proc/<pid>/stat (the server on this machine), so the figures are the server's work,
less swayed by the load than wall times. Whole and parts alternate, round by round; the load
average is printed with each line.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def copies(fmt: str) -> tuple[str, list[str], dict]:
    """The whole COPY statement, the parts' statements and the session settings."""
    from django.db import connection

    from annotator.datasets import forked_copy, postgres, postgres_jsonl
    from annotator.datasets.selection import DatasetExport
    from annotator.models import Project

    export = DatasetExport(project=Project.objects.get(name="Bench"))
    build = postgres.mogrified_copy if fmt == "csv" else postgres_jsonl.mogrified_jsonl_copy
    settings = postgres.SETTINGS if fmt == "csv" else postgres_jsonl.SETTINGS
    with connection.cursor() as cursor:
        whole = build(export, cursor.cursor)
        # Two parts at any size (the export splits only from PARTS_FROM statements on).
        forked_copy.PARTS_FROM = 0
        parts = [build(export, cursor.cursor, part) for part in forked_copy.document_parts(export)]
    return whole, parts, settings


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CountingSink:
    def __init__(self):
        self.size = 0

    def write(self, row: bytes) -> None:
        self.size += len(row)


def copy_at_once(statements: list[str], settings: dict) -> tuple[float, list[float], int]:
    """Run the COPYs at once, a connection each: (wall, each backend's CPU, bytes)."""
    from django.db import connection

    results: dict[int, tuple[float, int]] = {}
    links = [connection.Database.connect(**connection.get_connection_params()) for _ in statements]

    def run(index: int) -> None:
        with links[index].cursor() as cursor:
            for name, value in settings.items():
                cursor.execute(f"SET {name} = '{value}'")
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            before, sink = backend_cpu(pid), CountingSink()
            cursor.copy_expert(statements[index], sink)
            results[index] = (backend_cpu(pid) - before, sink.size)

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(statements))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    for link in links:
        link.close()
    cpus = [results[index][0] for index in range(len(statements))]
    return wall, cpus, sum(results[index][1] for index in range(len(statements)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    django_setup()
    whole, parts, settings = copies(args.format)
    for number in range(args.rounds):
        for label, statements in (("whole", [whole]), (f"{len(parts)} parts", parts)):
            wall, cpus, size = copy_at_once(statements, settings)
            each = " + ".join(f"{cpu:.2f}" for cpu in cpus)
            load = os.getloadavg()[0]
            print(f"round {number} {args.format} {label:<8} server CPU {each} = {sum(cpus):6.2f} s"
                  f"  wall {wall:6.2f} s  {size:,} bytes  load {load:.1f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
