"""The one labelling schema (annotator/labelling.py): its field list matches the model, F and 6
are no step of the ordinal scales, one label validation, one snapshot, and every path that
reads or writes labels uses them. Unit tests on small data made by the factories."""

import numpy as np
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from annotator.adjudication.forms import GoldLabelForm
from annotator.agreement.data import grade_fields
from annotator.agreement.statistics import masi_distance
from annotator.annotation.forms import AnnotationForm
from annotator.datasets.statement_agreement import masi_similarity
from annotator.labelling import (
    CANNOT_JUDGE,
    GRADES,
    LABELLING_COLUMNS,
    LABELLING_FIELDS,
    MENTION_SPAN_FIELDS,
    ORDINAL_SCALES,
    is_judged,
    labelling_content,
    labelling_snapshot,
    labels_problem,
    labels_validate,
)
from annotator.models import (
    Annotation,
    GoldLabel,
    InfoCredibility,
    Labelling,
    LabelRevision,
    SourceReliability,
)
from tests.factories import (
    DocumentFactory,
    LabelFactory,
    LabelGroupFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
    annotated,
)
from tests.helpers import label

# Bookkeeping every labelling has besides what an annotator or lead decides.
BOOKKEEPING = {"id", "created_at", "updated_at", "version"}


def test_the_field_list_is_the_models_labelling_fields():
    """A field added to Labelling fails here until the schema (and so the forms, exports and
    imports that read LABELLING_FIELDS) says where it goes."""
    decided = {f.name for f in Labelling._meta.get_fields()} - BOOKKEEPING - {"labels"}
    assert set(LABELLING_FIELDS) | set(MENTION_SPAN_FIELDS) == decided
    assert (
        tuple(Annotation._meta.get_field(name).attname for name in LABELLING_FIELDS)
        == LABELLING_COLUMNS
    )


def test_the_forms_offer_exactly_the_schemas_fields():
    # The annotation form also takes the words selected in the paragraph.
    assert tuple(AnnotationForm._meta.fields) == (*LABELLING_FIELDS, *MENTION_SPAN_FIELDS)
    assert tuple(GoldLabelForm._meta.fields) == (*LABELLING_FIELDS, "method", "rationale")


def test_f_and_6_mean_cannot_be_judged_and_are_no_step_of_the_scale():
    assert {
        "source_reliability": "".join(SourceReliability.values),
        "info_credibility": "".join(InfoCredibility.values),
    } == GRADES
    for field, grades in GRADES.items():
        assert ORDINAL_SCALES[field] == [g for g in grades if g != CANNOT_JUDGE[field]]
        assert not is_judged(field, CANNOT_JUDGE[field])
        assert all(is_judged(field, grade) for grade in ORDINAL_SCALES[field])
    assert CANNOT_JUDGE == {"source_reliability": "F", "info_credibility": "6"}


def test_agreement_codes_cannot_judge_as_missing():
    reliability, credibility = grade_fields(np.array(["A", "F", "E"]), np.array(["6", "1", "5"]))
    assert reliability.codes.tolist() == [0, -1, 4]
    assert credibility.codes.tolist() == [-1, 0, 4]
    assert reliability.categories == ORDINAL_SCALES["source_reliability"]


def test_masi_is_defined_once_and_the_export_uses_it():
    sets = [frozenset(), frozenset({1}), frozenset({1, 2}), frozenset({3})]
    for a in sets:
        for b in sets:
            assert masi_similarity(a, b) == pytest.approx(1 - masi_distance(a, b))
    assert masi_distance(frozenset({1}), frozenset({1, 2})) == pytest.approx(1 - 1 / 2 * 2 / 3)
    assert masi_distance(frozenset({1, 2}), frozenset({2, 3})) == pytest.approx(1 - 1 / 3 * 1 / 3)


# --- one label validation --------------------------------------------------------------------


@pytest.fixture
def vocabulary(db):
    single = LabelGroupFactory(name="Single", required=True)
    multiple = LabelGroupFactory(name="Multiple", multiple=True)
    return {
        "single": single,
        "multiple": multiple,
        "a": LabelFactory(group=single, name="a"),
        "b": LabelFactory(group=single, name="b"),
        "x": LabelFactory(group=multiple, name="x"),
        "y": LabelFactory(group=multiple, name="y"),
    }


def groups(vocabulary):
    return [vocabulary["single"], vocabulary["multiple"]]


def test_a_single_choice_group_takes_one_label(vocabulary):
    chosen = [vocabulary["a"], vocabulary["b"]]
    assert "takes a single label, not 2" in labels_problem(chosen, groups(vocabulary))
    with pytest.raises(ValidationError, match="takes a single label"):
        labels_validate(chosen, groups=groups(vocabulary))


def test_a_required_group_needs_a_label_unless_retired(vocabulary):
    assert "is required" in labels_problem([vocabulary["x"]], groups(vocabulary))
    vocabulary["single"].retired_at = timezone.now()
    assert labels_problem([vocabulary["x"]], groups(vocabulary)) is None


def test_several_labels_of_a_multiple_choice_group_are_fine(vocabulary):
    chosen = [vocabulary["a"], vocabulary["x"], vocabulary["y"]]
    assert labels_problem(chosen, groups(vocabulary)) is None
    labels_validate(chosen, groups=groups(vocabulary))


def test_a_retired_label_is_refused_unless_already_given(vocabulary):
    retired = vocabulary["b"]
    retired.retired_at = timezone.now()
    retired.save()
    with pytest.raises(ValidationError, match="retired"):
        labels_validate([retired], groups=groups(vocabulary))
    labels_validate([retired], kept=[retired], groups=groups(vocabulary))


# --- one snapshot ----------------------------------------------------------------------------


def test_the_history_snapshot_is_the_same_before_and_after_the_labels_are_saved(vocabulary):
    annotator = UserFactory(role="annotator")
    statement = DocumentFactory(project=ProjectFactory(annotators=[annotator])).statements.first()
    source = SourceFactory(name="KCNA")
    chosen = [vocabulary["a"], label("Bias", "biased")]  # both groups are required
    saved = annotated(statement, annotator, grades="E5", source=source, labels=chosen)
    unsaved = Annotation(
        statement=statement,
        annotator=annotator,
        source=source,
        source_mention="KCNA",
        source_reliability="E",
        info_credibility="5",
    )
    assert labelling_snapshot(saved) == labelling_snapshot(unsaved, chosen)
    assert labelling_snapshot(saved) == {
        "source": "KCNA",
        "source_mention": "KCNA",
        "source_reliability": "E",
        "info_credibility": "5",
        "labels": ["Bias: biased", "Single: a"],
        "note": "",
        "status": "submitted",
    }
    history = LabelRevision.objects.get(kind="annotation", object_id=saved.pk)
    assert history.after == labelling_snapshot(saved)
    gold = GoldLabel(statement=statement, source_reliability="B", info_credibility="2")
    assert labelling_snapshot(gold, [])["method"] == "" and "status" not in labelling_snapshot(
        gold, []
    )


def test_a_repeated_submission_has_the_same_content(vocabulary):
    annotator = UserFactory(role="annotator")
    statement = DocumentFactory(project=ProjectFactory(annotators=[annotator])).statements.first()
    chosen = [vocabulary["a"], label("Bias", "non-biased")]
    saved = annotated(statement, annotator, grades="C3", labels=chosen)
    again = Annotation(source_reliability="C", info_credibility="3")
    assert labelling_content(saved, saved.labels.all()) == labelling_content(again, chosen)
    assert labelling_content(saved, chosen[:1]) != labelling_content(again, chosen)


def test_the_annotation_form_is_a_labelling_form():
    assert issubclass(AnnotationForm, forms.ModelForm)
    assert "seen_version" in AnnotationForm.base_fields
