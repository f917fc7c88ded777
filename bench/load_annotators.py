"""Load: simulated annotators against gunicorn (config/gunicorn.conf.py) on PostgreSQL.

Builds a project in a database of its own, starts gunicorn on loopback with the shipped
configuration and production settings (DEBUG off, persistent connections), logs every
simulated annotator in through the login form (before the clock starts: password hashing is
not annotation work), then lets them annotate through the real pages (annotate next -> form ->
"Save and annotate next") for a bounded time, optionally pausing to read between statements.
Each annotator runs in a client process of its own by default (bench/load_client.py: threads
of one process would add their own interpreter-lock waits to every latency).

Reports, per request type (next, form, save) and overall: requests, requests per second,
p50/p95/p99/max latency as the client measured it; CPU per request (the gunicorn workers' and
the database backends' CPU from /proc, sampled during the run, divided by the requests) and
the client's own CPU per request (it runs on the same cores); errors (must be 0); and whether
every acknowledged annotation is stored (must be all). Then a breakdown: gunicorn's own time
per request type (its access log, to a temporary file), the timed requests each worker
process served, each worker's first request of each type (cold caches), the warm-up's latency,
how often a database backend was seen waiting for a lock, and the workers' memory. The first
10 s of annotating are a warm-up (--warmup): every worker's first pages and new connections
are reported apart, not counted, as a server that has been running a while would not show
them (a worker replaced at GUNICORN_MAX_REQUESTS would, once). Targets (PASS/FAIL): without
pauses >= 100 requests/s and p95 <= 300 ms; with pauses p95 <= 50 ms. Traffic stays on
127.0.0.1.

    .venv/bin/python bench/load_annotators.py [--annotators 20] [--seconds 60]
    .venv/bin/python bench/load_annotators.py --pause 5 15 --seconds 120
    .venv/bin/python bench/load_annotators.py --workers 5 --threads 4   # GUNICORN_* settings
    .venv/bin/python bench/load_annotators.py --set GUNICORN_MAX_REQUESTS=0 --client-processes 1
"""

import argparse
import http.client
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from benchdata import (
    ROOT,
    annotation_form_fields,
    data_build,
    database_drop,
    database_recreate,
    django_setup,
    production_environment,
)
from load_client import HOST, KINDS, PASSWORD, Results, Work, client_process

DATABASE = "annotator_bench_load"
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
# The access log's line per request: worker pid, method, path, query, status, microseconds
# from the request parsed to the answer written (gunicorn's own request time), when it ended.
ACCESS_LOG_FORMAT = "%(p)s %(m)s %(U)s %(q)s %(s)s %(D)s %(t)s"


def free_port() -> int:
    """A port nobody listens on, so a stale server can never answer in our place."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


PORT = free_port()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--warmup",
        type=float,
        default=10,
        help="seconds of annotating before the measured window (every worker's first pages, "
        "cold caches and new connections; reported apart, not counted)",
    )
    parser.add_argument("--workers", type=int, help="GUNICORN_WORKERS (default: the config's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: the config's)")
    parser.add_argument(
        "--pause",
        type=float,
        nargs=2,
        metavar=("MIN", "MAX"),
        help="seconds of reading before each statement, e.g. 5 15",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        help="client processes the annotators are spread over (default: one per annotator; "
        "1: all annotators as threads of one process)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another GUNICORN_* setting of config/gunicorn.conf.py, e.g. GUNICORN_MAX_REQUESTS=0",
    )
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="name of the database it builds")
    return parser.parse_args()  # fmt: skip


def users_create(count: int, project) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Annotators")
    usernames = []
    for number in range(count):
        user = get_user_model().objects.create_user(
            f"load_annotator_{number:02d}", password=PASSWORD, is_staff=True
        )
        user.groups.add(group)
        project.annotators.add(user)
        usernames.append(user.username)
    return usernames


# --- CPU of the server's processes ---------------------------------------------------------


def process_cpu_ms(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime, stime


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def resident_mb(pids: list[int]) -> list[int]:
    """Resident memory of each process (MiB), to see whether a worker's memory creeps."""
    sizes = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kilobytes = next(
            line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")
        )
        sizes.append(int(kilobytes) // 1024)
    return sorted(sizes)


class CpuSampler:
    """CPU used by a changing set of processes (gunicorn workers, database backends) between
    start() and stop(): sampled every half second, so a process that ends is counted up to its
    last sample and one that starts is counted from zero."""

    def __init__(self, pids_of):
        self.pids_of = pids_of
        self.baseline: dict[int, float] = {}
        self.latest: dict[int, float] = {}
        self.running = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self) -> None:
        for pid in self.pids_of():
            cpu = process_cpu_ms(pid)
            if cpu is not None:
                self.latest[pid] = cpu

    def start(self) -> None:
        self.sample()
        self.baseline = dict(self.latest)
        self.running.set()
        self.thread.start()

    def loop(self) -> None:
        while self.running.is_set():
            time.sleep(0.5)
            self.sample()

    def stop(self) -> float:
        self.running.clear()
        self.thread.join()
        self.sample()
        return sum(cpu - self.baseline.get(pid, 0.0) for pid, cpu in self.latest.items())


class DatabaseWatch:
    """The benchmark database's backends (for their CPU) and, at every sample, how many of
    them wait for a lock (a save's row lock would show here)."""

    def __init__(self, database: str):
        self.database = database
        self.samples = 0
        self.lock_waits = 0  # backends seen waiting for a lock, summed over the samples

    def backend_pids(self) -> list[int]:
        import psycopg2

        connection = psycopg2.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = %s",
                    [self.database],
                )
                rows = cursor.fetchall()
        finally:
            connection.close()
        self.samples += 1
        self.lock_waits += sum(1 for _, wait in rows if wait == "Lock")
        return [pid for pid, _ in rows]


def gunicorn_start(args, access_log: Path) -> subprocess.Popen:
    environment = {**os.environ, **production_environment(args.server, args.database)}
    environment["GUNICORN_BIND"] = f"{HOST}:{PORT}"
    # The access log goes to a file the report reads (production logs to standard output).
    environment["GUNICORN_ACCESS_LOG"] = str(access_log)
    environment["GUNICORN_LOG_LEVEL"] = "warning"
    if args.workers:
        environment["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        environment["GUNICORN_THREADS"] = str(args.threads)
    for setting in args.set:
        name, _, value = setting.partition("=")
        if not name.startswith("GUNICORN_"):
            raise SystemExit(f"--set takes GUNICORN_NAME=VALUE, not {setting!r}")
        environment[name] = value
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "config/gunicorn.conf.py",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
        ],
        cwd=ROOT,
        env=environment,
    )
    for _ in range(100):
        try:
            http.client.HTTPConnection(HOST, PORT, timeout=1).request("GET", "/admin/login/")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def quantile(values: list[float], percent: int) -> float:
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[percent - 1]


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few requests"
    q = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return f"p50 {q[49]:7.1f}  p95 {q[94]:7.1f}  p99 {q[98]:7.1f}  max {max(values):7.1f}"


def request_kind(method: str, path: str, query: str) -> str | None:
    if path.endswith("/annotate/"):
        return "next"
    if "statement=" in query:
        return "save" if method == "POST" else "form"
    return None  # the logins, before the clock


def server_side(access_log: Path, measured_from: float):
    """gunicorn's own time per request type (ms) and the requests per worker pid, of the
    requests that ended in the measured window (`measured_from`, wall clock; the log has
    whole seconds), and the time of each worker's first request of each type, warm-up
    included (cold caches: templates, translations)."""
    times: dict[str, list[float]] = defaultdict(list)
    first: dict[str, list[float]] = defaultdict(list)
    per_worker: Counter = Counter()
    seen: set[tuple[str, str]] = set()
    for line in access_log.read_text().splitlines():
        pid, method, path, query, _status, microseconds, ended = (line.split(" ", 6) + [""] * 7)[:7]
        if not (kind := request_kind(method, path, query)) or not microseconds.isdigit():
            continue
        ms = int(microseconds) / 1000
        if (pid, kind) not in seen:
            seen.add((pid, kind))
            first[kind].append(ms)
        ended_at = datetime.strptime(ended.strip("[]"), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        if ended_at >= int(measured_from):
            times[kind].append(ms)
            per_worker[pid] += 1
    return times, per_worker, first


def latency_breakdown(results: Results, access_log: Path, window: dict[str, float]) -> None:
    """Where a request's time goes: inside gunicorn (from the request parsed to the answer
    written) against what the client measured; the rest is waiting for a worker or a thread
    (queueing), the loopback and the client itself. Then how evenly the workers were used,
    and the warm-up (cold caches, connections opening) against the measured window."""
    times, per_worker, first = server_side(access_log, window["wall"])
    print("inside gunicorn, ms (from its access log; the rest of the client's figure is")
    print("  waiting for a worker or thread, the loopback and the client):")
    for kind in KINDS:
        print(f"  {kind + ':':8} {percentiles(times.get(kind, []))}")
    for kind in KINDS:
        firsts = ", ".join(f"{ms:.0f}" for ms in sorted(first.get(kind, [])))
        print(f"  each worker process's first {kind} (warm-up included): {firsts} ms")
    counts = sorted(per_worker.values(), reverse=True)
    print(
        f"timed requests per worker process ({len(counts)} processes served them; more than "
        f"the workers setting: some were replaced, GUNICORN_MAX_REQUESTS): {counts}"
    )
    warmup = [ms for _, start, ms in results.requests if start < window["monotonic"]]
    print(f"client latency ms, warm-up (not counted): {percentiles(warmup)}  ({len(warmup)})")


def report(results: Results, window: dict[str, float], cpu: dict[str, float], pause) -> bool:
    from annotator.models import Annotation

    saved = set(
        Annotation.objects.filter(annotator__username__startswith="load_annotator_").values_list(
            "annotator__username", "statement_id"
        )
    )
    missing = [ack for ack in results.acknowledged if ack not in saved]
    seconds = window["seconds"]
    measured = [(kind, ms) for kind, start, ms in results.requests if start >= window["monotonic"]]
    timed = [ms for _, ms in measured]
    print(
        f"logins (before the clock): {len(results.logins_ms)}, {percentiles(results.logins_ms)} ms"
    )
    print(f"requests:              {len(timed)} in {seconds:.1f} s")
    print(f"requests per second:   {len(timed) / seconds:.1f}")
    print(f"latency ms, all:       {percentiles(timed)}")
    for kind in KINDS:
        values = [ms for name, ms in measured if name == kind]
        print(f"latency ms, {kind + ':':10} {percentiles(values)}  ({len(values)} requests)")
    if timed:
        per_request = {name: value / len(timed) for name, value in cpu.items()}
        print(
            f"CPU per request ms:    {per_request['workers'] + per_request['database']:.1f} "
            f"(gunicorn workers {per_request['workers']:.1f} + PostgreSQL backends "
            f"{per_request['database']:.1f}); the client's own: {per_request['client']:.1f}"
        )
    saves = sum(1 for kind, _ in measured if kind == "save")
    print(f"annotations per second: {saves / seconds:.1f}")
    print(f"errors:                {len(results.errors)} {results.errors[:5]}")
    print(f"reconnects:            {results.reconnects} (idle keep-alive connections closed)")
    print(
        f"acknowledged annotations in the database: {len(results.acknowledged) - len(missing)}"
        f" of {len(results.acknowledged)} (warm-up included)"
    )
    stored = not results.errors and not missing and bool(results.acknowledged)
    p95 = quantile(timed, 95) if len(timed) > 1 else float("inf")
    if pause:
        fast = p95 <= 50
        target = "p95 <= 50 ms with pauses"
    else:
        fast = len(timed) / seconds >= 100 and p95 <= 300
        target = ">= 100 requests/s and p95 <= 300 ms without pauses"
    print(f"{'PASS' if stored else 'FAIL'}: no errors, every acknowledged annotation stored")
    print(f"{'PASS' if fast else 'FAIL'}: {target}")
    return stored and fast


def project_prepare(args):
    """The benchmark's project (its documents, three annotations per statement wanted), its
    annotators and what their saves post."""
    from annotator.models import Project
    from annotator.progress import progress_recount

    data_build(args.documents * 30, 1, annotate=False)
    project = Project.objects.get(name="Bench")
    project.annotations_per_statement = 3
    project.save()
    progress_recount(project=project)
    usernames = users_create(args.annotators, project)
    return project.pk, usernames, annotation_form_fields()


def clients_start(args, work: Work, usernames: list[str]):
    """The client processes, each with its share of the annotators (and a seed for each)."""
    from django.db import connections

    connections.close_all()  # no database socket is inherited by the client processes
    generator = random.Random(args.seed)
    annotators = [(name, generator.random()) for name in usernames]
    count = max(1, min(args.client_processes or len(usernames), len(usernames)))
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(count + 1)
    start = context.Value("d", 0.0)
    shared = {"ready": ready, "start": start, "logins": context.Semaphore(2)}
    outbox = context.Queue()
    processes = [
        context.Process(target=client_process, args=(work, annotators[i::count], shared, outbox))
        for i in range(count)
    ]
    for process in processes:
        process.start()
    return processes, ready, start, outbox


def measure(args, server, processes, ready, start, outbox):
    """Start the clients once every annotator has logged in, open the measured window after
    the warm-up, collect what the clients saw."""
    ready.wait(timeout=600)  # everyone has logged in
    start.value = time.monotonic()
    ready.wait()
    time.sleep(args.warmup)
    watch = DatabaseWatch(args.database)
    workers = CpuSampler(lambda: children_of(server.pid))
    database = CpuSampler(watch.backend_pids)
    memory = {"start": resident_mb(children_of(server.pid))}
    window = {"monotonic": start.value + args.warmup, "wall": time.time()}
    workers.start()
    database.start()
    results = Results()
    for _ in processes:
        results.merge(outbox.get(timeout=args.warmup + args.seconds + 120))
    window["seconds"] = time.monotonic() - window["monotonic"]
    cpu = {"workers": workers.stop(), "database": database.stop(), "client": results.cpu_ms}
    memory["end"] = resident_mb(children_of(server.pid))
    for process in processes:
        process.join(timeout=30)
    return results, window, cpu, watch, memory


def main() -> None:
    args = parse_args()
    database_recreate(args.server, args.database)
    django_setup(args.server, args.database)
    project_id, usernames, fields = project_prepare(args)
    work = Work(
        PORT, project_id, fields, args.pause and tuple(args.pause), args.seconds, args.warmup
    )
    access_log = Path(tempfile.mkstemp(prefix="load_annotators_", suffix=".log")[1])
    server = gunicorn_start(args, access_log)
    try:
        processes, ready, start, outbox = clients_start(args, work, usernames)
        results, window, cpu, watch, memory = measure(args, server, processes, ready, start, outbox)
    finally:
        server.terminate()
        server.wait(timeout=30)
    pause = f", pauses {args.pause[0]:g}-{args.pause[1]:g} s" if args.pause else ", no pauses"
    print(
        f"\n{args.annotators} annotators{pause} in {len(processes)} client processes, gunicorn "
        f"(config/gunicorn.conf.py, workers {args.workers or 'default'}, threads "
        f"{args.threads or 'default'}{''.join(', ' + s for s in args.set)}), PostgreSQL, "
        f"{args.seconds:.0f} s measured after {args.warmup:g} s of warm-up"
    )
    passed = report(results, window, cpu, args.pause)
    latency_breakdown(results, access_log, window)
    print(
        f"backends waiting for a lock: {watch.lock_waits} in {watch.samples} samples "
        "(every half second)"
    )
    print(f"workers' resident memory MiB, start {memory['start']}, end {memory['end']}")
    if not args.keep:
        access_log.unlink()
    if not args.keep:
        database_drop(args.server, args.database)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
