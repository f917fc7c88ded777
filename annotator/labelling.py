"""The labelling schema: what an annotation or a gold label holds, and the rules every path
applies to it — the annotation form, the gold-label form and decisions, the admin import, the
dataset import, the exports and agreement all read them from here.

- the fields, in the order forms, exports and the history show them;
- the Admiralty grades, and that F and 6 mean "cannot be judged": agreement treats them as
  missing, never as a sixth step of the scale;
- the label rules (single choice, required groups, retired labels), checked in one place;
- the snapshot of a labelling kept in the label history, and the content that tells a repeated
  submission from a changed one.

Saving a labelling (versions, labels, history) is in `revisions`; MASI, the distance between two
label sets, is with the other agreement statistics (`agreement.statistics.masi_distance`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .compiled_queries import CompiledQuery
from .models import (
    Annotation,
    GoldLabel,
    InfoCredibility,
    Label,
    LabelGroup,
    Labelling,
    Project,
    ProjectLabelGroup,
    SourceReliability,
)

# --- the fields ------------------------------------------------------------------------------

# Every labelling's own fields besides its labels (a many-to-many), in the order they are shown.
LABELLING_FIELDS = ("source", "source_mention", "source_reliability", "info_credibility", "note")
# The same as database columns (the source as its id), for rows read without model instances.
LABELLING_COLUMNS = tuple(f"{name}_id" if name == "source" else name for name in LABELLING_FIELDS)
GRADE_FIELDS = ("source_reliability", "info_credibility")
# Where "source as written" stands in the document text (document.text[start:end] ==
# source_mention): stored with the labelling, checked by the model, exported as
# `source_mention_span` next to (not among) the fields above, so that their columns keep their
# places.
MENTION_SPAN_FIELDS = ("source_mention_start", "source_mention_end")

# --- the Admiralty grades --------------------------------------------------------------------

GRADES = {
    "source_reliability": "".join(SourceReliability.values),  # "ABCDEF"
    "info_credibility": "".join(InfoCredibility.values),  # "123456"
}
# F and 6 mean "cannot be judged", not "worst".
CANNOT_JUDGE = {
    "source_reliability": SourceReliability.F.value,
    "info_credibility": InfoCredibility.CANNOT_JUDGE.value,
}
# The ordinal scales agreement compares on (A–E, 1–5): "cannot be judged" is missing, not a step.
ORDINAL_SCALES = {
    field: [grade for grade in grades if grade != CANNOT_JUDGE[field]]
    for field, grades in GRADES.items()
}


def is_judged(field: str, grade: str | None) -> bool:
    """Does the grade place the statement on the field's ordinal scale (not F, 6 or empty)?"""
    return grade in ORDINAL_SCALES[field]


# --- the labels ------------------------------------------------------------------------------


# A project's schema entries with their groups, read on every form and save: compiled once (see
# compiled_queries).
_PROJECT_SCHEMA = CompiledQuery(
    lambda project_id: (
        ProjectLabelGroup.objects.filter(project_id=project_id)
        .select_related("group")
        .order_by("position", "id")
    ),
    project_id=-918_273_643,
)


def project_label_groups(
    project: Project | None, *, offered_only: bool = False
) -> list[LabelGroup]:
    """The label groups of a project's schema, in its order, each carrying the project's rules:
    `position` and `required` from the project's entry, `multiple` the entry's where it sets
    one (else the group's own), `retired_at` the entry's (or the group's own, if retired
    everywhere). Retired entries are included (their labels stay in
    agreement, exports and the history) unless `offered_only`. The groups are read for this
    use only: never save them. Without a project (a gold label added by hand, before its
    statement is known): every group, as the vocabulary defines it."""
    if project is None:
        groups = list(LabelGroup.objects.order_by("position", "name"))
    else:
        groups = []
        for entry in _PROJECT_SCHEMA.all(project_id=project.pk):
            group = entry.group
            group.position = entry.position
            group.required = entry.required
            group.multiple = entry.multiple_choice
            group.retired_at = entry.retired_at or group.retired_at
            group.schema_entry = entry
            groups.append(group)
    if offered_only:
        groups = [group for group in groups if group.retired_at is None]
    return groups


def labelling_project(labelling: Labelling) -> Project | None:
    """The project whose schema an annotation or gold label follows."""
    if not labelling.statement_id:
        return None
    return Project.objects.filter(documents__statements=labelling.statement_id).first()


def label_groups_offered(project: Project | None = None) -> list[LabelGroup]:
    """The groups a project's form offers, in the schema's order: retired ones are not."""
    return project_label_groups(project, offered_only=True)


def labels_problem(
    labels: Iterable[Label], groups: Iterable[LabelGroup], complete: bool = True
) -> str | None:
    """What is wrong with this choice of labels under the groups' rules, or None: a single-choice
    group takes one label, a required group (not retired) at least one (unless the labelling is
    not `complete`: a draft or a skip)."""
    labels = list(labels)
    for group in groups:
        chosen = [label for label in labels if label.group_id == group.pk]
        if not group.multiple and len(chosen) > 1:
            return _("“%(group)s” takes a single label, not %(count)d.") % {
                "group": group.display_name,
                "count": len(chosen),
            }
        if complete and group.required and group.retired_at is None and not chosen:
            return _("“%(group)s” is required.") % {"group": group.display_name}
    return None


def labels_validate(
    labels: Iterable[Label],
    kept: Iterable[Label] = (),
    groups: list[LabelGroup] | None = None,
    complete: bool = True,
    project: Project | None = None,
) -> None:
    """Raise ValidationError unless the labels may be given: the group rules above, no label
    outside the project's schema, and no retired label or group unless it is among `kept`, the
    labels the annotation or gold label already has (a re-save keeps what was given before the
    label was retired). `groups`: read once by a caller that validates many rows (default: the
    project's schema, or every group without a project)."""
    labels = list(labels)
    kept_ids = {label.pk for label in kept}
    groups = project_label_groups(project) if groups is None else groups
    in_schema = {group.pk for group in groups}
    retired_groups = {group.pk for group in groups if group.retired_at is not None}
    for label in labels:
        if label.pk in kept_ids:
            continue
        if label.group_id not in in_schema:
            raise ValidationError(
                _("“%(label)s” is not part of this project's label schema.") % {"label": label}
            )
        if label.retired_at is not None or label.group_id in retired_groups:
            raise ValidationError(
                _("“%(label)s” is retired and can no longer be chosen.") % {"label": label}
            )
    problem = labels_problem(labels, groups, complete=complete)
    if problem:
        raise ValidationError(problem)


# --- what a labelling says -------------------------------------------------------------------


def labelling_snapshot(
    labelling: Labelling,
    labels: Iterable[Label] | None = None,
    label_names: list[str] | None = None,
) -> dict:
    """The label fields as plain JSON, for the label history. `labels`: for a labelling whose
    labels are not saved yet (default: the stored ones). `label_names`: their names as the
    snapshot lists them (snapshot_label_names), from a caller that snapshots thousands of
    labellings sharing a few choices of labels (the dataset import)."""
    if label_names is None:
        if labels is None:
            labels = labelling.labels.select_related("group") if labelling.pk else []
        label_names = snapshot_label_names(labels)
    snapshot = {
        "source": labelling.source.name if labelling.source_id else None,
        "source_mention": labelling.source_mention,
        "source_reliability": labelling.source_reliability,
        "info_credibility": labelling.info_credibility,
        "labels": label_names,
        "note": labelling.note,
    }
    if labelling.source_mention_start is not None:
        snapshot["source_mention_span"] = [
            labelling.source_mention_start,
            labelling.source_mention_end,
        ]
    if isinstance(labelling, Annotation):
        snapshot["status"] = labelling.status
        if labelling.skip_reason:
            snapshot["skip_reason"] = labelling.skip_reason
    if isinstance(labelling, GoldLabel):
        snapshot.update(method=labelling.method, rationale=labelling.rationale)
    return snapshot


def snapshot_label_names(labels: Iterable[Label]) -> list[str]:
    """How a label history snapshot lists labels: "group: label", sorted."""
    return sorted(str(label) for label in labels)


def labelling_content(labelling: Labelling, labels: Iterable[Label]) -> tuple:
    """What the annotator or lead decided, for telling a repeated submission from a changed
    one."""
    return (
        labelling.source_id,
        labelling.source_mention,
        labelling.source_mention_start,
        labelling.source_mention_end,
        labelling.source_reliability,
        labelling.info_credibility,
        frozenset(label.pk for label in labels),
        labelling.note,
    )
