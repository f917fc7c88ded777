"""Admin import and export (django-import-export) through real HTTP requests, as a lead: readable
columns, a preview before anything is written, every bad row reported with its line and reason
and nothing written then, idempotent imports by name, history for imported labels, and
spreadsheet-safe exports."""

import io
import json

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.annotation.services import annotation_save
from annotator.datasets.resources import FORMATS
from annotator.labelling import labelling_snapshot
from annotator.models import (
    Annotation,
    GoldLabel,
    Label,
    LabelGroup,
    LabelRevision,
    Source,
    Statement,
)
from tests.helpers import label

FORMAT_INDEX = {fmt().get_title(): str(index) for index, fmt in enumerate(FORMATS)}


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    return tablib.Dataset(*rows, headers=headers).export("csv").encode()


def upload(client, model: str, content: bytes, fmt: str = "csv"):
    """The first step: upload and preview (a dry run)."""
    return client.post(
        reverse(f"admin:annotator_{model}_import"),
        {
            "resource": "0",
            "format": FORMAT_INDEX[fmt],
            "import_file": SimpleUploadedFile(f"data.{fmt}", content),
        },
    )


def confirm(client, model: str, preview):
    """The second step: confirm the previewed file."""
    assert "confirm_form" in preview.context, preview.content.decode()[-3000:]
    response = client.post(
        reverse(f"admin:annotator_{model}_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert response.status_code == 302
    return response


def import_file(client, model: str, content: bytes, fmt: str = "csv"):
    preview = upload(client, model, content, fmt)
    return confirm(client, model, preview)


def export(client, model: str, fmt: str = "csv", **query) -> bytes:
    from django.contrib import admin

    from annotator import admin as annotator_admin  # noqa: F401 (registers the admins)

    resource = admin.site._registry[admin_model(model)].resource_classes[0]
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    url = reverse(f"admin:annotator_{model}_export")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    response = client.post(url, {"format": FORMAT_INDEX[fmt], "resource": "0", **fields})
    assert response.status_code == 200, response.content[:500]
    return response.content


def admin_model(model: str):
    from django.apps import apps

    return apps.get_model("annotator", model)


SOURCE_HEADERS = ["name", "kind", "country", "aliases", "description"]
SOURCE_ROWS = [
    ["Tass", "state_media", "Russia", "TASS\nTASS news agency", "Russian state news agency."],
    ["Yonhap", "media", "South Korea", "Yonhap", "South Korean news agency."],
]


def test_sources_import_after_a_preview_and_idempotently_by_name(lead, client_for):
    client = client_for(lead)
    before = Source.objects.count()
    preview = upload(client, "source", csv_bytes(SOURCE_HEADERS, SOURCE_ROWS))
    assert preview.status_code == 200
    assert b"Tass" in preview.content and b"Preview" in preview.content
    assert Source.objects.count() == before  # the preview wrote nothing
    confirm(client, "source", preview)
    assert Source.objects.count() == before + 2
    assert Source.objects.get(name="Tass").alias_list == ["TASS", "TASS news agency"]

    again = upload(client, "source", csv_bytes(SOURCE_HEADERS, SOURCE_ROWS))
    assert {row.import_type for row in again.context["result"].rows} == {"skip"}
    confirm(client, "source", again)
    assert Source.objects.count() == before + 2

    changed = [["Tass", "state_media", "Russia", "TASS", "Changed."]]
    import_file(client, "source", csv_bytes(SOURCE_HEADERS, changed))
    assert Source.objects.get(name="Tass").description == "Changed."
    assert Source.objects.count() == before + 2


def test_the_label_vocabulary_round_trips_and_imports_idempotently(demo, lead, client_for):
    client = client_for(lead)
    groups = export(client, "labelgroup")
    labels = export(client, "label")
    assert b"Persuasion techniques" in labels and b"loaded language" in labels
    counts = (LabelGroup.objects.count(), Label.objects.count())
    for model, content in [("labelgroup", groups), ("label", labels)]:
        preview = upload(client, model, content)
        assert {row.import_type for row in preview.context["result"].rows} == {"skip"}
        confirm(client, model, preview)
    assert (LabelGroup.objects.count(), Label.objects.count()) == counts

    new_group = csv_bytes(
        ["name", "description", "multiple", "required", "position"],
        [["Framing", "How the statement frames events.", "1", "0", "5"]],
    )
    new_labels = csv_bytes(
        ["group", "name", "description", "position"],
        [["Framing", "conflict", "", "0"], ["Framing", "human interest", "", "1"]],
    )
    for _twice in range(2):
        import_file(client, "labelgroup", new_group)
        import_file(client, "label", new_labels)
    assert LabelGroup.objects.get(name="Framing").multiple is True
    assert Label.objects.filter(group__name="Framing").count() == 2


def annotation_row(statement, **overrides) -> dict:
    row = {
        "project": statement.document.project.name,
        "document": statement.document.external_id,
        "position": statement.position,
        "statement_text": statement.text,
        "annotator": "alice",
        "source": "KCNA",
        "source_mention": "laut KCNA",
        "source_reliability": "E",
        "info_credibility": "5",
        "labels": "bias: biased; persuasion-techniques: doubt",
        "note": "",
        "status": "submitted",
        "submitted_at": "",
    }
    row.update(overrides)
    return row


def rows_csv(rows: list[dict]) -> bytes:
    headers = list(rows[0])
    return csv_bytes(headers, [[row[key] for key in headers] for row in rows])


def test_bad_annotation_rows_are_reported_with_line_and_reason_and_nothing_is_written(
    project, lead, client_for
):
    statements = list(Statement.objects.filter(document__project=project).order_by("position"))
    rows = [
        annotation_row(statements[0]),  # line 2: valid
        annotation_row(statements[1], source_reliability="G"),  # line 3
        annotation_row(statements[2], info_credibility="7"),  # line 4
        annotation_row(statements[3], source="Radio Nowhere"),  # line 5
        annotation_row(statements[4], annotator="nobody"),  # line 6
        annotation_row(statements[5], labels="Bias: biased; Mood: grim"),  # line 7
        annotation_row(statements[6], labels="Bias: biased; Bias: non-biased"),  # line 8
        annotation_row(statements[7], labels="Stance: neutral"),  # line 9: Bias is required
        annotation_row(statements[8], statement_text="Something else entirely."),  # line 10
        annotation_row(statements[9], position=999),  # line 11
    ]
    before = (Annotation.objects.count(), LabelRevision.objects.count())
    response = upload(client_for(lead), "annotation", rows_csv(rows))
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    page = response.content.decode()
    table = page[page.index('id="import-row-errors"') :]
    expected = {
        3: "not a valid choice",
        4: "not a valid choice",
        5: "Unknown source “Radio Nowhere”",
        6: "Unknown user “nobody”",
        7: "Unknown label “Mood: grim”",
        8: "takes a single label",
        9: "is required",
        10: "statement_text differs",
        11: "No statement at position 999",
    }
    invalid = {row.number + 1: str(row.error) for row in response.context["result"].invalid_rows}
    assert sorted(invalid) == sorted(expected)
    for line, reason in expected.items():
        assert reason in invalid[line], (line, invalid[line])
        assert f"<td>{line}</td>" in table
    assert (Annotation.objects.count(), LabelRevision.objects.count()) == before


def test_a_row_invalid_by_the_time_of_confirming_rolls_back_the_whole_file(
    project, second_annotator, lead, client_for
):
    client = client_for(lead)
    statements = list(Statement.objects.filter(document__project=project).order_by("position"))
    rows = [annotation_row(statements[0]), annotation_row(statements[1], annotator="bob")]
    preview = upload(client, "annotation", rows_csv(rows))
    assert "confirm_form" in preview.context  # both rows valid at the preview
    project.annotators.remove(second_annotator)  # meanwhile, bob leaves the project
    before = (Annotation.objects.count(), LabelRevision.objects.count())
    response = client.post(
        reverse("admin:annotator_annotation_process_import"),
        preview.context["confirm_form"].initial,
        follow=True,
    )
    assert "Nothing was imported" in response.content.decode()
    assert "line(s) 3 of the file" in response.content.decode()
    assert (Annotation.objects.count(), LabelRevision.objects.count()) == before


def test_imported_annotations_are_saved_by_the_service_with_history(project, lead, client_for):
    statement = Statement.objects.filter(document__project=project).order_by("position").first()
    import_file(client_for(lead), "annotation", rows_csv([annotation_row(statement)]))
    annotation = Annotation.objects.get(statement=statement, annotator__username="alice")
    assert annotation.admiralty_code == "E5"
    assert sorted(map(str, annotation.labels.all())) == [
        "Bias: biased",
        "Persuasion techniques: doubt",
    ]
    assert annotation.submitted_at is not None
    revision = LabelRevision.objects.get(kind="annotation", object_id=annotation.pk)
    assert revision.changed_by == lead and revision.action == "created"
    assert revision.after == labelling_snapshot(annotation)


@pytest.mark.parametrize(
    "written",
    [
        "Bias: biased; Persuasion techniques: doubt",  # files from before keys: English names
        "Verzerrung: verzerrt; Überzeugungstechniken: doubt",  # German names
    ],
)
def test_labels_written_by_name_still_import(project, lead, client_for, written):
    statement = Statement.objects.filter(document__project=project).order_by("position").first()
    import_file(
        client_for(lead), "annotation", rows_csv([annotation_row(statement, labels=written)])
    )
    annotation = Annotation.objects.get(statement=statement, annotator__username="alice")
    assert sorted(f"{x.group.key}: {x.key}" for x in annotation.labels.all()) == [
        "bias: biased",
        "persuasion-techniques: doubt",
    ]


def test_an_annotation_by_a_user_outside_the_project_is_refused(
    project, outsider, lead, client_for
):
    statement = Statement.objects.filter(document__project=project).first()
    response = upload(
        client_for(lead), "annotation", rows_csv([annotation_row(statement, annotator="otto")])
    )
    [invalid] = response.context["result"].invalid_rows
    assert "not an annotator" in str(invalid.error)


def test_annotations_export_with_readable_columns_and_reimport_unchanged(demo, lead, client_for):
    client = client_for(lead)
    content = export(client, "annotation")
    data = tablib.Dataset().load(content.decode(), format="csv")
    assert data.headers[:5] == ["project", "document", "position", "statement_text", "annotator"]
    in_demo = [row for row in data.dict if row["project"] == demo.name]
    assert len(in_demo) == 63 and len(data) == Annotation.objects.count()
    assert {row["annotator"] for row in in_demo} == {"anna", "ben", "carla"}
    assert any("bias: " in row["labels"] for row in data.dict)
    before = LabelRevision.objects.count()
    preview = upload(client, "annotation", content)
    assert {row.import_type for row in preview.context["result"].rows} == {"skip"}
    confirm(client, "annotation", preview)
    assert LabelRevision.objects.count() == before


def test_gold_labels_import_through_the_service(project, lead, client_for):
    statement = Statement.objects.filter(document__project=project).order_by("position")[2]
    row = annotation_row(statement, labels="Bias: non-biased", method="adjudicated",
                         decided_by="lena", rationale="Two of three.")  # fmt: skip
    del row["annotator"], row["status"], row["submitted_at"]
    import_file(client_for(lead), "goldlabel", rows_csv([row]))
    gold = GoldLabel.objects.get(statement=statement)
    assert (gold.method, gold.decided_by, gold.admiralty_code) == ("adjudicated", lead, "E5")
    assert LabelRevision.objects.filter(kind="gold", object_id=gold.pk, changed_by=lead).exists()


def test_statement_rows_whose_text_is_not_the_document_span_are_refused(demo, lead, client_for):
    client = client_for(lead)
    content = export(client, "statement")
    data = tablib.Dataset().load(content.decode(), format="csv")
    assert {"project", "document", "position", "start", "end", "suggested_source"} <= set(
        data.headers
    )
    preview = upload(client, "statement", content)
    assert {row.import_type for row in preview.context["result"].rows} == {"skip"}

    rows = data.dict
    rows[0]["start"] = str(int(rows[0]["start"]) + 1)  # the span no longer matches the text
    rows[1]["end"] = rows[1]["start"]  # an empty span
    bad = csv_bytes(data.headers, [[row[key] for key in data.headers] for row in rows])
    response = upload(client, "statement", bad)
    invalid = {row.number + 1: str(row.error) for row in response.context["result"].invalid_rows}
    assert sorted(invalid) == [2, 3]
    assert "does not match the document" in invalid[2]
    assert Statement.objects.filter(document__project=demo).count() == 21


FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def formula_statement(demo):
    statement = Statement.objects.filter(document__project=demo).order_by("position").first()
    Statement.objects.filter(pk=statement.pk).update(text=FORMULA)  # bypasses the span check
    return statement


def test_admin_exports_neutralise_formulas_in_csv_tsv_and_xlsx_but_not_json(
    formula_statement, lead, client_for
):
    client = client_for(lead)
    for fmt in ("csv", "tsv"):
        data = tablib.Dataset().load(export(client, "statement", fmt).decode(), format=fmt)
        assert "'" + FORMULA in data["text"] and FORMULA not in data["text"]
    workbook = openpyxl.load_workbook(io.BytesIO(export(client, "statement", "xlsx")))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "'" + FORMULA in [cell.value for cell in cells]
    records = json.loads(export(client, "statement", "json"))
    assert FORMULA in [record["text"] for record in records]


def test_a_neutralised_csv_imports_back_to_the_original_text(lead, client_for, demo):
    rows = [["=SUM(A1:A9)", "other", "", "@cmd", "-minus"]]
    import_file(client_for(lead), "source", csv_bytes(SOURCE_HEADERS, rows))
    exported = export(client_for(lead), "source")
    assert b"'=SUM(A1:A9)" in exported and b"'@cmd" in exported
    source = Source.objects.get(name="=SUM(A1:A9)")
    assert (source.aliases, source.description) == ("@cmd", "-minus")
    preview = upload(client_for(lead), "source", exported)
    assert "skip" in {row.import_type for row in preview.context["result"].rows}
    assert not Source.objects.filter(name="'=SUM(A1:A9)").exists()


def test_annotation_labels_column_lists_group_and_label(project, annotator, lead, client_for):
    statement = Statement.objects.filter(document__project=project).first()
    annotation_save(
        annotation=Annotation(statement=statement, annotator=annotator, source_reliability="C",
                              info_credibility="3"),
        labels=[label("Bias", "biased"), label("Persuasion techniques", "doubt")],
        changed_by=annotator,
    )  # fmt: skip
    data = tablib.Dataset().load(export(client_for(lead), "annotation").decode(), format="csv")
    [row] = [row for row in data.dict if row["annotator"] == "alice"]
    assert row["labels"] == "bias: biased; persuasion-techniques: doubt"


def first_word_span(statement) -> tuple[str, int, int]:
    """The statement's first word and its offsets in the document: a span the form could send."""
    word = statement.text.split()[0]
    return word, statement.start, statement.start + len(word)


def test_annotations_carry_the_mention_span_time_and_guidelines_version(project, lead, client_for):
    statement = Statement.objects.filter(document__project=project).order_by("position").first()
    word, start, end = first_word_span(statement)
    row = annotation_row(
        statement, source_mention=word, source_mention_start=start, source_mention_end=end
    )
    client = client_for(lead)
    import_file(client, "annotation", rows_csv([row]))
    annotation = Annotation.objects.get(statement=statement, annotator__username="alice")
    assert (annotation.source_mention_start, annotation.source_mention_end) == (start, end)
    Annotation.objects.filter(pk=annotation.pk).update(seconds_spent=42)

    data = tablib.Dataset().load(export(client, "annotation").decode(), format="csv")
    [exported] = [r for r in data.dict if r["annotator"] == "alice"]
    assert (exported["source_mention_start"], exported["source_mention_end"]) == (
        str(start),
        str(end),
    )
    assert exported["seconds_spent"] == "42"
    assert exported["guidelines_version"] == project.guidelines_version

    # The time and the guidelines version are the server's: a file does not set them.
    edited = {**exported, "seconds_spent": "99999", "guidelines_version": "forged"}
    import_file(client, "annotation", rows_csv([edited]))
    annotation.refresh_from_db()
    assert annotation.seconds_spent == 42
    assert annotation.guidelines_version == project.guidelines_version


def test_a_mention_span_that_is_not_the_words_written_is_refused(project, lead, client_for):
    statement = Statement.objects.filter(document__project=project).order_by("position").first()
    word, start, end = first_word_span(statement)
    row = annotation_row(
        statement, source_mention=word, source_mention_start=start + 1, source_mention_end=end
    )
    before = Annotation.objects.count()
    response = upload(client_for(lead), "annotation", rows_csv([row]))
    [invalid] = response.context["result"].invalid_rows
    assert "no longer matches the selected words" in str(invalid.error), invalid.error
    assert Annotation.objects.count() == before


def test_statements_imported_in_the_admin_join_the_queue_and_the_progress_counts(
    demo, lead, client_for
):
    from annotator.progress import progress_differences

    client = client_for(lead)
    text = "Die Regierung hat gesagt, dass alles gut sei. Experten zweifeln daran."
    document_rows = [[demo.name, "new-article", "Neu", text, "de"]]
    import_file(
        client,
        "document",
        csv_bytes(["project", "external_id", "title", "text", "language"], document_rows),
    )
    first, second = text.split(" Experten")[0], "Experten zweifeln daran."
    statement_rows = [
        [demo.name, "new-article", 0, 0, first, 0, len(first)],
        [demo.name, "new-article", 1, 0, second, text.index(second), len(text)],
    ]
    headers = ["project", "document", "position", "paragraph", "text", "start", "end"]
    assert progress_differences(project=demo) == []
    import_file(client, "statement", csv_bytes(headers, statement_rows))
    assert Statement.objects.filter(document__external_id="new-article").count() == 2
    assert progress_differences(project=demo) == []
