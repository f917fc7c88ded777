"""Admin list pages at 1,000,000 annotations on PostgreSQL.

Builds a project of 100,000 statements annotated by 10 annotators (1,000,000 annotations with
their labels) in a database of its own, then requests the Annotation and Statement list pages
through Django's test client: the default view, every default filter, a search, a later page,
and an annotator's own list. For each it prints the median response time beside the reference,
the raw SQL that fetches the same page of rows, and the ratio. Target: every median < 300 ms.

    .venv/bin/python bench/bench_admin_lists.py [--annotations 1000000] [--repeat 7]
        [--server postgres://postgres@127.0.0.1:5432] [--keep]
"""

import argparse
import statistics
import sys
import time

from benchdata import data_build, database_drop, database_recreate, django_setup

DATABASE = "annotator_bench_lists"
TARGET_MS = 300


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept before")
    return parser.parse_args()


def pages() -> list[tuple[str, str, str, str]]:
    """(name, who, url, reference SQL fetching the same page of rows)."""
    from django.contrib.auth import get_user_model

    from annotator.models import Document, Project, Source

    project = Project.objects.get(name="Bench")
    annotator = get_user_model().objects.get(username="bench_annotator_3")
    document = Document.objects.order_by("id")[500]
    source = Source.objects.order_by("id").first()
    annotations = "/admin/annotator/annotation/"
    statements = "/admin/annotator/statement/"
    page_sql = """
        SELECT a.*, s.text, d.title, u.username, src.name
        FROM annotator_annotation a
        JOIN annotator_statement s ON s.id = a.statement_id
        JOIN annotator_document d ON d.id = s.document_id
        JOIN auth_user u ON u.id = a.annotator_id
        LEFT JOIN annotator_source src ON src.id = a.source_id
        {where} ORDER BY a.id DESC LIMIT 50 OFFSET {offset}
    """
    statement_sql = """
        SELECT s.*, d.title, src.name FROM annotator_statement s
        JOIN annotator_document d ON d.id = s.document_id
        LEFT JOIN annotator_source src ON src.id = s.suggested_source_id
        {where} ORDER BY s.document_id, s.position LIMIT 100
    """
    return [
        ("annotations", "bench_lead", annotations, page_sql.format(where="", offset=0)),
        (
            "annotations, page 20",
            "bench_lead",
            annotations + "?p=20",
            page_sql.format(where="", offset=19 * 50),
        ),
        (
            "annotations by status",
            "bench_lead",
            annotations + "?status__exact=submitted",
            page_sql.format(where="WHERE a.status = 'submitted'", offset=0),
        ),
        (
            "annotations by reliability",
            "bench_lead",
            annotations + "?source_reliability__exact=E",
            page_sql.format(where="WHERE a.source_reliability = 'E'", offset=0),
        ),
        (
            "annotations by credibility",
            "bench_lead",
            annotations + "?info_credibility__exact=4",
            page_sql.format(where="WHERE a.info_credibility = '4'", offset=0),
        ),
        (
            "annotations by annotator",
            "bench_lead",
            annotations + f"?annotator__id__exact={annotator.pk}",
            page_sql.format(where=f"WHERE a.annotator_id = {annotator.pk}", offset=0),
        ),
        (
            "annotations by source",
            "bench_lead",
            annotations + f"?source__id__exact={source.pk}",
            page_sql.format(where=f"WHERE a.source_id = {source.pk}", offset=0),
        ),
        (
            "annotations by project",
            "bench_lead",
            annotations + f"?project={project.pk}",
            page_sql.format(where=f"WHERE d.project_id = {project.pk}", offset=0),
        ),
        (
            "an annotator's own list",
            annotator.username,
            annotations,
            page_sql.format(where=f"WHERE a.annotator_id = {annotator.pk}", offset=0),
        ),
        ("statements", "bench_lead", statements, statement_sql.format(where="")),
        (
            "statements by document",
            "bench_lead",
            statements + f"?document__id__exact={document.pk}",
            statement_sql.format(where=f"WHERE s.document_id = {document.pk}"),
        ),
        (
            "statements by project",
            "bench_lead",
            statements + f"?project={project.pk}",
            statement_sql.format(where=f"WHERE d.project_id = {project.pk}"),
        ),
        (
            "statements by suggested source",
            "bench_lead",
            statements + f"?suggested_source__id__exact={source.pk}",
            statement_sql.format(where=f"WHERE s.suggested_source_id = {source.pk}"),
        ),
    ]


def median_ms(action, repeat: int) -> float:
    action()  # warm the caches once
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(repeat: int) -> bool:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    print(f"\n{'page':<32} {'median ms':>10} {'SQL ref ms':>11} {'ratio':>7} {'queries':>8}")
    all_fast = True
    for name, who, url, reference_sql in pages():
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(get_user_model().objects.get(username=who))
        client = clients[who]

        def request(client=client, url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        def reference(sql=reference_sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.fetchall()

        page_ms = median_ms(request, repeat)
        reference_ms = median_ms(reference, repeat)
        with CaptureQueriesContext(connection) as queries:
            request()
        all_fast &= page_ms < TARGET_MS
        print(
            f"{name:<32} {page_ms:>10.1f} {reference_ms:>11.1f} "
            f"{page_ms / reference_ms:>7.1f} {len(queries):>8}"
        )
    return all_fast


def main() -> None:
    args = parse_args()
    if not args.reuse:
        database_recreate(args.server, DATABASE)
    django_setup(args.server, DATABASE)
    from django.core.management import call_command

    from annotator.models import Annotation

    call_command("migrate", verbosity=0)  # a reused database gets the newest indexes
    if not args.reuse:
        print(f"building {args.annotations:,} annotations by {args.annotators} annotators")
        data_build(args.annotations, args.annotators)
    print(f"annotations in the database: {Annotation.objects.count():,}")
    all_fast = measure(args.repeat)
    print(f"\n{'PASS' if all_fast else 'FAIL'}: every median under {TARGET_MS} ms")
    if not args.keep:
        database_drop(args.server, DATABASE)
    sys.exit(0 if all_fast else 1)


if __name__ == "__main__":
    main()
