"""The import's first pass over a large file runs in two processes (dataset_import_split):
the names it collects, with the first line of each, and the problems it reports, line
numbers included, are those of one pass over the whole file."""

import json

import pytest

from annotator.datasets.dataset_import import records_check
from annotator.datasets.dataset_import_split import halves


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


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_two_halves_give_what_one_pass_gives(tmp_path, newline):
    path = tmp_path / "data.jsonl"
    path.write_bytes(newline.join(lines(400)).encode() + b"\n\n")
    if newline != "\r":  # lines ended by \r alone are cut only at a later \n, if any
        assert halves(path, split_bytes=1)[1].skip > 150, "the file is cut near its middle"

    whole_errors, split_errors = [], []
    whole = records_check(path, whole_errors, split_bytes=10**9)
    split = records_check(path, split_errors, split_bytes=1)

    assert split_errors == whole_errors
    assert "data.jsonl line 10: not JSON" in whole_errors[1]
    assert any(error.startswith("data.jsonl line 397: start -1") for error in whole_errors)
    assert whole_errors[-1] == "data.jsonl line 399: not a JSON object"
    assert split == whole
    assert whole.users["late_user"] == 394
    assert whole.groups["topic"] == 394 and "topic" in whole.multiple_groups
    assert whole.sources == {"Late source": 398}


def test_a_small_file_or_one_long_line_is_not_split(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines(40)) + "\n", encoding="utf-8")
    assert halves(path) is None  # under SPLIT_BYTES
    path.write_text(json.dumps(record(1)), encoding="utf-8")  # no line break at all
    assert halves(path, split_bytes=1) is None
