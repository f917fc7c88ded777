"""`python manage.py import_articles`: every supported format, idempotence, and bad files
reported by name and line while the other files of the run are still imported."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.ingestion import running, services
from annotator.ingestion.reading import article_file_read
from annotator.ingestion.records import ArticleFile, date_parse
from annotator.ingestion.running import articles_import
from annotator.ingestion.services import document_find_existing, statements_build
from annotator.models import Document, Project, Source, Statement
from annotator.registry.selectors import source_index_build
from tests.helpers import EXAMPLE_ARTICLE

ARTICLE = EXAMPLE_ARTICLE
GOOD_TEXT = "Laut KCNA ist die Lage ruhig. Experten vermuten eine neue Offensive."


def run(*args, project="Imports") -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_articles", *map(str, args), project=project, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args, project="Imports") -> tuple[CommandError, str]:
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_articles", *map(str, args), project=project, stdout=StringIO(), stderr=err
        )
    return failure.value, err.getvalue()


@pytest.fixture
def imports(db) -> Project:
    return Project.objects.create(name="Imports")


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def titles(project: Project) -> set[str]:
    return set(project.documents.values_list("title", flat=True))


# --- the example article ---------------------------------------------------------------------


def test_it_imports_the_example_article_with_exact_offsets_and_suggestions(imports):
    out, err = run(ARTICLE)
    document = Document.objects.get(project=imports)
    assert document.title.startswith("Nordkorea gesteht")
    assert (document.place, document.language, document.external_id) == (
        "Kursk, Russland",
        "de",
        "",
    )
    statements = list(document.statements.all())
    assert len(statements) >= 20
    assert all(document.text[s.start : s.end] == s.text for s in statements)
    suggested = sum(bool(s.suggested_mention) for s in statements)
    matched = sum(s.suggested_source_id is not None for s in statements)
    assert 0 < matched <= suggested < len(statements)
    assert "Files: 1 (0 failed)." in out
    assert "Documents: 1 created, 0 unchanged, 0 failed." in out
    assert (
        f"Statements: {len(statements)} created; {suggested} with a suggested attribution, "
        f"{matched} of them matched to a registry source." in out
    )
    assert err == ""  # no progress bar when stderr is not a terminal


def test_importing_the_same_article_again_changes_nothing(imports):
    run(ARTICLE)
    before = list(Statement.objects.filter(document__project=imports).values())
    out, _ = run(ARTICLE)
    assert "Documents: 0 created, 1 unchanged, 0 failed." in out
    assert "Statements: 0 created" in out
    assert list(Statement.objects.filter(document__project=imports).values()) == before


def test_the_demo_article_under_its_external_id_is_recognised_by_its_text(demo):
    # The demo imported it with an external id; the file alone carries none.
    out, _ = run(ARTICLE, project=demo.name)
    assert "Documents: 0 created, 1 unchanged, 0 failed." in out
    assert demo.documents.count() == 1


def test_the_same_text_under_a_new_external_id_is_left_unchanged(imports, tmp_path):
    record = {"title": "Titel", "text": GOOD_TEXT, "external_id": "a-1"}
    write(tmp_path, "a.json", json.dumps(record))
    write(tmp_path, "b.json", json.dumps({**record, "external_id": "b-2"}))
    out, _ = run(tmp_path / "a.json", tmp_path / "b.json")
    assert "Documents: 1 created, 1 unchanged, 0 failed." in out
    assert imports.documents.get().external_id == "a-1"


def test_a_missing_project_is_a_clear_error_unless_it_may_be_created(db):
    error, _ = run_failing(ARTICLE, project="Nowhere")
    assert "There is no project “Nowhere”" in str(error)
    assert "--create-project" in str(error)
    assert error.returncode == 2
    out = StringIO()
    call_command(
        "import_articles", str(ARTICLE), project="Nowhere", create_project=True, stdout=out
    )
    assert Project.objects.get(name="Nowhere").documents.count() == 1


def test_an_unknown_language_option_is_refused(imports):
    error, _ = run_failing(ARTICLE, "--language", "fr")
    assert "Unknown language 'fr'" in str(error)
    assert not imports.documents.exists()


def test_the_progress_bar_shows_files_and_statements(imports, tmp_path):
    err = StringIO()
    call_command(
        "import_articles",
        str(ARTICLE),
        project="Imports",
        progress=True,
        stdout=StringIO(),
        stderr=err,
    )
    bar = err.getvalue()
    assert "\r[" in bar and "1/1 files" in bar and "1 documents" in bar
    assert f"{Statement.objects.filter(document__project=imports).count()} statements" in bar


# --- CSV, JSON, JSONL, folders ---------------------------------------------------------------


def test_it_imports_csv_rows_with_their_metadata(imports, tmp_path):
    csv_text = (
        "\ufefftitle;text;language;url;place;published_at;outlet;external_id\r\n"
        'Erster Artikel;"Laut KCNA ist alles ruhig.\r\nZweiter Absatz hier.";de;'
        "https://example.org/1;Seoul;2024-11-05;Beispielzeitung;csv-1\r\n"
        "Second article;The army said the front was calm.;en;;;05.11.2024;;csv-2\r\n"
    )
    write(tmp_path, "articles.csv", csv_text)
    out, _ = run(tmp_path / "articles.csv")
    assert "Documents: 2 created" in out
    first = imports.documents.get(external_id="csv-1")
    assert first.text == "Laut KCNA ist alles ruhig.\nZweiter Absatz hier."
    assert (first.url, first.place, first.outlet) == (
        "https://example.org/1",
        "Seoul",
        "Beispielzeitung",
    )
    assert str(first.published_at) == "2024-11-05"
    assert first.statements.first().suggested_source == Source.objects.get(name="KCNA")
    second = imports.documents.get(external_id="csv-2")
    assert second.language == "en" and str(second.published_at) == "2024-11-05"
    assert second.statements.get().suggested_mention == "The army"


def test_it_imports_json_arrays_single_objects_and_jsonl(imports, tmp_path):
    write(
        tmp_path,
        "list.json",
        json.dumps([{"title": "J1", "text": GOOD_TEXT}, {"title": "J2", "text": "Ein Satz."}]),
    )
    write(
        tmp_path,
        "one.json",
        json.dumps({"title": "J3", "text": "Noch ein Satz.", "external_id": 7}),
    )
    write(
        tmp_path,
        "lines.jsonl",
        '{"title": "L1", "text": "Erster."}\n\n'
        '{"title": "L2", "text": "Zweiter.", "language": "EN"}\n',
    )
    out, _ = run(tmp_path / "list.json", tmp_path / "one.json", tmp_path / "lines.jsonl")
    assert "Documents: 5 created, 0 unchanged, 0 failed." in out
    assert titles(imports) == {"J1", "J2", "J3", "L1", "L2"}
    assert imports.documents.get(title="J3").external_id == "7"
    assert imports.documents.get(title="L2").language == "en"


def test_a_folder_imports_every_supported_file_under_it_in_sorted_order(imports, tmp_path):
    write(tmp_path, "b.txt", "Zweiter Titel\nDer zweite Text.\n")
    write(tmp_path, "a.txt", "Erster Titel\nDer erste Text.\n")
    write(tmp_path, "sub/c.jsonl", '{"title": "Dritter Titel", "text": "Der dritte Text."}\n')
    write(tmp_path, "notes.md", "not an article")
    write(tmp_path, ".hidden/d.txt", "Versteckt\nNicht importiert.\n")
    out, _ = run(tmp_path)
    assert "Files: 3 (0 failed)." in out
    ordered = list(imports.documents.order_by("id").values_list("title", flat=True))
    assert ordered == ["Erster Titel", "Zweiter Titel", "Dritter Titel"]


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2024-11-05", "2024-11-05"),
        ("2024-11-05T23:30:00+01:00", "2024-11-05"),
        ("05.11.2024", "2024-11-05"),
        ("5. November 2024", "2024-11-05"),
        ("5. Nov. 2024", "2024-11-05"),
        ("3. März 2025", "2025-03-03"),
        ("5 November 2024", "2024-11-05"),
    ],
)
def test_dates_are_read_as_articles_write_them(written, iso):
    assert date_parse(written).isoformat() == iso


# --- bad files -------------------------------------------------------------------------------

BAD_FILES = [
    (
        "latin1.txt",
        "Titel\nEin Satz über Ä.\n".encode("latin-1"),
        2,
        "not UTF-8 (byte 0xfc in column 10)",
    ),
    ("utf16.txt", "Titel\nText.\n".encode("utf-16"), 1, "UTF-16 encoded; save the file as UTF-8"),
    ("binary.txt", b"PK\x03\x04\x14\x00\x00\x00", 1, "binary file (contains NUL bytes)"),
    ("empty.txt", b"", 1, "empty file"),
    ("blank.csv", b"  \n\n", 1, "empty file"),
    ("title-only.txt", b"Nur ein Titel\n", 2, "no body text after the title"),
    ("no-title.txt", b"\nText ohne Titel.\n", 1, "missing title"),
    ("unsupported.docx", b"PK", None, "unsupported file type"),
    ("quote.csv", b'title,text\nGut,"Ein Satz."\n"Kaputt,"x\n', 3, "malformed CSV"),
    (
        "fields.csv",
        b"title,text\nGut,Ein Satz.\nA,B,C\n",
        3,
        "malformed CSV: 3 fields, the header has 2",
    ),
    ("columns.csv", b"headline,body\nA,B\n", 1, "missing column(s) title, text in the header"),
    ("notitle.csv", b'title,text\nGut,Ein Satz.\n,"Text\nmit Zeilenumbruch"\n', 3, "missing title"),
    (
        "syntax.json",
        b'[\n {"title": "Gut", "text": "Ein Satz."},\n {"title": "X" "text": "Y"}\n]',
        3,
        "malformed JSON: Expecting ',' delimiter",
    ),
    (
        "notext.json",
        b'[\n {"title": "Gut", "text": "Ein Satz."},\n\n {"title": "Ohne Text"}\n]',
        4,
        "missing text",
    ),
    ("scalar.json", b'"just a string"', 1, "expected an array of article objects"),
    ("nul.json", b'{"title": "A", "text": "B\\u0000"}', 1, "text contains a NUL character"),
    ("syntax.jsonl", b'{"title": "Gut", "text": "Ein Satz."}\n{"title": \n', 2, "malformed JSON"),
    (
        "date.jsonl",
        b'{"title": "A", "text": "B.", "published_at": "31.02.2024"}\n',
        1,
        "bad date '31.02.2024'",
    ),
    (
        "language.jsonl",
        b'{"title": "A", "text": "B.", "language": "fr"}\n',
        1,
        "unknown language 'fr' (expected de or en)",
    ),
    (
        "url.jsonl",
        b'{"title": "A", "text": "B.", "url": "not a url"}\n',
        1,
        "invalid URL 'not a url'",
    ),
    (
        "array.jsonl",
        b'{"title": "A", "text": "B."}\n["x"]\n',
        2,
        "expected an article object, not an array",
    ),
    (
        "long.jsonl",
        json.dumps({"title": "T" * 501, "text": "B."}).encode(),
        1,
        "title is longer than 500 characters",
    ),
    (
        "bad-date.txt",
        b"Titel\nText.\nDetails | |\n---|---|\nDatum | gestern |\n",
        5,
        "bad date 'gestern'",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_a_bad_file_is_reported_by_name_and_line_and_the_others_are_imported(
    imports, tmp_path, name, content, line, reason
):
    write(tmp_path, "good.txt", "Guter Titel\nEin guter Text.\n")
    bad = write(tmp_path, name, content)
    error, err = run_failing(tmp_path / "good.txt", bad)
    location = f"{bad}:{line}:" if line else f"{bad}:"
    reported = [line for line in err.splitlines() if line.strip().startswith(location)]
    assert reported and reason in reported[0], err
    assert error.returncode == 1 and "1 file(s) failed" in str(error)
    assert titles(imports) == {"Guter Titel"}  # the good file, nothing of the bad one


def test_every_bad_record_of_a_file_is_reported(imports, tmp_path):
    rows = "\n".join(["title,text", ",ohne Titel", "Gut,Text.", "Ohne Text,", ",", "X,Y."])
    bad = write(tmp_path, "rows.csv", rows)
    _, err = run_failing(bad)
    assert f"{bad}:2: missing title" in err
    assert f"{bad}:4: missing text" in err
    assert ":5:" not in err  # an empty row is skipped, not an error
    assert not imports.documents.exists()


def test_a_missing_path_is_reported_and_the_rest_imported(imports, tmp_path):
    error, err = run_failing(tmp_path / "nope.txt", ARTICLE)
    assert f"{tmp_path / 'nope.txt'}: no such file or folder" in err
    assert imports.documents.count() == 1 and error.returncode == 1


def test_an_article_written_by_a_concurrent_import_counts_as_unchanged(imports, monkeypatch):
    run(ARTICLE)
    find = document_find_existing
    calls = []

    def not_yet(**kwargs):  # the other import commits between our lookup and our insert
        calls.append(1)
        return None if len(calls) == 1 else find(**kwargs)

    monkeypatch.setattr(services, "document_find_existing", not_yet)
    out, _ = run(ARTICLE)
    assert "Documents: 0 created, 1 unchanged, 0 failed." in out
    assert imports.documents.count() == 1


def test_a_document_whose_statements_cannot_be_written_is_rolled_back_whole(imports, monkeypatch):
    build = statements_build

    def broken(*, document, source_index=None):
        statements = build(document=document, source_index=source_index)
        statements[-1].end = statements[-1].start  # violates the statement_span constraint
        return statements

    monkeypatch.setattr(services, "statements_build", broken)
    bad = article_file_read(name="bad.txt", data=b"Titel\nErster Satz. Zweiter Satz.\n")
    summary = articles_import(project=imports, files=[bad])
    assert (summary.created, summary.failed) == (0, 1)
    assert str(summary.issues[0]).startswith("bad.txt:1: not imported:")
    assert not Document.objects.filter(project=imports).exists()
    assert not Statement.objects.filter(document__project=imports).exists()


# --- scale -----------------------------------------------------------------------------------


def article(title: str, sentences: int) -> ArticleFile:
    body = " ".join(
        f"Laut KCNA rückten am {n}. Tag die Truppen vor, sagte ein Sprecher."
        for n in range(sentences)
    )
    return article_file_read(
        name=f"{title}.jsonl", data=json.dumps({"title": title, "text": body}).encode()
    )


def test_importing_an_article_takes_the_same_number_of_queries_whatever_its_length(imports):
    def queries(article_file: ArticleFile) -> int:
        with CaptureQueriesContext(connection) as captured:
            summary = articles_import(project=imports, files=[article_file])
        assert summary.created == 1
        return len(captured)

    short = queries(article("kurz", 3))
    assert queries(article("mittel", 60)) == short
    # Statements are inserted in batches: SQLite takes 999 parameters per query (as many
    # statements as fit, one parameter per column), PostgreSQL up to bulk_create's 1000.
    per_batch = 999 // len([f for f in Statement._meta.concrete_fields if not f.primary_key])
    long = 2 * per_batch - 1
    assert queries(article("lang", long)) <= short + 1
    assert Statement.objects.filter(document__title="lang").count() == long


def test_the_source_index_is_built_once_per_run(imports, monkeypatch):
    calls = []
    build = source_index_build
    monkeypatch.setattr(running, "source_index_build", lambda: calls.append(1) or build())
    summary = articles_import(project=imports, files=[article(f"a{n}", 2) for n in range(5)])
    assert summary.created == 5 and calls == [1]
