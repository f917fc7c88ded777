"""Saving any labelling (an annotation or a gold label): the version it must be at, its labels,
and the label history that keeps every change. Used by the annotation and gold-label services;
nothing here decides *what* is saved (that is the schema, `labelling`, and the services)."""

from __future__ import annotations

from .labelling import labelling_snapshot
from .models import Annotation, Label, Labelling, LabelRevision


class LabellingConflict(Exception):
    """The annotation or gold label changed since the form showed it (another tab, another
    lead): saving would overwrite that change unseen."""

    def __init__(self, stored: Labelling):
        super().__init__(f"{type(stored).__name__} {stored.pk} is at version {stored.version}")
        self.stored = stored


def labelling_version_claim(labelling: Labelling, expected_version: int | None):
    """Compare and set, under the row's lock: the stored version must be the one the form
    showed; the save then writes the next version. Returns the stored row (None: new)."""
    if labelling.pk is None:
        labelling.version = 1
        return None
    stored = type(labelling).objects.select_for_update().filter(pk=labelling.pk).first()
    if stored is None:
        return None
    if expected_version is not None and stored.version != expected_version:
        raise LabellingConflict(stored)
    labelling.version = stored.version + 1
    return stored


def labelling_before(labelling: Labelling, stored: Labelling | None = None) -> dict | None:
    """The stored labels before this save (None for a new annotation or gold label).
    `stored`: the row labelling_version_claim already read."""
    if labelling.pk is None:
        return None
    return labelling_snapshot(stored or type(labelling).objects.get(pk=labelling.pk))


def labelling_kept_labels(labelling: Labelling) -> list[Label]:
    """The labels the labelling already has (a retired one among them may stay)."""
    if labelling.pk is None:
        return []
    return list(Label.objects.filter(**{f"{type(labelling).__name__.lower()}s": labelling.pk}))


def label_revision_record(
    *, labelling: Labelling, before: dict | None, changed_by, action: str, labels=None
) -> LabelRevision | None:
    """One entry of the label history (none when nothing changed). `labels`: the labels just
    saved (default: read them)."""
    deleted = action == LabelRevision.Action.DELETED
    after = None if deleted else labelling_snapshot(labelling, labels)
    if before == after:
        return None
    is_annotation = isinstance(labelling, Annotation)
    return LabelRevision.objects.create(
        kind=LabelRevision.Kind.ANNOTATION if is_annotation else LabelRevision.Kind.GOLD,
        object_id=labelling.pk,
        statement_id=labelling.statement_id,
        annotator_id=labelling.annotator_id if is_annotation else None,
        changed_by=changed_by,
        action=action,
        before=before,
        after=after,
    )


def labelling_labels_set(
    *, labelling: Labelling, labels: list[Label], before: dict | None, changed_by
) -> None:
    """Set the saved labelling's labels and record the change in the label history."""
    if before is None:
        labelling.labels.add(*labels)  # a new labelling has none: nothing to read first
    else:
        labelling.labels.set(labels)
    label_revision_record(
        labelling=labelling,
        before=before,
        changed_by=changed_by,
        action=LabelRevision.Action.CREATED if before is None else LabelRevision.Action.CHANGED,
        labels=labels,
    )


def labelling_delete_record(*, labelling: Labelling, changed_by) -> None:
    """Record a labelling's deletion in the history (before it is deleted)."""
    label_revision_record(
        labelling=labelling,
        before=labelling_snapshot(labelling),
        changed_by=changed_by,
        action=LabelRevision.Action.DELETED,
    )
