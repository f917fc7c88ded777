"""Annotations, written: an annotator's save (validated, versioned, recorded in the label history,
and followed by the statement's automatic gold label) and deletes into the history."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..adjudication.services import gold_label_accept_unanimous
from ..labelling import labelling_content, labelling_project, labels_validate
from ..models import Annotation, Label
from ..revisions import (
    labelling_before,
    labelling_delete_record,
    labelling_kept_labels,
    labelling_labels_set,
    labelling_version_claim,
)


class DuplicateAnnotation(Exception):
    """The annotator already has an annotation of this statement (a double click, a second
    tab, or a form error that was ignored)."""

    def __init__(self, existing: Annotation, attempted_content: tuple):
        super().__init__(f"annotation {existing.pk} exists")
        self.existing = existing
        self.same_content = labelling_content(existing, existing.labels.all()) == attempted_content


@transaction.atomic
def annotation_save(
    *,
    annotation: Annotation,
    labels: Iterable[Label],
    changed_by,
    expected_version: int | None = None,
) -> Annotation:
    """Create or update an annotation with its labels, and record the change in the history.

    With `expected_version` (the version the form showed), a stored annotation at another
    version raises LabellingConflict and nothing is written.
    """
    labels = list(labels)
    labels_validate(
        labels, kept=labelling_kept_labels(annotation), project=labelling_project(annotation)
    )
    labelling_version_claim(annotation, expected_version)
    before = labelling_before(annotation)
    if annotation.status == Annotation.Status.SUBMITTED and annotation.submitted_at is None:
        annotation.submitted_at = timezone.now()
    annotation.full_clean(exclude=["labels"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            annotation.save()
    except IntegrityError as error:
        # Another request of the same annotator saved this statement first (the database's
        # unique constraint decided the race).
        existing = Annotation.objects.filter(
            statement_id=annotation.statement_id, annotator_id=annotation.annotator_id
        ).first()
        if existing is None:
            raise
        raise DuplicateAnnotation(existing, labelling_content(annotation, labels)) from error
    labelling_labels_set(labelling=annotation, labels=labels, before=before, changed_by=changed_by)
    gold_label_accept_unanimous(statement_id=annotation.statement_id)
    return annotation


@transaction.atomic
def annotation_delete(*, annotation: Annotation, changed_by) -> None:
    """Delete an annotation into the label history; an automatic (unanimous) gold label that
    no longer holds without it is withdrawn, as when an annotator changes theirs."""
    labelling_delete_record(labelling=annotation, changed_by=changed_by)
    statement_id = annotation.statement_id
    annotation.delete()
    gold_label_accept_unanimous(statement_id=statement_id)


@transaction.atomic
def annotations_delete(*, annotations: Iterable[Annotation], changed_by) -> int:
    count = 0
    for annotation in annotations:
        annotation_delete(annotation=annotation, changed_by=changed_by)
        count += 1
    return count
