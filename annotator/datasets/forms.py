"""The lead's dataset export form: a format, and which statements (gold only, labelled since)."""

from __future__ import annotations

import importlib.util

from django import forms
from django.utils.translation import gettext_lazy as _

from .writers import FORMATS as DATASET_FORMATS


def dataset_formats() -> list[tuple[str, str]]:
    labels = {
        "jsonl": _("jsonl: one record per statement (NLP, datasets library)"),
        "csv": _("csv: one row per annotation (pandas, R, spreadsheets)"),
        "xlsx": _("xlsx: sheets of statements, annotations and sources"),
        "parquet": _("parquet: the jsonl records as a typed table"),
    }
    has_pyarrow = importlib.util.find_spec("pyarrow") is not None
    return [(fmt, labels[fmt]) for fmt in DATASET_FORMATS if fmt != "parquet" or has_pyarrow]


class DatasetExportForm(forms.Form):
    format = forms.ChoiceField(label=_("format"), choices=dataset_formats, initial="jsonl")
    gold_only = forms.BooleanField(label=_("only statements with a gold label"), required=False)
    since = forms.DateField(
        label=_("only statements labelled since"),
        required=False,
        help_text=_("A date such as 2026-03-01; empty for every statement."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    real_names = forms.BooleanField(
        label=_("real usernames"),
        required=False,
        help_text=_("Otherwise annotators are annotator_1, annotator_2, …"),
    )
