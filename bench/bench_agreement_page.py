"""Benchmark the lead's agreement page at scale, on PostgreSQL.

    .venv/bin/python bench/bench_agreement_page.py                 # 300,000 annotations
    .venv/bin/python bench/bench_agreement_page.py --annotations 30000 --rebuild

Builds synthetic data once in its own database (default `annotator_bench` on the server of
BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432): 12 annotators, 60 sources,
documents of 100 statements, 3 submitted annotations per statement with realistic noise (F and
6 included), labels of the seed label groups. Then renders the agreement page, the per-source
page and the disagreement queue through Django's test client, as a lead, and reports each
time (median and best of 5 runs) beside two references on the same rows: `SELECT count(*)`
and a raw fetch (cursor, fetchall) of exactly the rows the page reads. Target: the agreement
page under 3 seconds. The load average is printed too: on a shared machine the references
move with it, and the ratios are what the code controls.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 3.0
PROJECT_NAME = "Bench: agreement page"
STATEMENTS_PER_DOCUMENT = 100
CODERS = 12
SOURCES = 60


def database_ensure(server_url: str, name: str, rebuild: bool) -> str:
    import psycopg2

    connection = psycopg2.connect(f"{server_url}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and rebuild:
            cursor.execute(f'DROP DATABASE "{name}"')
            exists = False
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return f"{server_url}/{name}"


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Development settings (DEBUG is turned off below): unset DJANGO_DEBUG means production.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # testserver host, no query log
    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------


def build(n_annotations: int, seed: int = 7) -> None:
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from annotator.demo.loading import fixture
    from annotator.models import Annotation, Document, Label, Project, Source, Statement
    from annotator.roles import LEADS_GROUP
    from annotator.vocabulary.services import label_groups_load

    rng = np.random.default_rng(seed)
    User = get_user_model()
    started = time.perf_counter()
    with transaction.atomic():
        label_groups_load(records=fixture("label_groups.json"))
        Source.objects.bulk_create(
            [Source(name=f"Bench source {i:03d}") for i in range(SOURCES)], ignore_conflicts=True
        )
        sources = list(
            Source.objects.filter(name__startswith="Bench source").values_list("pk", flat=True)
        )
        coders = User.objects.bulk_create(
            [User(username=f"bench-annotator-{i:02d}", is_staff=True) for i in range(CODERS)]
        )
        lead, _ = User.objects.get_or_create(username="bench-lead", defaults={"is_staff": True})
        lead.groups.add(Group.objects.get(name=LEADS_GROUP))
        project = Project.objects.create(name=PROJECT_NAME, annotations_per_statement=3)
        project.annotators.add(*coders)

        n_statements = n_annotations // 3
        n_documents = max(1, n_statements // STATEMENTS_PER_DOCUMENT)
        sentence = "Laut der Quelle ist das so. "
        text = sentence * STATEMENTS_PER_DOCUMENT
        documents = Document.objects.bulk_create(
            [
                Document(
                    project=project,
                    title=f"Bench document {d}",
                    text=text,
                    language="de",
                    content_hash=f"bench-{d}",
                )
                for d in range(n_documents)
            ]
        )
        statements = Statement.objects.bulk_create(
            [
                Statement(
                    document=document,
                    position=p,
                    text=sentence.strip(),
                    start=p * len(sentence),
                    end=(p + 1) * len(sentence) - 1,
                )
                for document in documents
                for p in range(STATEMENTS_PER_DOCUMENT)
            ],
            batch_size=10_000,
        )[:n_statements]
        n_statements = len(statements)

        # Each statement: a true source (40% none), the source's typical grades; three
        # annotators who mostly agree, sometimes shift a grade, miss the source, or say F / 6.
        true_source = np.where(
            rng.random(n_statements) < 0.4, 0, rng.zipf(1.6, n_statements) % SOURCES + 1
        )
        typical_reliability = rng.integers(0, 5, SOURCES + 1)
        typical_credibility = np.clip(typical_reliability + rng.integers(-1, 2, SOURCES + 1), 0, 4)
        coder_of = np.argsort(rng.random((n_statements, CODERS)), axis=1)[:, :3]
        shape = (n_statements, 3)
        reliability = np.clip(
            typical_reliability[true_source][:, None]
            + (rng.random(shape) < 0.2) * rng.choice([-1, 1], shape),
            0,
            4,
        )
        credibility = np.clip(
            typical_credibility[true_source][:, None]
            + (rng.random(shape) < 0.3) * rng.choice([-1, 1], shape),
            0,
            4,
        )
        reliability = np.where(rng.random(shape) < 0.05, 5, reliability)
        credibility = np.where(rng.random(shape) < 0.05, 5, credibility)
        source = np.where(rng.random(shape) < 0.08, 0, true_source[:, None])
        source_ids = [None, *sources]
        now = time.time()
        from datetime import UTC, datetime

        submitted_at = datetime.fromtimestamp(now, tz=UTC)
        annotations = [
            Annotation(
                statement=statements[s],
                annotator=coders[int(coder_of[s, k])],
                source_id=source_ids[int(source[s, k])],
                source_reliability="ABCDEF"[int(reliability[s, k])],
                info_credibility="123456"[int(credibility[s, k])],
                status=Annotation.Status.SUBMITTED,
                submitted_at=submitted_at,
            )
            for s in range(n_statements)
            for k in range(3)
        ]
        annotations = Annotation.objects.bulk_create(annotations, batch_size=10_000)

        labels = {(lab.group.name, lab.name): lab.pk for lab in Label.objects.select_related()}
        bias = [labels[("Bias", "non-biased")], labels[("Bias", "biased")]]
        stance = [pk for (group, _), pk in labels.items() if group == "Stance"]
        techniques = [pk for (group, _), pk in labels.items() if group == "Persuasion techniques"]
        biased = rng.random(n_statements) < 0.3
        Through = Annotation.labels.through
        rows = []
        for i, annotation in enumerate(annotations):
            s = i // 3
            flip = rng.random() < 0.15
            rows.append(Through(annotation_id=annotation.pk, label_id=bias[int(biased[s] ^ flip)]))
            if rng.random() < 0.5:
                rows.append(Through(annotation_id=annotation.pk, label_id=stance[s % 4]))
            if biased[s] and rng.random() < 0.6:
                rows.append(
                    Through(annotation_id=annotation.pk, label_id=techniques[s % len(techniques)])
                )
        Through.objects.bulk_create(rows, batch_size=20_000)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
        cursor.execute("ANALYZE")
    print(
        f"built {len(annotations):,} annotations of {n_statements:,} statements in "
        f"{n_documents:,} documents, {len(rows):,} labels, in {time.perf_counter() - started:.0f} s"
    )


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def timed(function, repeat: int) -> tuple[tuple[float, float, float], object]:
    """((median, best, cpu) seconds, result): the best run shows what the code costs, the
    median what the (shared) machine made of it; cpu is this process's CPU time (median),
    which excludes waiting for PostgreSQL and for other processes."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return (statistics.median(times), min(times), statistics.median(cpu)), result


def measure(repeat: int) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from annotator.agreement.data import agreement_data, annotations_submitted, labelling_rows
    from annotator.models import Project

    project = Project.objects.get(name=PROJECT_NAME)
    queryset = annotations_submitted(project=project)
    rows_query = labelling_rows(queryset, "annotator_id", "statement__document_id")
    count_sql, count_params = queryset.values("pk").query.sql_with_params()
    rows_sql, rows_params = rows_query.query.sql_with_params()

    def count():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({count_sql}) AS rows", count_params)
            return cursor.fetchone()[0]

    def fetch():
        with connection.cursor() as cursor:
            cursor.execute(rows_sql, rows_params)
            return len(cursor.fetchall())

    def server_time() -> float:
        best = float("inf")
        for _ in range(repeat):
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {rows_sql}", rows_params)
                plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            best = min(best, plan[0]["Execution Time"] / 1000)
        return best

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-lead"))

    def page(name):
        url = reverse(f"admin:annotator_project_{name}", args=[project.pk])

        def get():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return len(response.content)

        return get

    load_before = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    n = count()
    fetch()  # warm the buffer cache, as a page in use would find it
    count_time, _ = timed(count, repeat)
    fetch_time, fetched = timed(fetch, repeat)
    values_time, _ = timed(lambda: len(list(rows_query.all())), repeat)
    data_time, _ = timed(lambda: agreement_data(project=project), repeat)
    page("agreement")()  # first request: templates, content types
    results = [
        ("SELECT count(*) of the rows", count_time),
        ("raw fetch of the rows (cursor.fetchall)", fetch_time),
        ("values_list of the rows (Django)", values_time),
        ("rows coded as arrays (agreement_data)", data_time),
    ]
    for name in ("agreement", "agreement_sources", "disagreements"):
        seconds, size = timed(page(name), repeat)
        results.append((f"page {name} ({size // 1024} KiB)", seconds))

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\n{n:,} submitted annotations, {fetched:,} rows fetched; {repeat} runs each")
    print(f"load average before: {load_before}; after: {load} ({os.cpu_count()} CPUs)")
    print(f"{'':<42} {'median':>7} {'best':>7} {'cpu':>7} {'x count':>8} {'x fetch':>8}")
    for name, (median, best, cpu) in results:
        print(
            f"{name:<42} {median:>7.3f} {best:>7.3f} {cpu:>7.3f} {median / count_time[0]:>8.1f} "
            f"{median / fetch_time[0]:>8.1f}"
        )
    print(f"server execution of the rows query (EXPLAIN ANALYZE, best): {server_time():.3f}")
    median, best, _ = next(s for name, s in results if name.startswith("page agreement "))
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    print(
        f"\nagreement page: median {median:.2f} s, best {best:.2f} s; target < "
        f"{TARGET_SECONDS:.0f} s (median): {verdict}"
    )
    return 0 if verdict == "PASS" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotations", type=int, default=300_000)
    parser.add_argument("--database", default="annotator_bench")
    parser.add_argument("--rebuild", action="store_true", help="drop and build the data again")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    django_setup(database_ensure(server, args.database, args.rebuild))

    from annotator.models import Annotation, Project

    project = Project.objects.filter(name=PROJECT_NAME).first()
    have = Annotation.objects.filter(statement__document__project=project).count() if project else 0
    if have != args.annotations // 3 * 3:
        if project is not None:
            sys.exit(f"{args.database} holds {have:,} annotations: run with --rebuild")
        build(args.annotations)
    return measure(args.repeat)


if __name__ == "__main__":
    sys.exit(main())
