"""PostgreSQL's CPU for each query of the annotation form and of the save, as the server counts
it: the measured session turns on `log_statement_stats`, and PostgreSQL sends each statement's
user and system CPU (getrusage, microseconds) back to the client as a notice.

    .venv/bin/python bench/bench_query_cpu.py DATABASE [--rounds 30] [--root CHECKOUT]

DATABASE: a copy of a database that bench_requests.py built (`CREATE DATABASE b TEMPLATE a`):
the run starts its measured annotator over. --root: the checkout whose code runs (another
one's, to compare; by default this one's). Prints the mean CPU of each query of one form and
one save, in the order they run, and their totals.
"""

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdata import (  # noqa: E402
    annotation_form_fields,
    django_setup,
    measured_annotator_start_over,
    post_as_browser,
)

SERVER = "postgres://postgres@127.0.0.1:5432"
STATEMENT_CPU = re.compile(r"!\s+([\d.]+) s user, ([\d.]+) s system")
SAVEPOINT_NAME = re.compile(r'"s\d+_x\d+"')  # Django's, new on every savepoint


def annotator_start_over():
    """The measured annotator with no annotations, every statement open to them."""
    import bench_requests

    return measured_annotator_start_over(bench_requests.ANNOTATORS + 1)


def measure(rounds: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    project, measured = annotator_start_over()
    form = annotation_form_fields()
    annotate_next = reverse("admin:annotator_project_annotate", args=[project.pk])
    client = Client()
    client.force_login(measured)
    import config.wsgi  # noqa: F401

    log = []

    def server_cpu(execute, sql, params, many, context):
        notices = connection.connection.notices
        del notices[:]
        try:
            return execute(sql, params, many, context)
        finally:
            found = (STATEMENT_CPU.search(notice) for notice in notices)
            cpu = sum(float(m.group(1)) + float(m.group(2)) for m in found if m)
            log.append((cpu, SAVEPOINT_NAME.sub('"s…"', " ".join(sql.split()))[:100]))

    for _warm_up in range(5):
        location = client.get(annotate_next)["Location"]
        client.get(location)
        post_as_browser(client, location, form)
    with connection.cursor() as cursor:
        cursor.execute("SET log_statement_stats = on")
        cursor.execute("SET client_min_messages = log")
    totals = defaultdict(float)
    for _round in range(rounds):
        location = client.get(annotate_next)["Location"]
        requests = {
            "form": lambda url=location: client.get(url),
            "save": lambda url=location: post_as_browser(client, url, form),
        }
        for kind, send in requests.items():
            log.clear()
            with connection.execute_wrapper(server_cpu):
                send()
            for number, (cpu, sql) in enumerate(log):
                totals[(kind, number, sql)] += cpu / rounds
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    if args.root:
        sys.path.insert(0, str(args.root))  # that checkout's annotator and config
    django_setup(SERVER, args.database)
    totals = measure(args.rounds)
    for (kind, number, sql), cpu in sorted(totals.items()):
        print(f"{kind} {number:2d} {cpu * 1000:6.3f} ms  {sql}")
    for kind in ("form", "save"):
        total = sum(cpu for key, cpu in totals.items() if key[0] == kind)
        print(f"{kind} total {total * 1000:.2f} ms of PostgreSQL CPU")


if __name__ == "__main__":
    main()
