"""The dataset import's rows (datasets/dataset_import_rows.py): the label history entry it
writes as JSON text says exactly what labelling_snapshot says."""

import json
from types import SimpleNamespace

import pytest

from annotator.datasets.dataset_import_rows import LabelChoice, LabelledValues

AWKWARD = ["", 'quote " and \\ backslash', "line\nbreak\ttab", "Umlaute äöü – «»", "\x7f\u2028"]


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("span", [(None, None), (3, 12)])
@pytest.mark.parametrize("source", [None, SimpleNamespace(id=4, name="KCNA „Agentur“")])
def test_the_history_text_is_the_snapshot(text, span, source):
    choice = LabelChoice(ids=(1, 2), snapshot_names=["Bias: biased", f"Stance: {text}"],
                         problem=None)  # fmt: skip
    values = LabelledValues(choice=choice, source=source, source_mention=text,
                            mention_start=span[0], mention_end=span[1], source_reliability="E",
                            info_credibility="4", note=text)  # fmt: skip
    for extra in ((("status", "submitted"),), (("method", "majority"), ("rationale", text))):
        written = json.loads(values.snapshot_text(extra))
        assert written == {**values.snapshot(), **dict(extra)}
        assert list(written) == [*values.snapshot(), *dict(extra)]
