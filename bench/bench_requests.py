"""Request cost at any size: CPU per request of the annotator's three requests on PostgreSQL.

Builds two projects, each in a database of its own, of the same shape and different size
(default: 1,000 statements / 10,000 annotations, and 100,000 statements / 1,000,000
annotations; 10 annotators per statement, all submitted, generated inside PostgreSQL), opens
every statement to one more annotator (`annotations_per_statement` = 11), and walks that
annotator's queue with production settings (DEBUG off, persistent connection) and the WSGI
entry point's start-up (config/wsgi.py) through Django's test client in this process:

  next   "Annotate next": the redirect to the next statement of the queue
  form   the annotation form
  save   "Save and annotate next" (the POST)
  empty  "Annotate next" for an annotator whose queue is empty (the redirect to the project)
  far    "Annotate next" for a new annotator when only the last document is still open (run
         last: it fills every other statement and reopens the last document)

CPU per request = this process's CPU (time.process_time) + the PostgreSQL backend's CPU
(utime + stime of /proc/<backend pid>/stat, read before and after each request; its 10 ms
ticks average out over the requests). Each size runs in a subprocess. Prints the mean per
request, the ratio big / small, and PASS/FAIL against the targets: at the big size each
request <= 15 ms of CPU and <= 1.3x its cost at the small size.

    .venv/bin/python bench/bench_requests.py                       # 1,000 and 100,000 statements
    .venv/bin/python bench/bench_requests.py --sizes 1000 20000 --requests 100
    .venv/bin/python bench/bench_requests.py --reuse               # keep and reuse the databases
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdata import (  # noqa: E402
    annotation_form_fields,
    data_build,
    database_drop,
    database_recreate,
    django_setup,
    post_as_browser,
)

ANNOTATORS = 10
TARGET_MS = 15.0
TARGET_RATIO = 1.3
KINDS = ("next", "form", "save", "empty", "far")
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs=2,
        default=[1_000, 100_000],
        metavar=("SMALL", "BIG"),
        help="statements of the two projects",
    )
    parser.add_argument("--requests", type=int, default=100, help="of each kind, per size")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the databases, and reuse them when they exist"
    )
    parser.add_argument(
        "--prefix",
        default="annotator_bench_requests",
        help="of the databases' names (one database per size: PREFIX_STATEMENTS)",
    )
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()  # fmt: skip


def database_name(args, statements: int) -> str:
    return f"{args.prefix}_{statements}"


def backend_cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime, stime


class Meter:
    """CPU of this process and of the database backend, per kind of request."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.samples = {kind: [] for kind in KINDS}
        self.reconnects = 0

    def pid(self) -> int:
        self.connection.ensure_connection()
        return self.connection.connection.get_backend_pid()

    def request(self, kind: str, send, record: bool):
        pid = self.pid()
        backend, worker, wall = backend_cpu_ms(pid), time.process_time(), time.perf_counter()
        response = send()
        worker = (time.process_time() - worker) * 1000
        wall = (time.perf_counter() - wall) * 1000
        if self.pid() != pid:
            self.reconnects += 1  # a new connection: its backend's CPU is not comparable
            return response
        if record:
            backend = backend_cpu_ms(pid) - backend
            self.samples[kind].append((worker, backend, wall))
        return response


def measure(args) -> dict:
    statements = args.measure
    database = database_name(args, statements)
    from benchdata import server_execute  # noqa: F401 (the server must answer before setup)

    exists = args.reuse and database_exists(args.server, database)
    if not exists:
        database_recreate(args.server, database)
    django_setup(args.server, database)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse

    from annotator.models import Annotation, Project, Statement
    from annotator.progress import progress_recount

    build_seconds = None
    if not exists:
        started = time.perf_counter()
        try:
            data_build(statements * ANNOTATORS, ANNOTATORS)
        except BaseException:
            database_drop(args.server, database)  # --reuse must not find half a build
            raise
        build_seconds = time.perf_counter() - started
    project = Project.objects.get(name="Bench")
    project.annotations_per_statement = ANNOTATORS + 1
    project.save()
    progress_recount(project=project)
    users = get_user_model().objects
    users.filter(username="bench_measured").exists() or users.create_user(
        "bench_measured", password="x", is_staff=True
    ).groups.add(Group.objects.get(name="Annotators"))
    measured = users.get(username="bench_measured")
    Annotation.objects.filter(annotator=measured).delete()  # a rerun starts over (no history kept)
    progress_recount(project=project)
    project.annotators.add(measured)
    finished = users.get(username="bench_annotator_0")  # annotated every statement

    form = annotation_form_fields()
    annotate_next = reverse("admin:annotator_project_annotate", args=[project.pk])
    client, done_client = Client(), Client()
    client.force_login(measured)
    done_client.force_login(finished)
    # As a server starts (config/wsgi.py): the URLs and the admin loaded, the collector set.
    import config.wsgi  # noqa: F401

    meter = Meter()
    for number in range(args.warmup + args.requests):
        record = number >= args.warmup
        response = meter.request("next", lambda: client.get(annotate_next), record)
        location = response["Location"]
        assert "statement=" in location, location
        page = meter.request("form", lambda url=location: client.get(url), record)
        assert page.status_code == 200, page.status_code
        saved = meter.request(
            "save", lambda url=location: post_as_browser(client, url, form), record
        )
        assert saved.status_code == 302 and saved["Location"] == annotate_next, saved
        empty = meter.request("empty", lambda: done_client.get(annotate_next), record)
        assert empty.status_code == 302 and "statement=" not in empty["Location"]
    far_measure(args, meter, project, annotate_next)
    counts = {
        "statements": Statement.objects.filter(document__project=project).count(),
        "annotations": Annotation.objects.count(),
        "build_seconds": build_seconds,
        "reconnects": meter.reconnects,
    }
    result = {"size": counts, "kinds": {}}
    for kind, samples in meter.samples.items():
        worker, backend, wall = zip(*samples, strict=True)
        result["kinds"][kind] = {
            "worker_ms": statistics.fmean(worker),
            "backend_ms": statistics.fmean(backend),
            "wall_median_ms": statistics.median(wall),
            "requests": len(samples),
        }
    if not args.reuse:
        database_drop(args.server, database)
    return result


def far_measure(args, meter, project, annotate_next) -> None:
    """ "Annotate next" for a new annotator when only the last document is still open (every
    other statement is full): the queue must not walk past the full ones."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from annotator.models import Document
    from annotator.progress import progress_recount

    project.annotations_per_statement = ANNOTATORS
    project.save()
    last = Document.objects.filter(project=project).order_by("-id").first()
    with connection.cursor() as cursor:  # one annotator's annotations of the last document go
        for table, column in (("annotator_annotation_labels", "annotation_id"),
                              ("annotator_annotation", "id")):  # fmt: skip
            cursor.execute(
                f"DELETE FROM {table} WHERE {column} IN (SELECT a.id FROM annotator_annotation a "
                "JOIN annotator_statement s ON s.id = a.statement_id JOIN auth_user u "
                "ON u.id = a.annotator_id WHERE s.document_id = %s "
                "AND u.username = 'bench_annotator_1')",
                [last.pk],
            )
    progress_recount(project=project)
    with connection.cursor() as cursor:
        # The recount replaced the open statements' rows: measure the steady state, as
        # autovacuum leaves it, not the dead index entries of the moment after.
        cursor.execute("VACUUM ANALYZE annotator_openstatement")
    users = get_user_model().objects
    newcomer, _ = users.get_or_create(username="bench_far", defaults={"is_staff": True})
    newcomer.groups.add(Group.objects.get(name="Annotators"))
    project.annotators.add(newcomer)
    client = Client()
    client.force_login(newcomer)
    for number in range(args.warmup + args.requests):
        response = meter.request("far", lambda: client.get(annotate_next), number >= args.warmup)
        assert (
            f"statement={last.statements.order_by('position').first().pk}" in (response["Location"])
        ), response["Location"]


def database_exists(server: str, database: str) -> bool:
    import psycopg2

    connection = psycopg2.connect(f"{server}/postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def run_size(args, statements: int) -> dict:
    command = [sys.executable, __file__, "--measure", str(statements),
               "--requests", str(args.requests), "--warmup", str(args.warmup),
               "--server", args.server, "--prefix", args.prefix,
               *(["--reuse"] if args.reuse else [])]  # fmt: skip
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.measure:
        print(json.dumps(measure(args)))
        return
    small_size, big_size = args.sizes
    small, big = run_size(args, small_size), run_size(args, big_size)
    print(f"\nCPU per request (this process + PostgreSQL backend), mean of {args.requests}")
    for name, result in (("small", small), ("big", big)):
        size = result["size"]
        built = f", built in {size['build_seconds']:.0f} s" if size["build_seconds"] else ""
        print(f"  {name}: {size['statements']:,} statements, {size['annotations']:,} "
              f"annotations{built}; reconnects {size['reconnects']}")  # fmt: skip
    print(f"\n{'request':8} {'small ms':>9} {'big ms':>9} {'(worker':>8} {'+ db)':>6} "
          f"{'ratio':>6} {'wall p50 ms':>12}  verdict")  # fmt: skip
    passed = True
    for kind in KINDS:
        cost = {
            name: result["kinds"][kind]["worker_ms"] + result["kinds"][kind]["backend_ms"]
            for name, result in (("small", small), ("big", big))
        }
        ratio = cost["big"] / cost["small"]
        ok = cost["big"] <= TARGET_MS and ratio <= TARGET_RATIO
        passed &= ok
        big_kind = big["kinds"][kind]
        print(f"{kind:8} {cost['small']:9.2f} {cost['big']:9.2f} {big_kind['worker_ms']:8.2f} "
              f"{big_kind['backend_ms']:6.2f} {ratio:6.2f} {big_kind['wall_median_ms']:12.2f}  "
              f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    print(
        f"\n{'PASS' if passed else 'FAIL'}: every request <= {TARGET_MS:.0f} ms of CPU at "
        f"{big_size:,} statements and <= {TARGET_RATIO}x its cost at {small_size:,}"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
