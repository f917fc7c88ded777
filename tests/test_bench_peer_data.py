"""The peer benchmark gives both tools the same data (bench/peer_data.py): its generated data set
is accepted by `import_dataset` as it is, the same seed gives the same bytes, and every value of
every annotation in our export reaches Label Studio's tasks under a control that the labeling
config declares, with a choice it offers."""

import io
import json
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from django.core.management import call_command

from annotator.models import Annotation, Document, Project, Statement

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import peer_data  # noqa: E402  (bench/ is not a package)

SIZE = {"statements": 45, "per_document": 7, "annotators": 3}


def generate(folder: Path, seed: int = 7) -> Path:
    path = folder / "generated.jsonl"
    peer_data.dataset_write(path, seed=seed, **SIZE)
    peer_data.card_write(path, project="Peer test", annotators=SIZE["annotators"])
    return path


def exported(tmp_path: Path) -> Path:
    """The generated set imported with our command and exported again (the benchmark's input)."""
    call_command("import_dataset", str(generate(tmp_path)), create_vocabulary=True, verbosity=0)
    output = tmp_path / "export.jsonl"
    call_command(
        "export_dataset", project="Peer test", fmt="jsonl", output=str(output), stdout=io.StringIO()
    )
    return output


def test_same_seed_gives_the_same_data_and_another_seed_other_data(tmp_path):
    first, second, other = (tmp_path / name for name in ("a", "b", "c"))
    for folder, seed in ((first, 7), (second, 7), (other, 8)):
        folder.mkdir()
        generate(folder, seed)
    data = {folder: (folder / "generated.jsonl").read_bytes() for folder in (first, second, other)}
    assert data[first] == data[second]
    assert data[first] != data[other]


@pytest.mark.django_db
def test_the_generated_set_is_imported_whole_by_import_dataset(tmp_path):
    generated = generate(tmp_path)
    call_command("import_dataset", str(generated), create_vocabulary=True, verbosity=0)

    project = Project.objects.get(name="Peer test")
    statements = Statement.objects.filter(document__project=project)
    assert Document.objects.filter(project=project).count() == 7  # 45 statements in sevens
    assert statements.count() == SIZE["statements"]
    assert Annotation.objects.filter(statement__in=statements).count() == 45 * 3
    assert all(s.document.text[s.start : s.end] == s.text for s in statements)
    # Every kind of value occurs: attributed and own-voice statements, F and 6, notes, labels.
    annotations = Annotation.objects.filter(statement__in=statements)
    assert annotations.filter(source__isnull=True).exists()
    assert annotations.filter(source__isnull=False).exists()
    assert annotations.filter(labels__group__name="Persuasion techniques").exists()


def decoded(task_annotation: dict, groups: dict[str, str]) -> dict:
    """A Label Studio annotation read back into our fields."""
    values = {"source": None, "source_mention": "", "note": "", "labels": {}}
    for result in task_annotation["result"]:
        name, value = result["from_name"], result["value"]
        if result["type"] == "textarea":
            values[name] = value["text"][0]
        elif name in ("source_reliability", "info_credibility"):
            values[name] = value["choices"][0]
        else:
            values["labels"][groups[name]] = value["choices"]
    return values


@pytest.mark.django_db
def test_every_exported_value_reaches_label_studio(tmp_path):
    export = exported(tmp_path)
    tasks, annotators = peer_data.tasks_from_export(export)
    records = [json.loads(line) for line in export.read_text().splitlines()]
    fixture_groups = peer_data.fixture("label_groups.json")
    keys = [peer_data.key_of(group) for group in fixture_groups]
    groups = {peer_data.control_name(key): key for key in keys}

    assert len(tasks) == SIZE["statements"]
    assert annotators == {"annotator_1", "annotator_2", "annotator_3"}
    for task, record in zip(tasks, records, strict=True):
        assert task["data"]["text"] == record["text"]
        assert task["data"]["statement_id"] == record["id"]
        for ours, theirs in zip(record["annotations"], task["annotations"], strict=True):
            assert theirs["completed_by"] == {"email": peer_data.annotator_email(ours["annotator"])}
            back = decoded(theirs, groups)
            for field in ("source", "source_mention", "source_reliability", "info_credibility"):
                assert back[field] == ours[field] or (not back[field] and not ours[field])
            assert back["note"] == ours["note"]
            chosen = {
                group: value if isinstance(value, list) else [value]
                for group, value in ours["labels"].items()
                if value
            }
            assert back["labels"] == chosen


@pytest.mark.django_db
def test_the_labeling_config_declares_every_control_and_choice_the_tasks_use(tmp_path):
    tasks, _annotators = peer_data.tasks_from_export(exported(tmp_path))
    config = ElementTree.fromstring(peer_data.label_config(peer_data.fixture("label_groups.json")))
    controls = {element.get("name"): element for element in config if element.get("name")}
    results = [r for task in tasks for a in task["annotations"] for r in a["result"]]

    assert {r["from_name"] for r in results} <= set(controls)
    for result in results:
        control = controls[result["from_name"]]
        assert control.tag == {"textarea": "TextArea", "choices": "Choices"}[result["type"]]
        if result["type"] == "choices":
            offered = {choice.get("value") for choice in control}
            assert set(result["value"]["choices"]) <= offered
            if control.get("choice") == "single":
                assert len(result["value"]["choices"]) == 1
    assert controls["source_reliability"].get("required") == "true"
    assert controls["labels_bias"].get("required") == "true"
    assert controls["labels_persuasion_techniques"].get("choice") == "multiple"
