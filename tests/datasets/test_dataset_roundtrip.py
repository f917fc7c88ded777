"""Round trip: `export_dataset --format jsonl` and then `import_dataset` into an empty database
reproduce the documents, statements with offsets, annotations and gold labels, compared field by
field (the suite runs on SQLite and on PostgreSQL). A bad line stops the import with its line
number and writes nothing."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from annotator.adjudication.services import gold_label_save
from annotator.labelling import labelling_snapshot, project_label_groups
from annotator.models import (
    Annotation,
    Document,
    GoldLabel,
    LabelGroup,
    LabelRevision,
    Project,
    Source,
    Statement,
)
from annotator.progress import progress_counted, progress_differences
from tests.helpers import label, labels_erase

LABELLING = ["source__name", "source_mention", "source_reliability", "info_credibility", "note"]


def with_labels(model, row: dict) -> dict:
    """The row without its database id, plus the object's labels as "group key: label key"."""
    instance = model.objects.get(pk=row.pop("pk"))
    labels = instance.labels.select_related("group")
    return {**row, "labels": sorted(f"{label.group.key}: {label.key}" for label in labels)}


LABEL_FIELDS = ("key", "name", "name_de", "name_en", "description", "description_de",
                "description_en", "position")  # fmt: skip
GROUP_FIELDS = (
    "name",
    "key",
    "name_de",
    "name_en",
    "description",
    "multiple",
    "required",
    "position",
)


def snapshot(project_name: str) -> dict:
    """Everything the dataset carries, by natural keys (no database ids)."""
    project = Project.objects.get(name=project_name)
    documents = Document.objects.filter(project=project)
    statements = Statement.objects.filter(document__project=project)
    key = ("document__external_id", "position")
    return {
        "project": Project.objects.filter(pk=project.pk).values(
            "description",
            "guidelines",
            "guidelines_de",
            "guidelines_en",
            "guidelines_version",
            "annotations_per_statement",
        )[0],
        "documents": list(
            documents.order_by("external_id").values(
                "external_id",
                "title",
                "text",
                "language",
                "url",
                "place",
                "published_at",
                "outlet",
                "listed_sources",
                "content_hash",
            )
        ),  # fmt: skip
        "statements": list(
            statements.order_by(*key).values(
                *key,
                "paragraph",
                "text",
                "start",
                "end",
                "suggested_source__name",
                "suggested_mention",
                "suggested_cue",
                "suggested_cue_start",
                "suggested_cue_end",
                "suggested_mention_start",
                "suggested_mention_end",
            )
        ),  # fmt: skip
        "annotations": [
            with_labels(Annotation, row)
            for row in Annotation.objects.filter(statement__in=statements, status="submitted")
            .order_by("statement__document__external_id", "statement__position", "annotator")
            .values(
                "pk",
                "statement__document__external_id",
                "statement__position",
                "annotator__username",
                "status",
                "submitted_at",
                "source_mention_start",
                "source_mention_end",
                "guidelines_version",
                "seconds_spent",
                *LABELLING,
            )
        ],  # fmt: skip
        "gold": [
            with_labels(GoldLabel, row)
            for row in GoldLabel.objects.filter(statement__in=statements)
            .order_by("statement__document__external_id", "statement__position")
            .values(
                "pk",
                "statement__document__external_id",
                "statement__position",
                "method",
                "decided_by__username",
                "rationale",
                "source_mention_start",
                "source_mention_end",
                *LABELLING,
            )
        ],  # fmt: skip
        "sources": list(
            Source.objects.filter(annotations__statement__in=statements)
            .distinct()
            .order_by("name")
            .values("name", "kind", "country", "aliases", "description")
        ),
        "groups": [  # the project's schema, with its order and rules, and its labels
            {
                **{field: getattr(group, field) for field in GROUP_FIELDS},
                "labels": list(group.labels.order_by("position", "key").values(*LABEL_FIELDS)),
            }
            for group in project_label_groups(Project.objects.get(name=project_name))
        ],
    }


@pytest.fixture
def labelled_project(demo, lead):
    """The demo (3 annotators x 21 statements) plus gold labels, a draft and awkward text."""
    statements = list(Statement.objects.filter(document__project=demo).order_by("position"))
    gold_label_save(
        gold=GoldLabel(
            statement=statements[2], method="adjudicated", decided_by=lead,
            source=Source.objects.get(name="Waleri Gerassimow"), source_mention="Gerassimow",
            source_reliability="D", info_credibility="4", note='=cmd|"/c calc"!A1',
            rationale="Two of three said D4.",
        ),
        labels=[label("Bias", "biased"), label("Stance", "pro-Russia"),
                label("Persuasion techniques", "loaded language"),
                label("Persuasion techniques", "flag-waving")],
        changed_by=lead,
    )  # fmt: skip
    gold_label_save(
        gold=GoldLabel(statement=statements[7], method="majority", source_reliability="F",
                       info_credibility="6"),
        labels=[label("Bias", "non-biased")],
        changed_by=lead,
    )  # fmt: skip
    # A mention selected in the text, the time spent and the guidelines version.
    word = statements[4].text.split()[0]
    Annotation.objects.filter(statement=statements[4]).update(
        source_mention=word,
        source_mention_start=statements[4].start,
        source_mention_end=statements[4].start + len(word),
        guidelines_version="1.0",
        seconds_spent=17,
    )
    gold_word = statements[7].text.split()[0]
    GoldLabel.objects.filter(statement=statements[7]).update(
        source_mention=gold_word,
        source_mention_start=statements[7].start,
        source_mention_end=statements[7].start + len(gold_word),
    )
    draft = Annotation.objects.filter(statement=statements[9]).first()
    Annotation.objects.filter(pk=draft.pk).update(status="draft", submitted_at=None)
    return demo


def empty_the_database(project: Project) -> None:
    """What an empty database lacks: the project, its people, sources and vocabularies."""
    labels_erase()
    project.delete()
    Project.objects.all().delete()  # the demo's second project too
    get_user_model().objects.all().delete()
    Source.objects.all().delete()
    LabelGroup.objects.all().delete()


def export_jsonl(project, path, *options):
    call_command(
        "export_dataset", "--project", project.name, "--format", "jsonl", "--output", str(path),
        *options, stdout=io.StringIO(),
    )  # fmt: skip


def import_jsonl(path, *options) -> str:
    out = io.StringIO()
    call_command("import_dataset", str(path), *options, stdout=out)
    return out.getvalue()


def test_export_then_import_into_an_empty_database_reproduces_everything(
    labelled_project, tmp_path
):
    before = snapshot(labelled_project.name)
    assert len(before["annotations"]) == 62 and len(before["gold"]) == 2
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path, "--real-names")
    empty_the_database(labelled_project)
    assert not Statement.objects.exists() and not get_user_model().objects.exists()

    output = import_jsonl(path, "--create-vocabulary")
    assert "21 statement(s), 62 annotation(s), 2 gold label(s)" in output
    after = snapshot(labelled_project.name)
    for part in before:
        assert after[part] == before[part], part

    users = get_user_model().objects.all()
    assert {user.username for user in users} == {"anna", "ben", "carla", "lena"}
    assert not any(user.is_active or user.has_usable_password() for user in users)
    project = Project.objects.get(name=labelled_project.name)
    assert {u.username for u in project.annotators.all()} == {"anna", "ben", "carla"}


def test_imported_labels_have_their_history(labelled_project, tmp_path):
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path, "--real-names")
    empty_the_database(labelled_project)
    import_jsonl(path, "--create-vocabulary")
    annotations = Annotation.objects.all()
    revisions = {
        r.object_id: r for r in LabelRevision.objects.filter(kind="annotation", action="created")
    }
    assert len(revisions) == annotations.count() == 62
    for annotation in annotations:
        assert revisions[annotation.pk].after == labelling_snapshot(annotation)
        assert revisions[annotation.pk].annotator_id == annotation.annotator_id
    gold = GoldLabel.objects.get(method="adjudicated")
    revision = LabelRevision.objects.get(kind="gold", object_id=gold.pk)
    assert revision.after == labelling_snapshot(gold)


def test_without_the_card_the_vocabulary_is_rebuilt_from_the_records(labelled_project, tmp_path):
    before = snapshot(labelled_project.name)
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path, "--real-names")
    (tmp_path / "demo.jsonl.card.md").unlink()
    empty_the_database(labelled_project)
    with pytest.raises(CommandError, match="--project"):
        import_jsonl(path, "--create-vocabulary")
    import_jsonl(path, "--project", labelled_project.name, "--create-vocabulary")
    after = snapshot(labelled_project.name)
    for part in ["documents", "statements", "annotations", "gold"]:
        assert after[part] == before[part], part
    # Without the card, the keys the records use are the groups' and labels' keys and names.
    assert LabelGroup.objects.get(key="persuasion-techniques").multiple is True
    stance = LabelGroup.objects.get(key="stance")
    assert stance.multiple is False and stance.name == "stance"
    assert {(label.key, label.name) for label in stance.labels.all()} >= {("neutral", "neutral")}


def test_a_pseudonymised_export_imports_its_pseudonyms(labelled_project, tmp_path):
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path)
    import_jsonl(path, "--project", "Copy")
    copy = Annotation.objects.filter(statement__document__project__name="Copy")
    assert set(copy.values_list("annotator__username", flat=True)) == {
        "annotator_1",
        "annotator_2",
        "annotator_3",
    }
    gold = GoldLabel.objects.get(statement__document__project__name="Copy", method="adjudicated")
    assert gold.decided_by.username == "lead_1"


def rewrite_line(path, number: int, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[number - 1])
    change(record)
    lines[number - 1] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "change", "reason"),
    [
        (4, lambda r: r.update(start=r["start"] + 1), "does not match the document"),
        (5, lambda r: r["annotations"][0].update(source_reliability="G"), "not one of A–F"),
        (6, lambda r: r["annotations"][1].update(info_credibility="0"), "not one of 1–6"),
        (
            7,
            lambda r: r["annotations"][0]["labels"].update(bias=None),
            "“Bias” is required",
        ),
        (8, lambda r: r["annotations"][0]["labels"].update(bias=["biased", "non-biased"]),
         "takes a single label"),
        (9, lambda r: r.update(document_id=-1), "not in the documents file"),
        (10, lambda r: r["annotations"].append(dict(r["annotations"][0])), "two annotations"),
    ],
)  # fmt: skip
def test_a_bad_line_stops_the_import_with_its_number_and_nothing_is_written(
    labelled_project, tmp_path, line, change, reason
):
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path)
    rewrite_line(path, line, change)
    counts = (Project.objects.count(), Statement.objects.count(), Annotation.objects.count())
    with pytest.raises(CommandError) as error:
        import_jsonl(path, "--project", "Copy")
    assert f"demo.jsonl line {line}: " in str(error.value)
    assert reason in str(error.value)
    assert "Nothing was imported" in str(error.value)
    assert (Project.objects.count(), Statement.objects.count(), Annotation.objects.count()) == (
        counts
    )


def test_an_existing_project_is_not_overwritten(labelled_project, tmp_path):
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path)
    with pytest.raises(CommandError, match="already exists"):
        import_jsonl(path)


def test_the_imported_projects_progress_counts_agree_with_a_recount(labelled_project, tmp_path):
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path, "--real-names")
    empty_the_database(labelled_project)
    import_jsonl(path, "--create-vocabulary")

    project = Project.objects.get(name=labelled_project.name)
    counts = progress_counted(project=project)
    assert counts.open_statements > 0 and len(counts.annotators) == 3  # something to count
    assert progress_differences(project=project) == []
