"""Shared by the benchmarks: a PostgreSQL database of their own, production-like settings,
and synthetic projects generated inside the database (fast enough for a million rows)."""

import os
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STATEMENTS_PER_DOCUMENT = 30


def server_execute(server: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
    connection = psycopg2.connect(f"{server}/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def database_recreate(server: str, database: str) -> None:
    server_execute(
        server, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}"
    )


def database_drop(server: str, database: str) -> None:
    from django.db import connections

    connections.close_all()
    server_execute(server, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def production_environment(server: str, database: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) against the benchmark's own database."""
    return {
        "DATABASE_URL": f"{server}/{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }


def django_setup(server: str, database: str) -> None:
    os.environ.update(production_environment(server, database))
    import django

    django.setup()


def data_build(annotations: int, annotators: int, annotate: bool = True) -> None:
    """Documents, statements, annotations and their labels, generated inside PostgreSQL."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from annotator.demo.loading import fixture
    from annotator.models import LabelGroup, Project
    from annotator.registry.services import sources_load
    from annotator.vocabulary.services import label_groups_load, schema_groups_add

    call_command("migrate", verbosity=0)
    sources_load(records=fixture("sources.json"))
    label_groups_load(records=fixture("label_groups.json"))
    project = Project.objects.create(name="Bench", annotations_per_statement=annotators)
    # The demo's schema (Bias, Stance, Persuasion techniques): the form shows its label groups.
    schema_groups_add(project=project, groups=list(LabelGroup.objects.order_by("position", "pk")))
    users = get_user_model().objects
    lead = users.create_user("bench_lead", password="x", is_staff=True)
    lead.groups.add(Group.objects.get(name="Leads"))
    group = Group.objects.get(name="Annotators")
    for number in range(annotators):
        user = users.create_user(f"bench_annotator_{number}", password="x", is_staff=True)
        user.groups.add(group)
        project.annotators.add(user)
    documents = -(-annotations // (annotators * STATEMENTS_PER_DOCUMENT))  # round up
    steps = generation_sql(project.pk, documents)
    with connection.cursor() as cursor:
        for label, sql in steps if annotate else steps[:2]:
            started = time.perf_counter()
            cursor.execute(sql)
            print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    from annotator.progress import progress_recount

    progress_recount(project=project)  # written in SQL: the progress counts from scratch
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def generation_sql(project_id: int, documents: int) -> list[tuple[str, str]]:
    sentence = "'Satz ' || i || ' des Artikels ' || g || ' nach Angaben der Quelle.'"
    return [
        (
            f"{documents} documents",
            f"""
            INSERT INTO annotator_document (project_id, title, text, language, url, place,
                outlet, listed_sources, external_id, content_hash, created_at)
            SELECT {project_id}, 'Artikel ' || g,
                (SELECT string_agg({sentence}, ' ' ORDER BY i)
                 FROM generate_series(0, {STATEMENTS_PER_DOCUMENT - 1}) i),
                'de', '', '', '', '', 'bench-' || g, md5('bench-' || g), now()
            FROM generate_series(1, {documents}) g
            """,
        ),
        (
            f"{documents * STATEMENTS_PER_DOCUMENT} statements",
            f"""
            INSERT INTO annotator_statement (document_id, position, paragraph, text, start,
                "end", suggested_source_id, suggested_mention, suggested_cue,
                suggested_mention_resolved)
            SELECT id, i, 0, t, offset_, offset_ + length(t),
                CASE WHEN i % 3 = 0 THEN (SELECT min(id) FROM annotator_source) END,
                CASE WHEN i % 3 = 0 THEN 'der Quelle' ELSE '' END,
                CASE WHEN i % 3 = 0 THEN 'nach Angaben' ELSE '' END,
                ''
            FROM (
                SELECT d.id, i, {sentence.replace("g ||", "substr(d.external_id, 7) ||")} AS t,
                    sum(length({sentence.replace("g ||", "substr(d.external_id, 7) ||")}) + 1)
                        OVER (PARTITION BY d.id ORDER BY i)
                    - length({sentence.replace("g ||", "substr(d.external_id, 7) ||")}) - 1
                        AS offset_
                FROM annotator_document d
                CROSS JOIN generate_series(0, {STATEMENTS_PER_DOCUMENT - 1}) i
            ) generated
            """,
        ),
        (
            "annotations",
            """
            INSERT INTO annotator_annotation (statement_id, annotator_id, source_id,
                source_mention, source_reliability, info_credibility, note, created_at,
                updated_at, status, submitted_at, version, skip_reason, seconds_spent,
                guidelines_version)
            SELECT s.id, u.id, s.suggested_source_id, s.suggested_mention,
                substr('ABCDEF', 1 + (random() * 5)::int, 1),
                substr('123456', 1 + (random() * 5)::int, 1), '',
                now(), now() - random() * interval '60 days', 'submitted', now(), 1, '', 0, '1.0'
            FROM annotator_statement s
            CROSS JOIN (SELECT id FROM auth_user WHERE username LIKE 'bench_annotator_%') u
            """,
        ),
        (
            "annotation labels",
            """
            INSERT INTO annotator_annotation_labels (annotation_id, label_id)
            SELECT a.id, (SELECT id FROM annotator_label
                          WHERE name = CASE WHEN a.id % 4 = 0 THEN 'biased' ELSE 'non-biased' END)
            FROM annotator_annotation a
            """,
        ),
    ]


def post_as_browser(client, url: str, form: dict):
    """POST the form as a browser sends the annotation form (urlencoded: it has no file field,
    so the admin's page sets no multipart enctype); the test client's default, multipart, costs
    the worker about a tenth of a save's CPU that real traffic does not pay."""
    from urllib.parse import urlencode

    body = urlencode(form, doseq=True)
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def annotation_form_fields() -> dict:
    """What the benchmarks post to save an annotation: grades C3, the required Bias label."""
    from annotator.models import Label

    bias = Label.objects.get(group__name="Bias", name="non-biased")
    return {
        "source": "",
        "source_mention": "",
        "source_reliability": "C",
        "info_credibility": "3",
        f"label_group_{bias.group_id}": bias.pk,
        "note": "",
        "_annotate_next": "Save and annotate next",
    }


def measured_annotator_start_over(annotations_per_statement: int):
    """The Bench project's measured annotator with no annotations, every statement open to
    them (its counts recounted); returns (project, measured annotator). Imports the annotator
    of whichever checkout is on sys.path."""
    from django.contrib.auth import get_user_model

    from annotator.models import Annotation, Project
    from annotator.progress import progress_recount

    project = Project.objects.get(name="Bench")
    project.annotations_per_statement = annotations_per_statement
    project.save()
    measured = get_user_model().objects.get(username="bench_measured")
    Annotation.objects.filter(annotator=measured).delete()
    progress_recount(project=project)
    return project, measured
