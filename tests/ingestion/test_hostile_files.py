"""Hostile article files: whatever a file holds, the reader answers `file:line: reason`, the
other files of the run are still imported, and the admin's preview never answers 500.

Every case below runs through the reader, through `import_articles` (between good files) and
through the admin's upload and preview."""

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from annotator.ingestion.reading import article_file_read
from annotator.ingestion.records import CSV_FIELD_MAX_CHARS
from annotator.models import Document, Project

GOOD = b'{"title": "Gut", "text": "Ein guter Satz."}\n'
NESTED = b"[" * 100_000 + b"]" * 100_000
DIGITS = b"7" * 5_000

# (file name, content, line reported, reason reported)
HOSTILE_FILES = [
    ("nested.json", NESTED, 1, "JSON nested more than 64 levels deep"),
    (
        "nested-value.json",
        b'[\n {"title": "A", "text": "B."},\n {"title": "C", "text": ' + NESTED + b"}\n]",
        3,
        "JSON nested more than 64 levels deep",
    ),
    ("nested.jsonl", GOOD + b'{"title": ' + NESTED + b', "text": "x"}\n', 2, "nested more"),
    ("objects.json", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, 1, "nested more than 64"),
    ("digits.json", b'[\n {"title": ' + DIGITS + b', "text": "B."}\n]', 2, "5000 digits"),
    ("digits.jsonl", GOOD + b'{"title": "A", "text": -' + DIGITS + b"}\n", 2, "5000 digits"),
    (
        "digits-date.jsonl",
        b'{"title": "A", "text": "B.", "published_at": ' + DIGITS + b"}",
        1,
        "published_at must be text, not a number of 5000 digits",
    ),  # fmt: skip
    ("digits-top.json", DIGITS, 1, "expected an array of article objects, not <a number"),
    ("surrogate.json", b'{"title": "A\\ud800", "text": "B."}', 1, "a lone surrogate"),
    ("surrogate.jsonl", b'{"title": "A", "text": "B\\udfff."}\n', 1, "a lone surrogate"),
    ("surrogate-bytes.txt", b"Titel\nText \xed\xa0\x80 mit Surrogat.\n", 2, "not UTF-8"),
    ("overlong.txt", b"Titel\nText \xc0\xaf.\n", 2, "not UTF-8"),
    ("latin1.csv", b"title,text\nTitel,Gr\xfc\xdfe.\n", 2, "not UTF-8"),
    (
        "huge-field.csv",
        b'title,text\nGut,"Ein Satz."\nRiesig,"' + b"x" * (CSV_FIELD_MAX_CHARS + 1) + b'"\n',
        3,
        f"a field is longer than {CSV_FIELD_MAX_CHARS:,} characters",
    ),
    (
        "huge-header.csv",
        b'"' + b"t" * (CSV_FIELD_MAX_CHARS + 1) + b'",text\nA,B.\n',
        1,
        "malformed CSV header: a field is longer than",
    ),
    ("float.json", b'{"title": 1e999, "text": "B."}', 1, "title must be text, not float"),
]
IDS = [case[0] for case in HOSTILE_FILES]


@pytest.mark.parametrize(("name", "content", "line", "reason"), HOSTILE_FILES, ids=IDS)
def test_the_reader_reports_the_file_and_line_of_every_hostile_file(name, content, line, reason):
    article_file = article_file_read(name=name, data=content)
    assert not article_file.ok
    assert article_file.issues[0].line == line, article_file.issues
    assert reason in article_file.issues[0].reason
    assert str(article_file.issues[0]).startswith(f"{name}:{line}: ")


def test_import_articles_reports_every_hostile_file_and_imports_the_others(db, tmp_path):
    project = Project.objects.create(name="Hostile")
    folder = tmp_path / "articles"
    folder.mkdir()
    # Good files sorted before, between and after the hostile ones.
    for name in ("a-good.jsonl", "m-good.jsonl", "z-good.jsonl"):
        record = {"title": f"Gut {name}", "text": f"Ein guter Satz aus {name}."}
        (folder / name).write_text(json.dumps(record))
    for name, content, _line, _reason in HOSTILE_FILES:
        (folder / name).write_bytes(content)
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_articles", str(folder), project=project.name, stdout=StringIO(), stderr=err
        )
    assert failure.value.returncode == 1
    assert f"{len(HOSTILE_FILES)} file(s) failed" in str(failure.value)
    reported = err.getvalue()
    assert "Traceback" not in reported
    for name, _content, line, reason in HOSTILE_FILES:
        location = f"{folder / name}:{line}: "
        assert any(
            entry.strip().startswith(location) and reason in entry
            for entry in reported.splitlines()
        ), (name, reported[:3000])
    titles = set(project.documents.values_list("title", flat=True))
    assert titles == {"Gut a-good.jsonl", "Gut m-good.jsonl", "Gut z-good.jsonl"}


@pytest.mark.parametrize(("name", "content", "line", "reason"), HOSTILE_FILES, ids=IDS)
def test_the_admin_preview_lists_a_hostile_file_as_an_error(
    client_for, project, lead, settings, tmp_path, name, content, line, reason
):
    settings.ARTICLE_IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    client = client_for(lead)
    documents = Document.objects.count()
    response = client.post(
        "/admin/annotator/document/import-articles/",
        {"project": project.pk, "language": "de", "files": [SimpleUploadedFile(name, content)]},
    )
    assert response.status_code == 302
    for _visit in range(2):  # the preview is read again on every visit
        preview = client.get(response["Location"])
        assert preview.status_code == 200
        html = preview.content.decode()
        assert f"line {line}: " in html and reason.replace("<", "&lt;") in html
    assert Document.objects.count() == documents
