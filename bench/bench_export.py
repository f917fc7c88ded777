"""Benchmark the whole `export_dataset` command a user runs, per format, at several sizes on
PostgreSQL, against references measured in the same run.

    .venv/bin/python bench/bench_export.py [--sizes 100000,300000,1000000]
        [--formats csv,jsonl,parquet,xlsx] [--keep]

For each size it builds its own PostgreSQL database (annotator_bench_export or $BENCH_PG_NAME,
dropped at the end unless --keep): migrations, the fixture vocabulary and sources, a project
with 4 annotators, and then with SQL (generate_series) documents of 25 statements each, 4
submitted annotations per statement with 1-3 labels each, and a gold label on every fifth
statement, then VACUUM ANALYZE (what autovacuum does to tables at rest). Then, each in its
own process, wall time and peak RSS (ru_maxrss of the child):

* reference "bare COPY": ``psql -c "\\copy annotator_annotation TO file (FORMAT csv)"``, the
  annotation table as it is;
* reference "COPY of our query": psql's \\copy of the csv export's own SELECT;
* ours: ``manage.py export_dataset --format F`` for each format (the data file, the documents
  file and the dataset card, exactly what a user runs);
* the dataset card alone (its figures and text, inside the export's snapshot).

Targets (issue 13): csv <= 3x bare COPY, jsonl <= 2x csv, card <= 2 s, peak < 300 MB and flat
from 100k to 1M, xlsx >= 20,000 rows/s (its rows: statements + annotations + sources).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_PG_NAME", "annotator_bench_export")
STATEMENTS_PER_DOCUMENT = 25
ANNOTATORS = 4
# Fixed-length statement texts (in characters), so offsets are position * (LENGTH + 1).
TEXT_TAIL = " – laut KCNA ist die Lage an der Front „ernst“, sagen Beobachter."
TEXT_LENGTH = 9 + 1 + 8 + len(TEXT_TAIL)


def run(command: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, text=True, capture_output=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stderr[-3000:]}")
    return done


def measured(command: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of a child process; its CPU seconds (user +
    system, not the database server's) in LAST_CPU."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    out, err = child.stdout.read(), child.stderr.read()
    if status != 0:
        raise RuntimeError(f"{command} failed:\n{err}")
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, out


LAST_CPU = [0.0]


def psql(sql: str, database: str = "postgres") -> str:
    return run(
        ["psql", f"{PG_SERVER}/{database}", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql]
    ).stdout


# --------------------------------------------------------------------------------------------
# Children (each in its own process): Django set up against DATABASE_URL
# --------------------------------------------------------------------------------------------


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Development settings, as before: an unset DJANGO_DEBUG now means production.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def child_setup() -> None:
    """Vocabulary, sources, users and the project; prints the ids the SQL needs."""
    django_setup()
    from django.contrib.auth import get_user_model

    from annotator.demo.loading import fixture
    from annotator.models import Label, LabelGroup, Project, Source
    from annotator.registry.services import sources_load
    from annotator.vocabulary.services import label_groups_load, schema_groups_add

    sources_load(records=fixture("sources.json"))
    label_groups_load(records=fixture("label_groups.json"))
    users = [
        get_user_model().objects.create(username=f"bench_annotator_{i}") for i in range(ANNOTATORS)
    ]
    lead = get_user_model().objects.create(username="bench_lead")
    project = Project.objects.create(name="Bench", guidelines_version="bench")
    project.annotators.add(*users)
    # Every group in the project's schema: without it the export has no label columns.
    schema_groups_add(project=project, groups=list(LabelGroup.objects.order_by("position", "name")))
    labels = {f"{x.group.name}:{x.name}": x.pk for x in Label.objects.select_related("group")}
    print(
        json.dumps(
            {
                "project": project.pk,
                "users": [u.pk for u in users],
                "lead": lead.pk,
                "labels": labels,
                "sources": list(Source.objects.values_list("pk", flat=True)),
            }
        )
    )


def child_query(output: str) -> None:
    """The export's SELECT, with its parameters bound, for psql."""
    django_setup()
    from django.db import connection

    from annotator.datasets.postgres import SETTINGS, copy_query
    from annotator.datasets.selection import DatasetExport
    from annotator.models import Project

    sql, params = copy_query(DatasetExport(project=Project.objects.get(name="Bench")))
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(sql, params).decode()
    Path(output).write_text(" ".join(query.split()), encoding="utf-8")
    print("".join(f"SET {name} = '{value}'; " for name, value in SETTINGS.items()))


# --------------------------------------------------------------------------------------------
# Building the data
# --------------------------------------------------------------------------------------------


def build_postgres(annotations: int) -> dict:
    url = f"{PG_SERVER}/{PG_NAME}"
    psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
    psql(f"CREATE DATABASE {PG_NAME}")
    env = {"DATABASE_URL": url}
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    ids = json.loads(run([sys.executable, __file__, "--child", "setup"], env).stdout)
    documents = -(-annotations // (ANNOTATORS * STATEMENTS_PER_DOCUMENT))
    kcna = ids["sources"][0]
    label = ids["labels"]
    bias = (label["Bias:non-biased"], label["Bias:biased"])
    stance = [label[f"Stance:{name}"] for name in ("pro-Russia", "pro-Ukraine", "neutral")]
    techniques = [v for k, v in label.items() if k.startswith("Persuasion techniques:")]
    users = ", ".join(f"({pk})" for pk in ids["users"])
    statement_text = (
        "(CASE WHEN n % 997 = 0 THEN '=SUM(1,2)' ELSE 'Statement' END) || ' ' || "
        f"lpad(n::text, 8, '0') || '{TEXT_TAIL}'"
    )
    steps = [
        f"""INSERT INTO annotator_document (project_id, title, text, language, url, place,
            outlet, listed_sources, external_id, content_hash, created_at)
            SELECT {ids["project"]}, 'Bench article ' || d, (
                SELECT string_agg({statement_text}, ' ' ORDER BY p)
                FROM generate_series(0, {STATEMENTS_PER_DOCUMENT - 1}) p,
                     LATERAL (SELECT (d - 1) * {STATEMENTS_PER_DOCUMENT} + p AS n) x),
                'de', '', '', '', '', 'bench-' || d, md5(d::text) || md5('x' || d), now()
            FROM generate_series(1, {documents}) d""",
        f"""INSERT INTO annotator_statement (document_id, position, paragraph, text, start,
            "end", suggested_source_id, suggested_mention, suggested_cue,
            suggested_mention_resolved)
            SELECT doc.id, p, 0, {statement_text}, p * {TEXT_LENGTH + 1},
                   p * {TEXT_LENGTH + 1} + {TEXT_LENGTH},
                   CASE WHEN p % 3 = 0 THEN {kcna} END,
                   CASE WHEN p % 3 = 0 THEN 'KCNA' ELSE '' END,
                   CASE WHEN p % 3 = 0 THEN 'laut' ELSE '' END,
                   ''
            FROM annotator_document doc
            CROSS JOIN generate_series(0, {STATEMENTS_PER_DOCUMENT - 1}) p
            CROSS JOIN LATERAL (SELECT (substr(doc.external_id, 7)::int - 1)
                                       * {STATEMENTS_PER_DOCUMENT} + p AS n) x
            WHERE doc.project_id = {ids["project"]}""",
        f"""INSERT INTO annotator_annotation (statement_id, annotator_id, source_id,
            source_mention, source_reliability, info_credibility, note, status, submitted_at,
            created_at, updated_at, version, guidelines_version, seconds_spent, skip_reason)
            SELECT s.id, u.id, CASE WHEN (s.id + u.id) % 4 = 0 THEN NULL
                                    ELSE {kcna} END,
                   CASE WHEN (s.id + u.id) % 4 = 0 THEN '' ELSE 'laut KCNA' END,
                   substr('ABCDEF', (1 + CASE WHEN (s.id * 13 + u.id * 7) % 4 = 0
                                             THEN (s.id + u.id) % 6 ELSE s.id % 5 END)::int, 1),
                   substr('123456', (1 + CASE WHEN (s.id * 11 + u.id * 5) % 3 = 0
                                             THEN (s.id * u.id) % 6 ELSE s.id % 5 END)::int, 1),
                   CASE WHEN (s.id + u.id) % 1000 = 0 THEN '=1+1 "quoted", note' ELSE '' END,
                   'submitted', now() - (s.id % 1000) * interval '1 minute', now(), now(), 1,
                   '1.0', 60, ''
            FROM annotator_statement s CROSS JOIN (VALUES {users}) AS u(id)
            ORDER BY s.id, u.id
            LIMIT {annotations}""",
        f"""INSERT INTO annotator_annotation_labels (annotation_id, label_id)
            SELECT id, CASE WHEN (statement_id + annotator_id) % 3 = 0 THEN {bias[1]}
                            ELSE {bias[0]} END FROM annotator_annotation
            UNION ALL
            SELECT id, (ARRAY{stance})[(1 + statement_id % 3)::int] FROM annotator_annotation
            WHERE (statement_id + annotator_id) % 2 = 0
            UNION ALL
            SELECT id, (ARRAY{techniques})[(1 + (statement_id * annotator_id) % 8)::int]
            FROM annotator_annotation WHERE statement_id % 3 = 0""",
        f"""INSERT INTO annotator_goldlabel (statement_id, source_id, source_mention,
            source_reliability, info_credibility, note, method, decided_by_id, rationale,
            created_at, updated_at, version)
            SELECT id, {kcna}, 'KCNA', substr('ABCDE', (1 + id % 5)::int, 1),
                   substr('12345', (1 + id % 5)::int, 1), '', 'adjudicated', {ids["lead"]},
                   'bench', now(), now(), 1
            FROM annotator_statement WHERE id % 5 = 0""",
        f"""INSERT INTO annotator_goldlabel_labels (goldlabel_id, label_id)
            SELECT id, {bias[1]} FROM annotator_goldlabel""",
        # As autovacuum leaves tables at rest (this server may run without it): statistics,
        # and the visibility map that lets the label pairs be read from their index alone.
        "VACUUM ANALYZE",
    ]
    for sql in steps:
        psql(sql, PG_NAME)
    counts = psql(
        "SELECT (SELECT count(*) FROM annotator_statement) || ' ' || "
        "(SELECT count(*) FROM annotator_annotation) || ' ' || "
        "(SELECT count(*) FROM annotator_annotation_labels)",
        PG_NAME,
    ).split()
    return {
        "url": url,
        "statements": int(counts[0]),
        "annotations": int(counts[1]),
        "labels": int(counts[2]),
    }


def bare_copy_run(work: Path, url: str) -> dict:
    output = work / "bare.csv"
    copy = f"\\copy annotator_annotation TO '{output}' WITH (FORMAT csv)"
    wall, peak, _ = measured(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", copy], {})
    return {"seconds": wall, "peak": peak, "mb": output.stat().st_size / 1e6}


def query_copy_run(work: Path, url: str, env: dict) -> dict:
    """psql's \\copy of the export's own SELECT, with the session setting the export uses."""
    query_file = work / "query.sql"
    command = [sys.executable, __file__, "--child", "query", "--output", str(query_file)]
    settings = run(command, env).stdout.strip()
    output = work / "query.csv"
    copy = f"\\copy ({query_file.read_text()}) TO '{output}' WITH (FORMAT csv)"
    psql_command = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1"]
    wall, peak, _ = measured([*psql_command, "-c", settings, "-c", copy], {})
    return {"seconds": wall, "peak": peak, "mb": output.stat().st_size / 1e6}


def command_run(work: Path, fmt: str, env: dict) -> dict:
    output = work / f"export.{fmt}"
    command = [sys.executable, "manage.py", "export_dataset", "--project", "Bench",
               "--format", fmt, "--output", str(output)]  # fmt: skip
    wall, peak, _ = measured(command, {"DJANGO_DEBUG": "1", **env})
    result = {"seconds": wall, "peak": peak, "mb": output.stat().st_size / 1e6,
              "cpu": LAST_CPU[0]}  # fmt: skip
    for path in work.glob("export.*"):
        path.unlink()
    return result


def startup_run(env: dict) -> dict:
    """Django's start-up as every command pays it: manage.py loads the settings and apps and
    the export command, and prints its help."""
    command = [sys.executable, "manage.py", "export_dataset", "--help"]
    wall, peak, _ = measured(command, {"DJANGO_DEBUG": "1", **env})
    return {"seconds": wall, "peak": peak, "cpu": LAST_CPU[0]}


def child_card() -> None:
    django_setup()
    from annotator.datasets.card import dataset_card
    from annotator.datasets.selection import DatasetExport, export_snapshot
    from annotator.models import Project

    export = DatasetExport(project=Project.objects.get(name="Bench"))
    with export_snapshot():
        start = time.perf_counter()
        dataset_card(export=export, fmt="csv", data_name="x.csv", documents_name="x.d",
                     command="bench")  # fmt: skip
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))


def card_run(env: dict) -> dict:
    wall, peak, out = measured([sys.executable, __file__, "--child", "card"], env)
    return {**json.loads(out), "peak": peak, "cpu": LAST_CPU[0]}


def size_run(size: int, formats: list[str], keep: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench_export_"))
    started = time.perf_counter()
    print(f"building {size:,} annotations in PostgreSQL ({PG_NAME}) ...", flush=True)
    built = build_postgres(size)
    print(
        f"  {built['statements']:,} statements, {built['annotations']:,} annotations, "
        f"{built['labels']:,} label rows in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    env = {"DATABASE_URL": built["url"]}
    results = {"built": built}
    try:
        results["bare COPY"] = bare_copy_run(work, built["url"])
        results["COPY of our query"] = query_copy_run(work, built["url"], env)
        results["start-up"] = startup_run(env)
        for fmt in formats:
            print(f"  export_dataset --format {fmt} ...", flush=True)
            results[fmt] = command_run(work, fmt, env)
        results["card"] = card_run(env)
    finally:
        if not keep:
            psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    report(size, results)
    return results


def report(size: int, results: dict) -> None:
    built = results["built"]
    bare = results["bare COPY"]["seconds"]
    print(f"\n{built['annotations']:,} annotations ({built['statements']:,} statements)")
    for name, r in results.items():
        if name == "built":
            continue
        mb = f"{r['mb']:8.1f} MB" if "mb" in r else " " * 11
        cpu = f"  cpu {r['cpu']:6.1f} s" if "cpu" in r else ""
        print(f"  {name:<20} {r['seconds']:7.1f} s  {r['seconds'] / bare:5.1f}x bare COPY  "
              f"{mb}  peak {r['peak']:5.0f} MB{cpu}")  # fmt: skip
    startup = results["start-up"]["seconds"]
    for fmt in ("csv", "jsonl", "parquet", "xlsx"):
        if fmt in results:
            work = results[fmt]["seconds"] - startup
            print(f"  {fmt}: start-up {startup:.1f} s + work {work:.1f} s "
                  f"(work alone {work / bare:.1f}x bare COPY)")  # fmt: skip
    checks = []
    if "csv" in results:
        checks.append(("csv <= 3x bare COPY", results["csv"]["seconds"] / bare, 3.0))
    if "csv" in results and "jsonl" in results:
        checks.append(
            ("jsonl <= 2x csv", results["jsonl"]["seconds"] / results["csv"]["seconds"], 2.0)
        )
    checks.append(("card <= 2 s", results["card"]["seconds"], 2.0))
    peak = max(r["peak"] for n, r in results.items() if n not in ("built",))
    checks.append(("peak < 300 MB", peak, 300.0))
    if "xlsx" in results:
        rows = built["annotations"] + built["statements"]
        rate = rows / results["xlsx"]["seconds"]
        print(f"  xlsx: {rows:,} rows (statements + annotations) at {rate:,.0f} rows/s")
        checks.append(("xlsx >= 20,000 rows/s", 20_000 / rate, 1.0))
    for name, value, limit in checks:
        print(f"  {name:<24} {value:8.2f}  {'PASS' if value <= limit else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--formats", default="csv,jsonl,parquet,xlsx")
    parser.add_argument("--keep", action="store_true", help="keep the last benchmark database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_DEBUG", "1")  # development settings in every child
    if args.child == "setup":
        return child_setup()
    if args.child == "query":
        return child_query(args.output)
    if args.child == "card":
        return child_card()
    sizes = [int(size) for size in args.sizes.split(",")]
    formats = args.formats.split(",")
    for number, size in enumerate(sizes):
        size_run(size, formats, keep=args.keep and number == len(sizes) - 1)


if __name__ == "__main__":
    main()
