"""The import's first pass over a large file runs in two processes (dataset_import_split):
the names it collects, with the first line of each, and the problems it reports, line
numbers included, are those of one pass over the whole file."""

import json

import pytest

from annotator.datasets.dataset_import_split import halves
from tests.helpers import PRODUCTION, manage


def annotation(annotator: str, **changes) -> dict:
    data = {
        "annotator": annotator,
        "source": None,
        "source_mention": "",
        "source_reliability": "B",
        "info_credibility": "2",
        "labels": {"stance": "neutral"},
        "note": "",
        "submitted_at": "2026-03-01T08:01:12.000000Z",
    }
    return {**data, **changes}


def record(number: int, **changes) -> dict:
    data = {
        "document_id": 1,
        "position": number,
        "text": "Ein Satz.",
        "start": 0,
        "end": 9,
        "annotations": [annotation(f"annotator_{number % 3}")],
        "gold": None,
    }
    return {**data, **changes}


def lines(count: int) -> list[str]:
    """Good lines, and bad ones in both halves; names first used in either half."""
    result = []
    for number in range(1, count + 1):
        changes = {}
        if number in (4, count - 3):
            changes["start"] = -1
        if number == count - 6:
            changes["annotations"] = [annotation("late_user", labels={"topic": ["war", "x"]})]
        if number == count - 2:
            changes["suggested_source"] = "Late source"
        result.append(json.dumps(record(number, **changes), ensure_ascii=False))
    result[9] = "{not json"
    result[-2] = "[1, 2]"
    return result


# Run in a process of its own: the split is made only where no other thread runs (see
# dataset_import_split), and a test run may have some.
CHECK_BOTH_WAYS = """
import json
from pathlib import Path
from annotator.datasets.dataset_import import records_check
from annotator.datasets.dataset_import_split import halves

def result(path, split_bytes, records_check=records_check):
    errors = []
    names = records_check(path, errors, split_bytes=split_bytes)
    return {"errors": errors, "users": names.users, "sources": names.sources,
            "groups": names.groups,
            "labels": sorted([*key, line] for key, line in names.labels.items()),
            "multiple": sorted(names.multiple_groups), "choices": sorted(names.label_choices)}

path = Path(PATH)
spans = halves(path, split_bytes=1)
print(json.dumps({"cut": spans and spans[1].skip, "whole": result(path, 10**12),
                  "split": result(path, 1)}))
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_two_halves_give_what_one_pass_gives(tmp_path, newline):
    path = tmp_path / "data.jsonl"
    path.write_bytes(newline.join(lines(400)).encode() + b"\n\n")
    ran = manage("shell", "-c", CHECK_BOTH_WAYS.replace("PATH", repr(str(path))), **PRODUCTION)
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout.splitlines()[-1])
    if newline != "\r":  # lines ended by \r alone are cut only at a later \n, if any
        assert found["cut"] > 150, "the file is cut near its middle"

    whole, split = found["whole"], found["split"]
    assert split == whole
    assert "data.jsonl line 10: not JSON" in whole["errors"][1]
    assert any(error.startswith("data.jsonl line 397: start -1") for error in whole["errors"])
    assert whole["errors"][-1] == "data.jsonl line 399: not a JSON object"
    assert whole["users"]["late_user"] == 394
    assert whole["groups"]["topic"] == 394 and "topic" in whole["multiple"]
    assert whole["sources"] == {"Late source": 398}


def test_a_small_file_or_one_long_line_is_not_split(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines(40)) + "\n", encoding="utf-8")
    assert halves(path) is None  # under SPLIT_BYTES
    path.write_text(json.dumps(record(1)), encoding="utf-8")  # no line break at all
    assert halves(path, split_bytes=1) is None
