"""Load: simulated annotators against gunicorn (config/gunicorn.conf.py) on PostgreSQL.

Builds a project in a database of its own, starts gunicorn on loopback with the shipped
configuration and production settings (DEBUG off, persistent connections), logs every
simulated annotator in through the login form (before the clock starts: password hashing is
not annotation work), then lets them annotate through the real pages (annotate next -> form ->
"Save and annotate next") for a bounded time, optionally pausing to read between statements.

Reports, per request type (next, form, save) and overall: requests, requests per second,
p50/p95/p99/max latency; CPU per request (the gunicorn workers' and the database backends'
CPU from /proc, sampled during the run, divided by the requests); errors (must be 0); and
whether every acknowledged annotation is stored (must be all). Targets (PASS/FAIL): without
pauses >= 100 requests/s and p95 <= 300 ms; with pauses p95 <= 50 ms. Traffic stays on
127.0.0.1.

    .venv/bin/python bench/load_annotators.py [--annotators 20] [--seconds 60]
    .venv/bin/python bench/load_annotators.py --pause 5 15 --seconds 120
    .venv/bin/python bench/load_annotators.py --workers 5 --threads 4   # GUNICORN_* settings
"""

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from benchdata import (
    ROOT,
    annotation_form_fields,
    data_build,
    database_drop,
    database_recreate,
    django_setup,
    production_environment,
)

DATABASE = "annotator_bench_load"
HOST = "127.0.0.1"
KINDS = ("next", "form", "save")
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port nobody listens on, so a stale server can never answer in our place."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


PORT = free_port()
PASSWORD = "load-test-password-2026"
MAX_REQUESTS_PER_ANNOTATOR = 5_000  # a bound besides the time limit


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, help="GUNICORN_WORKERS (default: the config's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: the config's)")
    parser.add_argument(
        "--pause",
        type=float,
        nargs=2,
        metavar=("MIN", "MAX"),
        help="seconds of reading before each statement, e.g. 5 15",
    )
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="name of the database it builds")
    return parser.parse_args()  # fmt: skip


@dataclass
class Results:
    latencies_ms: dict[str, list[float]] = field(
        default_factory=lambda: {kind: [] for kind in ("login", *KINDS)}
    )
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0  # idle keep-alive connections the server had closed
    acknowledged: list[tuple[str, int]] = field(default_factory=list)  # (username, statement)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Browser:
    """A minimal HTTP client with cookies, as a browser behind TLS at a proxy would send."""

    def __init__(self, results: Results):
        self.connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        self.cookies: dict[str, str] = {}
        self.results = results

    def request(self, kind: str, method: str, path: str, form=None, expect=(200, 302)):
        headers = {
            "Host": f"{HOST}:{PORT}",
            # The production settings trust this header from the proxy, as they would there.
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{HOST}:{PORT}{path}",
            "Cookie": "; ".join(f"{key}={value}" for key, value in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection (GUNICORN_KEEPALIVE): a
                # browser opens a new one and sends the request again, and so do we, once.
                self.connection.close()
                if attempt == 2:
                    with self.results.lock:
                        self.results.errors.append(f"{method} {path}: connection closed twice")
                    return None, "", ""
                with self.results.lock:
                    self.results.reconnects += 1
            except (OSError, http.client.HTTPException) as error:
                self.connection.close()
                with self.results.lock:
                    self.results.errors.append(f"{method} {path}: {error!r}")
                return None, "", ""
        elapsed = (time.perf_counter() - started) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        with self.results.lock:
            self.results.latencies_ms[kind].append(elapsed)
            if response.status not in expect:
                self.results.errors.append(f"{method} {path}: {response.status}")
        return response.status, response.getheader("Location", ""), content


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return match.group(1) if match else ""


def login(browser: Browser, username: str) -> bool:
    _, _, page = browser.request("login", "GET", "/admin/login/?next=/admin/")
    status, _, _ = browser.request(
        "login",
        "POST",
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": csrf_token(page), "username": username, "password": PASSWORD},
        expect=(302,),
    )
    return status == 302


@dataclass
class Session:
    username: str
    browser: Browser
    pause: tuple[float, float] | None
    random: random.Random


def annotate(session: Session, project_id: int, form_fields: dict, deadline, results):
    browser = session.browser
    for _ in range(MAX_REQUESTS_PER_ANNOTATOR):
        if session.pause:
            time.sleep(session.random.uniform(*session.pause))
        if time.monotonic() > deadline:
            return
        _, location, _ = browser.request(
            "next", "GET", f"/admin/annotator/project/{project_id}/annotate/"
        )
        path = urlsplit(location).path + ("?" + urlsplit(location).query if "?" in location else "")
        if "statement=" not in path:
            return  # the queue is empty
        _, _, page = browser.request("form", "GET", path)
        statement = int(path.rsplit("=", 1)[1])
        form = {**form_fields, "csrfmiddlewaretoken": csrf_token(page)}
        status, _, _ = browser.request("save", "POST", path, form, expect=(302,))
        if status == 302:
            with results.lock:
                results.acknowledged.append((session.username, statement))


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


def backend_pids(database: str) -> list[int]:
    import psycopg2

    connection = psycopg2.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def gunicorn_start(args) -> subprocess.Popen:
    environment = {**os.environ, **production_environment(args.server, args.database)}
    environment["GUNICORN_BIND"] = f"{HOST}:{PORT}"
    environment["GUNICORN_ACCESS_LOG"] = ""
    environment["GUNICORN_LOG_LEVEL"] = "warning"
    if args.workers:
        environment["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        environment["GUNICORN_THREADS"] = str(args.threads)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "config/gunicorn.conf.py"],
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


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few requests"
    q = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return f"p50 {q[49]:7.1f}  p95 {q[94]:7.1f}  p99 {q[98]:7.1f}  max {max(values):7.1f}"


def report(results: Results, seconds: float, cpu: dict[str, float], pause) -> bool:
    from annotator.models import Annotation

    saved = set(
        Annotation.objects.filter(annotator__username__startswith="load_annotator_").values_list(
            "annotator__username", "statement_id"
        )
    )
    missing = [ack for ack in results.acknowledged if ack not in saved]
    timed = [value for kind in KINDS for value in results.latencies_ms[kind]]
    logins = results.latencies_ms["login"]
    print(f"logins (before the clock): {len(logins)}, {percentiles(logins)} ms")
    print(f"requests:              {len(timed)} in {seconds:.1f} s")
    print(f"requests per second:   {len(timed) / seconds:.1f}")
    print(f"latency ms, all:       {percentiles(timed)}")
    for kind in KINDS:
        values = results.latencies_ms[kind]
        print(f"latency ms, {kind + ':':10} {percentiles(values)}  ({len(values)} requests)")
    if timed:
        per_request = {name: value / len(timed) for name, value in cpu.items()}
        print(
            f"CPU per request ms:    {sum(per_request.values()):.1f} (gunicorn workers "
            f"{per_request['workers']:.1f} + PostgreSQL backends {per_request['database']:.1f})"
        )
    print(f"annotations per second: {len(results.acknowledged) / seconds:.1f}")
    print(f"errors:                {len(results.errors)} {results.errors[:5]}")
    print(f"reconnects:            {results.reconnects} (idle keep-alive connections closed)")
    print(
        f"acknowledged annotations in the database: {len(results.acknowledged) - len(missing)}"
        f" of {len(results.acknowledged)}"
    )
    stored = not results.errors and not missing and bool(results.acknowledged)
    p95 = (
        statistics.quantiles(sorted(timed), n=100, method="inclusive")[94]
        if len(timed) > 1
        else float("inf")
    )
    if pause:
        fast = p95 <= 50
        target = "p95 <= 50 ms with pauses"
    else:
        fast = len(timed) / seconds >= 100 and p95 <= 300
        target = ">= 100 requests/s and p95 <= 300 ms without pauses"
    print(f"{'PASS' if stored else 'FAIL'}: no errors, every acknowledged annotation stored")
    print(f"{'PASS' if fast else 'FAIL'}: {target}")
    return stored and fast


def main() -> None:
    args = parse_args()
    database_recreate(args.server, args.database)
    django_setup(args.server, args.database)
    from annotator.models import Project
    from annotator.progress import progress_recount

    data_build(args.documents * 30, 1, annotate=False)
    project = Project.objects.get(name="Bench")
    project.annotations_per_statement = 3
    project.save()
    progress_recount(project=project)
    usernames = users_create(args.annotators, project)
    fields = annotation_form_fields()
    server = gunicorn_start(args)
    results = Results()
    generator = random.Random(args.seed)
    sessions = [
        Session(name, Browser(results), args.pause, random.Random(generator.random()))
        for name in usernames
    ]
    try:
        logged_in = [login(session.browser, session.username) for session in sessions]
        if not all(logged_in):
            raise SystemExit(f"login failed: {results.errors[:5]}")
        workers = CpuSampler(lambda: children_of(server.pid))
        database = CpuSampler(lambda: backend_pids(args.database))
        workers.start()
        database.start()
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=annotate, args=(session, project.pk, fields, deadline, results))
            for session in sessions
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 60)
        elapsed = time.monotonic() - started
        cpu = {"workers": workers.stop(), "database": database.stop()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    pause = f", pauses {args.pause[0]:g}-{args.pause[1]:g} s" if args.pause else ", no pauses"
    print(
        f"\n{args.annotators} annotators{pause}, gunicorn (config/gunicorn.conf.py, workers "
        f"{args.workers or 'default'}, threads {args.threads or 'default'}), PostgreSQL, "
        f"{args.seconds:.0f} s"
    )
    passed = report(results, elapsed, cpu, args.pause)
    if not args.keep:
        database_drop(args.server, args.database)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
