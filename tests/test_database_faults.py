"""The database going away in the middle of an import: a clear error, no half-written
document, and a rerun finishes the job. The connection is really cut, by PostgreSQL itself:
a trigger terminates the importing backend while it writes the second article's statements."""

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
