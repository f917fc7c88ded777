"""`import_dataset` does not trust its file: it writes under no existing account and changes
no vocabulary unless told to, checks every field of every line (`line N: reason`, all of
them), writes nothing when any line fails, and a dry run reports what it would create."""

import gc
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from annotator.models import Annotation, Label, LabelGroup, Project, Source, Statement


@pytest.fixture
def export(demo, tmp_path):
    path = tmp_path / "demo.jsonl"
    call_command(
        "export_dataset", "--project", demo.name, "--format", "jsonl", "--output", str(path),
        stdout=io.StringIO(),
    )  # fmt: skip
    return path


def run(path, *options) -> str:
    out = io.StringIO()
    call_command("import_dataset", str(path), "--project", "Copy", *options, stdout=out)
    return out.getvalue()


def run_failing(path, *options) -> str:
    with pytest.raises(CommandError) as error:
        run(path, *options)
    assert "Nothing was imported" in str(error.value)
    return str(error.value)


def rewrite(path, number: int, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[number - 1])
    change(record)
    lines[number - 1] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def database_counts() -> tuple:
    return (
        Project.objects.count(),
        Statement.objects.count(),
        Annotation.objects.count(),
        get_user_model().objects.count(),
        LabelGroup.objects.count(),
        Label.objects.count(),
        Source.objects.count(),
    )


def test_labels_are_not_put_under_an_existing_account_unless_asked(export, demo):
    rewrite(export, 3, lambda r: r["annotations"][0].update(annotator="lead"))
    before = database_counts()
    message = run_failing(export)
    assert "demo.jsonl line 3: “lead” is an existing account" in message
    assert "--attach-existing-users" in message
    assert database_counts() == before
    assert not Annotation.objects.filter(
        annotator__username="lead", statement__document__project__name="Copy"
    ).exists()

    output = run(export, "--attach-existing-users")
    assert "existing users attached: lead" in output
    assert Annotation.objects.filter(
        annotator__username="lead", statement__document__project__name="Copy"
    ).exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("<b>x</b>", "has characters other than letters"),
        ("u" * 200, "user name of 200 characters (at most 150)"),
        ("", "is not text"),
        (42, "is not text"),
    ],
)
def test_invalid_user_names_are_refused(export, name, reason):
    rewrite(export, 2, lambda r: r["annotations"][0].update(annotator=name))
    before = database_counts()
    message = run_failing(export)
    assert "demo.jsonl line 2: annotation 1: annotator: " in message and reason in message
    assert database_counts() == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda r: r["annotations"][0]["labels"].update(bias="very biased"),
            "the label “bias: very biased”",
        ),
        (lambda r: r["annotations"][0]["labels"].update(mood="angry"), "the label group “mood”"),
        (
            lambda r: r["annotations"][0].update(source="Ministry of Truth"),
            "the source “Ministry of Truth”",
        ),
        (
            lambda r: r.update(suggested_source="Ministry of Truth"),
            "the source “Ministry of Truth”",
        ),
    ],
)
def test_the_vocabulary_changes_only_when_asked(export, change, reason):
    rewrite(export, 4, change)
    before = database_counts()
    message = run_failing(export)
    assert f"demo.jsonl line 4: {reason} is not in the vocabulary" in message
    assert "--create-vocabulary" in message
    assert database_counts() == before
    output = run(export, "--create-vocabulary")
    assert "vocabulary added: " in output


BAD_FIELDS = [
    (lambda r: r.update(position=-1), "position -1 is not a whole number ≥ 0"),
    (lambda r: r.update(position="7"), "position '7' is not a whole number"),
    (lambda r: r.update(position=1.5), "position 1.5 is not a whole number"),
    (lambda r: r.update(paragraph="erster"), "paragraph 'erster' is not a whole number"),
    (lambda r: r.update(start=True), "start True is not a whole number"),
    (lambda r: r.update(suggested_cue_span=[5, 2]), "suggested_cue_span [5, 2] is not within"),
    (lambda r: r.update(suggested_mention="m" * 501), "suggested_mention has 501 characters"),
    (
        lambda r: r["annotations"][0].update(submitted_at="2026-13-45T00:00:00Z"),
        "submitted_at '2026-13-45T00:00:00Z' is not a date and time",
    ),
    (lambda r: r["annotations"][0].update(submitted_at="yesterday"), "is not a date and time"),
    (lambda r: r["annotations"][0].update(source_reliability="a"), "is not one of A–F"),
    (lambda r: r["annotations"][0].update(info_credibility=3), "is not one of 1–6"),
    (
        lambda r: r["annotations"][0].update(note="n" * 5001),
        "note has 5001 characters (at most 5000)",
    ),
    (lambda r: r["annotations"][0].update(labels=["Bias"]), "labels must be an object"),
    (lambda r: r.update(annotations={"a": 1}), "annotations must be a list"),
    (
        lambda r: r.update(
            gold={"method": "coin toss", "source_reliability": "A", "info_credibility": "1"}
        ),
        "method 'coin toss' is not known",
    ),
    (lambda r: r.pop("start"), "missing start"),
    (
        lambda r: r["annotations"][0].update(source_mention_span=[3, "9"]),
        "source_mention_span must be [start, end]",
    ),
    (
        lambda r: r["annotations"][0].update(
            source_mention="KCNA", source_mention_span=[r["start"], r["start"] + 4]
        ),
        "no longer matches the selected words",
    ),
    (
        lambda r: r["annotations"][0].update(source_mention_span=[0, 10**7]),
        "not in this document",
    ),
]


@pytest.mark.parametrize(("change", "reason"), BAD_FIELDS, ids=[r for _c, r in BAD_FIELDS])
def test_every_bad_field_is_a_line_error_and_nothing_is_written(export, change, reason):
    rewrite(export, 5, change)
    before = database_counts()
    message = run_failing(export)
    assert "demo.jsonl line 5: " in message and reason in message, message
    assert "Traceback" not in message
    assert database_counts() == before


def test_a_bad_document_date_is_a_line_error(export):
    documents = export.parent / "demo.jsonl.documents.jsonl"
    rewrite(documents, 1, lambda r: r.update(published_at="31.02.2024"))
    message = run_failing(export)
    assert "demo.jsonl.documents.jsonl line 1: published_at '31.02.2024' is not a date" in message


def test_every_bad_line_is_reported_not_just_the_first(export):
    rewrite(export, 2, lambda r: r.update(position=-1))
    rewrite(export, 6, lambda r: r["annotations"][0].update(source_reliability="Z"))
    rewrite(export, 9, lambda r: r["annotations"][0].update(annotator="<i>"))
    message = run_failing(export)
    for line in (2, 6, 9):
        assert f"demo.jsonl line {line}: " in message


def test_a_hostile_line_is_reported_not_a_traceback(export):
    with export.open("a", encoding="utf-8") as data:
        data.write("[" * 50_000 + "]" * 50_000 + "\n")
        data.write('{"position": ' + "9" * 5_000 + "}\n")
    message = run_failing(export)
    assert "line 22: not a dataset record" in message
    assert "line 23: not a dataset record" in message


def test_a_dry_run_reports_what_it_would_create_and_writes_nothing(export):
    before = database_counts()
    output = run(export, "--dry-run")
    assert "Would create project “Copy”: 1 document(s), 21 statement(s)" in output
    assert "annotation(s)" in output and "placeholder user(s)" in output
    assert "new users: annotator_1, annotator_2, annotator_3" in output
    assert "Dry run: nothing was written." in output
    assert database_counts() == before
    assert "Created project “Copy”" in run(export)


def add_document_copy(export, change) -> int:
    """Appends a copy of the first document (a new id, changed by `change`): its line number."""
    documents = export.parent / "demo.jsonl.documents.jsonl"
    lines = documents.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["id"] = 10**6
    change(record)
    lines.append(json.dumps(record, ensure_ascii=False))
    documents.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r.update(external_id=""), "the same title and text as line 1"),
        (lambda r: r.update(text=r["text"] + " Nachtrag."), "the same external id"),
    ],
    ids=["same text", "same external id"],
)
def test_a_repeated_document_is_a_line_error_and_nothing_is_written(export, change, reason):
    documents = export.parent / "demo.jsonl.documents.jsonl"
    assert json.loads(documents.read_text(encoding="utf-8").splitlines()[0])["external_id"]
    number = add_document_copy(export, change)
    before = database_counts()
    message = run_failing(export)
    assert f"demo.jsonl.documents.jsonl line {number}: {reason}" in message, message
    assert database_counts() == before


def test_the_cycle_collector_is_on_again_after_an_import(export):
    """The import builds its rows with Python's cycle collector paused, and turns it back on
    however the import ends: after a line fails while the rows are built, and after success."""
    original = export.read_text(encoding="utf-8")
    rewrite(export, 2, lambda r: r.update(start=r["start"] + 1))
    assert "text does not match the document" in run_failing(export)
    assert gc.isenabled()
    export.write_text(original, encoding="utf-8")
    run(export)
    assert gc.isenabled()
