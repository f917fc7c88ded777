"""python manage.py agreement --project NAME [--json]: the page's figures, and with --json
exactly the documented object (undefined figures as null, never NaN)."""

import json
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotator.agreement.report import agreement_report, json_key
from annotator.labelling import project_label_groups
from tests.helpers import reference_alpha, same, submitted

FIELD_KEYS = {"alpha", "level", "units", "ci95"}


def run(*args) -> str:
    out = StringIO()
    call_command("agreement", *args, stdout=out)
    return out.getvalue()


def test_json_has_exactly_the_documented_shape(demo):
    figures = json.loads(run("--project", demo.name, "--json"))
    assert set(figures) == {"fields", "pairs", "annotators"}
    groups = project_label_groups(demo)
    keys = [group.key for group in groups]
    assert list(figures["fields"]) == ["source", "source_reliability", "info_credibility", *keys]
    name_of = {group.key: group.name for group in groups}
    annotations = list(submitted(demo))
    for figure_key, field in figures["fields"].items():
        key = name_of.get(figure_key, figure_key)
        assert set(field) == FIELD_KEYS
        assert isinstance(field["units"], int)
        assert field["level"] in ("nominal", "ordinal", "masi")
        assert len(field["ci95"]) == 2
        expected = reference_alpha(annotations, key)
        assert same(field["alpha"] if field["alpha"] is not None else math.nan, expected)
        low, high = field["ci95"]
        if field["alpha"] is not None and low is not None:
            assert low <= field["alpha"] <= high
    assert figures["fields"]["source_reliability"]["level"] == "ordinal"
    assert figures["fields"]["persuasion-techniques"]["level"] == "masi"
    assert figures["fields"]["source_reliability"]["units"] == 21

    assert len(figures["pairs"]) == 3
    for pair in figures["pairs"]:
        assert set(pair) == {"annotators", "units", "kappa"}
        assert len(pair["annotators"]) == 2 and pair["units"] == 21
        assert {"source", "source_reliability", "info_credibility", "bias"} <= set(pair["kappa"])
    names = [row["annotator"] for row in figures["annotators"]]
    assert names == ["anna", "ben", "carla"]
    for row in figures["annotators"]:
        assert set(row) == {"annotator", "units", "mean_kappa", "gold_units", "accuracy"}
        assert row["units"] == 21 and row["gold_units"] == 0
        assert all(value is None for value in row["accuracy"].values())


def test_json_matches_the_page(demo):
    figures = json.loads(run("--project", demo.name, "--json"))
    report = agreement_report(project=demo)
    for figure in report.fields:
        field = figures["fields"][json_key(figure.field)]
        assert field["units"] == figure.units
        assert same(field["alpha"], figure.alpha)
        assert field["ci95"] == pytest.approx(list(figure.ci95))


def test_undefined_figures_are_null(demo):
    anna = demo.annotators.get(username="anna")
    out = run("--project", demo.name, "--json", "--annotator", anna.username)
    assert "NaN" not in out
    figures = json.loads(out)
    assert all(field["alpha"] is None for field in figures["fields"].values())
    assert all(field["ci95"] == [None, None] for field in figures["fields"].values())
    assert all(field["units"] == 0 for field in figures["fields"].values())
    assert figures["pairs"] == []


def test_text_output_lists_fields_pairs_and_annotators(demo):
    out = run("--project", demo.name, "--resamples", "100")
    for text in ("source_reliability", "ordinal", "Persuasion techniques", "masi", "anna – ben"):
        assert text in out
    assert "too few to trust" in out


def test_an_unknown_project_is_a_clear_error(demo):
    with pytest.raises(CommandError, match='No project named "Nope".*Demo'):
        run("--project", "Nope")
    with pytest.raises(CommandError, match="Unknown annotator"):
        run("--project", demo.name, "--annotator", "nobody")
