"""The database going away in the middle of an import or an export: a clear error, no
half-written document or file, and a rerun finishes the job. The connection is really cut by
PostgreSQL: a trigger terminates the importing backend while it writes the second article's
statements; the exporting backend is terminated while it waits for a locked table."""

import threading

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from annotator.models import Document, Statement

pytestmark = pytest.mark.postgres

ARTICLE = "{title}\nLaut KCNA ist {title} ein Satz. Experten vermuten einen zweiten Satz.\n"

KILL_ONCE_SQL = """
CREATE SEQUENCE fault_kill_once;
CREATE FUNCTION fault_kill_backend() RETURNS trigger AS $$
BEGIN
    -- nextval is not rolled back with the dying transaction: this fires exactly once.
    IF NEW.text LIKE '%Artikel B%' AND nextval('fault_kill_once') = 1 THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER fault_kill_backend BEFORE INSERT ON annotator_statement
    FOR EACH ROW EXECUTE FUNCTION fault_kill_backend();
"""
CLEAN_UP_SQL = """
DROP TRIGGER IF EXISTS fault_kill_backend ON annotator_statement;
DROP FUNCTION IF EXISTS fault_kill_backend();
DROP SEQUENCE IF EXISTS fault_kill_once;
"""


@pytest.fixture
def backend_killed_during_second_article(transactional_demo):
    with connection.cursor() as cursor:
        cursor.execute(KILL_ONCE_SQL)
    yield
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(CLEAN_UP_SQL)


def import_articles(folder, capsys) -> tuple[int, str]:
    try:
        call_command(
            "import_articles", str(folder), "--project", "Demo: Nordkoreas Soldaten in Kursk"
        )
        code = 0
    except CommandError as error:
        code = error.returncode
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_connection_lost_mid_import_leaves_no_half_document_and_a_rerun_finishes(
    backend_killed_during_second_article, tmp_path, capsys
):
    for title in ("Artikel A", "Artikel B", "Artikel C"):
        (tmp_path / f"{title[-1]}.txt").write_text(ARTICLE.format(title=title), encoding="utf-8")

    code, output = import_articles(tmp_path, capsys)

    assert code == 1
    assert "B.txt" in output and "terminat" in output.lower()
    titles = set(Document.objects.values_list("title", flat=True))
    assert {"Artikel A", "Artikel C"} <= titles and "Artikel B" not in titles
    assert not Document.objects.filter(statements__isnull=True).exists()

    code, output = import_articles(tmp_path, capsys)

    assert code == 0, output
    assert "1 created, 2 unchanged" in output
    for title in ("Artikel A", "Artikel B", "Artikel C"):
        document = Document.objects.get(title=title)
        statements = Statement.objects.filter(document=document)
        assert statements.count() == 2
        assert all(document.text[s.start : s.end] == s.text for s in statements)


def raw_connection(settings_dict):
    """A connection of its own to the test database, beside Django's."""
    return psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
    )


def terminate_the_first_backend_waiting_for_a_lock(settings_dict, stop: threading.Event):
    """From outside, cut the connection of whoever waits on the locked table."""
    watcher = raw_connection(settings_dict)
    watcher.autocommit = True
    try:
        with watcher.cursor() as cursor:
            while not stop.wait(0.05):
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                row = cursor.fetchone()
                if row:
                    cursor.execute("SELECT pg_terminate_backend(%s)", row)
                    return
    finally:
        watcher.close()


def export_jsonl(project, output) -> None:
    call_command(
        "export_dataset", "--project", project.name, "--format", "jsonl", "--output", str(output)
    )


def test_a_connection_lost_mid_export_leaves_no_file_and_a_rerun_finishes(
    transactional_demo, tmp_path
):
    output = tmp_path / "demo.jsonl"
    settings_dict = connection.settings_dict
    # Another session holds the documents table, so the export stops half-way and waits;
    # then its connection is terminated, as when the database server restarts.
    locker = raw_connection(settings_dict)
    stop = threading.Event()
    killer = threading.Thread(
        target=terminate_the_first_backend_waiting_for_a_lock, args=(settings_dict, stop)
    )
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE annotator_document IN ACCESS EXCLUSIVE MODE")
        killer.start()
        with pytest.raises(CommandError, match="database failed during the export"):
            export_jsonl(transactional_demo, output)
    finally:
        stop.set()
        killer.join(timeout=10)
        locker.rollback()
        locker.close()
        connection.close()

    assert list(tmp_path.iterdir()) == []

    export_jsonl(transactional_demo, output)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == Statement.objects.filter(document__project=transactional_demo).count()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "demo.jsonl",
        "demo.jsonl.card.md",
        "demo.jsonl.documents.jsonl",
    ]
