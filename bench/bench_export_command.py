"""The whole `export_dataset` command on a database that bench_export.py built and kept
(--keep): wall time, the CPU of our processes (the forked children included) and the CPU of
PostgreSQL's backends, for the code of one or more checkouts, alternated round by round.

    .venv/bin/python bench/bench_export_command.py --database annotator_bench_export \\
        [--format csv] [--rounds 3] [--parts-from N ...] [--checkout /path/to/other/checkout ...]

Each run is a `manage.py export_dataset --project Bench` of its own. The server's CPU is that
of every backend connected to the benchmark database while the command runs (read from
/proc/<pid>/stat every 50 ms, so PostgreSQL must run on this machine, and nothing else may
use that database meanwhile); it is less swayed by the machine's load than the wall time.
`--parts-from` runs the command with forked_copy.PARTS_FROM set to each value in turn (one
COPY or two parts for the same export). The md5 of each output is printed: the outputs of
all runs must be equal.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# The command with PARTS_FROM set before it runs: Django set up, the constant replaced.
WITH_PARTS_FROM = (
    "import os, sys, django; sys.path.insert(0, '.'); "
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
    "import annotator.datasets.forked_copy as forked; "
    "assert hasattr(forked, 'PARTS_FROM'), 'this checkout has no PARTS_FROM'; "
    "forked.PARTS_FROM = {parts_from}; "
    "from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py'] + {arguments!r})"
)


def backend_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # the backend has gone
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command(checkout: Path, arguments: list[str], parts_from: int | None) -> list[str]:
    python = str(checkout / ".venv" / "bin" / "python")
    if parts_from is None:
        return [python, "manage.py", *arguments]
    code = WITH_PARTS_FROM.format(parts_from=int(parts_from), arguments=arguments)
    return [python, "-c", code]


def measured_run(
    checkout: Path, database: str, fmt: str, output: Path, parts_from: int | None
) -> dict:
    """One command: wall, our CPU, the backends' CPU (their last reading each) and the md5."""
    import psycopg2

    arguments = ["export_dataset", "--project", "Bench", "--format", fmt, "--output", str(output)]
    env = dict(os.environ, DATABASE_URL=f"{PG_SERVER}/{database}", DJANGO_DEBUG="1")
    monitor = psycopg2.connect(f"{PG_SERVER}/postgres")
    monitor.autocommit = True
    backends: dict[int, float] = {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(
        command(checkout, arguments, parts_from), cwd=checkout, env=env, stdout=subprocess.DEVNULL
    )
    with monitor.cursor() as cursor:
        while child.poll() is None:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
            for (pid,) in cursor.fetchall():
                seconds = backend_cpu(pid)
                if seconds is not None:
                    backends[pid] = seconds
            time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    monitor.close()
    if child.returncode:
        sys.exit(f"export_dataset failed ({child.returncode})")
    ours = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    digest = hashlib.md5()
    with output.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
    md5 = digest.hexdigest()
    return {"wall": wall, "ours": ours, "server": sum(backends.values()), "md5": md5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--format", default="csv")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts-from", type=int, nargs="*", default=[])
    parser.add_argument("--checkout", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    checkouts = args.checkout or [ROOT]
    variants = [(c, p) for c in checkouts for p in (args.parts_from or [None])]
    with tempfile.TemporaryDirectory() as work:
        for number in range(args.rounds):
            for checkout, parts_from in variants:
                output = Path(work) / f"export.{args.format}"
                run = measured_run(checkout, args.database, args.format, output, parts_from)
                print(
                    f"round {number} {checkout} PARTS_FROM={parts_from or 'as shipped'}: "
                    f"wall {run['wall']:.2f} s, our CPU {run['ours']:.2f} s, "
                    f"server CPU {run['server']:.2f} s, md5 {run['md5']}, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
