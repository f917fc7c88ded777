"""The form and the save of two checkouts measured at the same time, on a machine whose load
moves: each checkout's code in its own process, on its own copy of a database that
bench_requests.py built, so both share whatever else the machine runs. CPU per request as
bench_requests.py counts it (this process + the PostgreSQL backend).

    .venv/bin/python bench/bench_form_save_pair.py BEFORE_CHECKOUT DB_A DB_B [--requests 100]

runs BEFORE_CHECKOUT on DB_A and this checkout on DB_B, then the two swapped, and prints each
round's worker and PostgreSQL milliseconds of both. DB_A and DB_B: copies of one built
database (`CREATE DATABASE b TEMPLATE a`); each run starts the measured annotator over.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
SERVER = "postgres://postgres@127.0.0.1:5432"


def measure(database: str, requests: int, root: Path) -> dict:
    sys.path.insert(0, str(HERE.parent))
    import bench_requests
    from benchdata import (
        annotation_form_fields,
        django_setup,
        measured_annotator_start_over,
        post_as_browser,
    )

    sys.path.insert(0, str(root))  # that checkout's annotator and config, not this one's
    django_setup(SERVER, database)
    from django.test import Client
    from django.urls import reverse

    project, measured = measured_annotator_start_over(bench_requests.ANNOTATORS + 1)
    form = annotation_form_fields()
    annotate_next = reverse("admin:annotator_project_annotate", args=[project.pk])
    client = Client()
    client.force_login(measured)
    import config.wsgi  # noqa: F401

    meter = bench_requests.Meter()
    for number in range(10 + requests):
        record = number >= 10
        location = meter.request("next", lambda: client.get(annotate_next), record)["Location"]
        shown = meter.request("form", lambda url=location: client.get(url), record)
        assert shown.status_code == 200
        saved = meter.request(
            "save", lambda url=location: post_as_browser(client, url, form), record
        )
        assert saved.status_code == 302
    means = {}
    for kind in ("form", "save"):
        worker, backend, _wall = zip(*meter.samples[kind], strict=True)
        means[kind] = [statistics.fmean(worker), statistics.fmean(backend)]
    return means


def start(checkout: Path, database: str, requests: int) -> subprocess.Popen:
    script = checkout / "bench" / HERE.name
    if not script.exists():  # a checkout from before this script: run this one on its code
        script = HERE
    command = [sys.executable, str(script), "--measure", database, "--root", str(checkout),
               "--requests", str(requests)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", nargs="?", type=Path)
    parser.add_argument("databases", nargs="*")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.requests, args.root)))
        return
    this = HERE.parent.parent
    first, second = args.databases
    for before_db, this_db in ((first, second), (second, first)):
        runs = {"before": start(args.before, before_db, args.requests),
                "this": start(this, this_db, args.requests)}  # fmt: skip
        for name, process in runs.items():
            result = json.loads(process.communicate()[0].strip().splitlines()[-1])
            print(f"{name:7}" + "".join(
                f"  {kind} worker {worker:6.2f} + db {db:5.2f} ms"
                for kind, (worker, db) in result.items()
            ))  # fmt: skip


if __name__ == "__main__":
    main()
