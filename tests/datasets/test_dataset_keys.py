"""Exports name label groups and labels by key; `import_dataset` finds them by key, and files
written before keys existed (names, in English or German) still import, the summary saying
so. Export, import into an empty database and export again give the same files (but for the
database ids and the moment of export). The suite runs on SQLite and on PostgreSQL (whose csv
is written by COPY)."""

import csv
import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from annotator.datasets.bundle import card_meta
from annotator.models import Annotation, Label, LabelGroup, Project
from tests.datasets.test_dataset_roundtrip import (
    empty_the_database,
    export_jsonl,
    import_jsonl,
    labelled_project,  # noqa: F401 (a fixture)
    snapshot,
)

ID_COLUMNS = ("statement_id", "document_id")


def export_all(project_name: str, folder) -> dict[str, object]:
    """The jsonl, csv and card of a project, without what differs between two databases (the
    statements' and documents' ids) or two moments (the export's time)."""
    project = Project.objects.get(name=project_name)
    folder.mkdir()
    export_jsonl(project, folder / "data.jsonl", "--real-names")
    call_command(
        "export_dataset", "--project", project.name, "--format", "csv", "--output",
        str(folder / "data.csv"), "--real-names", stdout=io.StringIO(),
    )  # fmt: skip
    records = [json.loads(line) for line in (folder / "data.jsonl").read_text().splitlines()]
    for record in records:
        del record["id"], record["document_id"]
    rows = list(csv.DictReader(io.StringIO((folder / "data.csv").read_text(encoding="utf-8"))))
    for row in rows:
        for column in ID_COLUMNS:
            del row[column]
    card = card_meta((folder / "data.jsonl.card.md").read_text(encoding="utf-8"))
    del card["exported_at"]
    return {"jsonl": records, "csv": rows, "card": card}


def test_export_import_export_gives_the_same_files(labelled_project, tmp_path):  # noqa: F811
    name = labelled_project.name
    # The draft is not exported, so the second export could not count it.
    Annotation.objects.filter(status="draft").delete()
    first = export_all(name, tmp_path / "first")
    assert {"bias", "stance", "persuasion-techniques"} <= set(
        first["jsonl"][0]["annotations"][0]["labels"]
    )
    assert "labels.persuasion-techniques" in first["csv"][0]
    empty_the_database(labelled_project)
    output = import_jsonl(tmp_path / "first" / "data.jsonl", "--create-vocabulary")
    assert "found by name" not in output
    second = export_all(name, tmp_path / "second")
    for part in first:
        assert second[part] == first[part], part


def rewrite_labels(path, rename) -> None:
    """The data file as an export from before keys wrote it: every group and label by name."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for labelling in [*record["annotations"], record["gold"]]:
            if labelling:
                labelling["labels"] = {
                    rename(group): [rename(group, v) for v in value]
                    if isinstance(value, list)
                    else (rename(group, value) if value else None)
                    for group, value in labelling["labels"].items()
                }
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def renamer(field: str):
    """Keys -> names in one language (`name`, `name_de`) as the vocabulary has them now."""
    groups = {group.key: getattr(group, field) for group in LabelGroup.objects.all()}
    labels = {
        (label.group.key, label.key): getattr(label, field)
        for label in Label.objects.select_related("group")
    }

    def rename(group: str, label: str | None = None) -> str:
        return groups[group] if label is None else labels[group, label]

    return rename


@pytest.mark.parametrize("field", ["name", "name_de"])
def test_a_file_naming_labels_by_name_imports_the_same_labels_and_says_so(
    labelled_project,  # noqa: F811
    tmp_path,
    field,
):
    before = snapshot(labelled_project.name)
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path, "--real-names")
    rewrite_labels(path, renamer(field))
    assert ("Verzerrung" if field == "name_de" else "Bias") in path.read_text(encoding="utf-8")
    groups, labels = LabelGroup.objects.count(), Label.objects.count()
    output = import_jsonl(path, "--project", "Copy", "--attach-existing-users")
    assert (LabelGroup.objects.count(), Label.objects.count()) == (groups, labels)
    assert "found by name, not by key" in output
    expected = "label group “Verzerrung” → bias" if field == "name_de" else "“Bias” → bias"
    assert expected in output
    copy = snapshot("Copy")
    for part in ["annotations", "gold", "groups"]:
        assert copy[part] == before[part], part


def test_an_old_file_and_card_without_keys_rebuild_the_vocabulary_with_keys(
    labelled_project,  # noqa: F811
    tmp_path,
):
    """An export from before keys: names in the data, no keys in the card. The keys are
    derived from the names, as the vocabulary derived them."""
    before = snapshot(labelled_project.name)
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path, "--real-names")
    rewrite_labels(path, renamer("name"))
    card_path = tmp_path / "demo.jsonl.card.md"
    card = card_path.read_text(encoding="utf-8")
    meta = card_meta(card)
    for group in meta["label_groups"]:
        del group["key"]
        for label in group["labels"]:
            del label["key"]
    body = card[card.index("\n---", 4) + 4 :]
    card_path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---" + body)
    empty_the_database(labelled_project)
    import_jsonl(path, "--create-vocabulary")
    after = snapshot(labelled_project.name)
    for part in ["annotations", "gold", "groups"]:
        assert after[part] == before[part], part


def test_a_label_the_vocabulary_lacks_is_refused_by_its_key(labelled_project, tmp_path):  # noqa: F811
    path = tmp_path / "demo.jsonl"
    export_jsonl(labelled_project, path)
    text = path.read_text(encoding="utf-8").replace('"bias": "biased"', '"bias": "slanted"', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="the label “bias: slanted” is not in the vocabulary"):
        import_jsonl(path, "--project", "Copy")
    assert not Project.objects.filter(name="Copy").exists()
