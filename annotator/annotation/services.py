"""Annotations, written: an annotator's save (validated, versioned, recorded in the label history,
and followed by the statement's automatic gold label) and deletes into the history."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..adjudication.services import gold_label_accept_unanimous
from ..labelling import GRADE_FIELDS, labelling_content, labels_validate
from ..models import FLAG_NOTE_MAX_LENGTH, Annotation, FlagResolution, Label, LabelGroup, Statement
from ..progress import progress_annotation_saved
from ..revisions import (
    labelling_before,
    labelling_delete_record,
    labelling_kept_labels,
    labelling_labels_set,
    labelling_version_claim,
)

# A page left open over lunch is not an hour of work: one save counts at most this long.
MAX_SECONDS_PER_SAVE = 30 * 60


class DuplicateAnnotation(Exception):
    """The annotator already has an annotation of this statement (a double click, a second
    tab, or a form error that was ignored)."""

    def __init__(self, existing: Annotation, attempted_content: tuple):
        super().__init__(f"annotation {existing.pk} exists")
        self.existing = existing
        self.same_content = labelling_content(existing, existing.labels.all()) == attempted_content


def annotation_save(
    *,
    annotation: Annotation,
    labels: Iterable[Label],
    changed_by,
    expected_version: int | None = None,
    groups: list[LabelGroup] | None = None,
    seconds_spent: int = 0,
) -> Annotation:
    """Create or update an annotation with its labels, and record the change in the history.

    A submitted annotation is complete (both grades, every required label group); a draft or a
    skip keeps whatever is filled in. `seconds_spent`: from opening the statement to this save,
    added to the annotation's time; the project's guidelines version is stored with it.

    With `expected_version` (the version the form showed), a stored annotation at another
    version raises LabellingConflict and nothing is written. `groups`: every label group,
    when the caller has read them already.

    A new annotation of a statement the annotator has annotated meanwhile (another request
    saved it first: the database's unique constraint decides the race) raises
    DuplicateAnnotation, after the save's transaction is rolled back: no savepoint around the
    INSERT, two round trips less on every save.
    """
    labels = list(labels)
    new = annotation.pk is None
    try:
        return _annotation_write(
            annotation=annotation,
            labels=labels,
            changed_by=changed_by,
            expected_version=expected_version,
            groups=groups,
            seconds_spent=seconds_spent,
        )
    except IntegrityError as error:
        existing = None
        if new:
            existing = Annotation.objects.filter(
                statement_id=annotation.statement_id, annotator_id=annotation.annotator_id
            ).first()
        if existing is None:
            raise
        raise DuplicateAnnotation(existing, labelling_content(annotation, labels)) from error


@transaction.atomic
def _annotation_write(
    *, annotation, labels, changed_by, expected_version, groups, seconds_spent
) -> Annotation:
    complete = annotation.status == Annotation.Status.SUBMITTED
    project = annotation.statement.document.project
    labels_validate(
        labels,
        kept=labelling_kept_labels(annotation),
        groups=groups,
        complete=complete,
        project=project,
    )
    stored = labelling_version_claim(annotation, expected_version)
    was_submitted = stored is not None and stored.status == Annotation.Status.SUBMITTED
    before = labelling_before(annotation, stored)
    if complete and annotation.submitted_at is None:
        annotation.submitted_at = timezone.now()
    annotation.seconds_spent = (annotation.seconds_spent or 0) + max(
        0, min(int(seconds_spent), MAX_SECONDS_PER_SAVE)
    )
    annotation.guidelines_version = project.guidelines_version
    unfilled = (
        [] if complete else [field for field in GRADE_FIELDS if not getattr(annotation, field)]
    )
    # A statement or annotator the caller loaded exists: no query to look for it again.
    loaded = [name for name in ("statement", "annotator") if name in annotation._state.fields_cache]
    annotation.full_clean(
        exclude=["labels", *loaded, *unfilled], validate_unique=False, validate_constraints=False
    )
    annotation.save()
    labelling_labels_set(labelling=annotation, labels=labels, before=before, changed_by=changed_by)
    required = progress_annotation_saved(
        statement_id=annotation.statement_id,
        annotator_id=annotation.annotator_id,
        was_submitted=was_submitted,
        is_submitted=annotation.status == Annotation.Status.SUBMITTED,
    )
    # The statement's row is locked since the counts moved: no second lock query.
    gold_label_accept_unanimous(statement_id=annotation.statement_id, locked_required=required)
    return annotation


@transaction.atomic
def annotation_delete(*, annotation: Annotation, changed_by) -> None:
    """Delete an annotation into the label history; an automatic (unanimous) gold label that
    no longer holds without it is withdrawn, as when an annotator changes theirs."""
    labelling_delete_record(labelling=annotation, changed_by=changed_by)
    statement_id = annotation.statement_id
    # The stored status, under the row's lock (the instance may be older than a last save).
    stored_status = (
        Annotation.objects.select_for_update()
        .filter(pk=annotation.pk)
        .values_list("status", flat=True)
        .first()
    )
    was_submitted = stored_status == Annotation.Status.SUBMITTED
    annotation.delete()
    required = progress_annotation_saved(
        statement_id=statement_id,
        annotator_id=annotation.annotator_id,
        was_submitted=was_submitted,
        is_submitted=False,
        deleted=True,
    )
    gold_label_accept_unanimous(statement_id=statement_id, locked_required=required)


@transaction.atomic
def annotations_delete(*, annotations: Iterable[Annotation], changed_by) -> int:
    count = 0
    # Statements locked in one order, before any count moves: no deadlock with a save.
    annotations = sorted(
        annotations, key=lambda annotation: (annotation.statement_id, annotation.pk)
    )
    statement_ids = sorted({annotation.statement_id for annotation in annotations})
    list(Statement.objects.select_for_update().filter(pk__in=statement_ids).order_by("pk"))
    for annotation in annotations:
        annotation_delete(annotation=annotation, changed_by=changed_by)
        count += 1
    return count


class FlagNotOpen(Exception):
    """The annotation carries no open flag (resolved meanwhile, or its reason was removed)."""


class FlagNoteTooLong(ValueError):
    """The lead's note is longer than FLAG_NOTE_MAX_LENGTH (after trimming)."""


@transaction.atomic
def flag_resolve(*, annotation_id: int, project, resolved_by, note: str = "") -> FlagResolution:
    """Mark the open flag of an annotation of `project` resolved. Only the resolution is
    written: the annotation's labels, status, version and time stay as the annotator left them.
    """
    note = note.strip()
    if len(note) > FLAG_NOTE_MAX_LENGTH:
        raise FlagNoteTooLong(f"note longer than {FLAG_NOTE_MAX_LENGTH} characters")
    # Locked, so that two leads resolving at once write one resolution.
    annotation = (
        Annotation.objects.in_project(project)
        .open_flags()
        .select_for_update(of=("self",))
        .filter(pk=annotation_id)
        .first()
    )
    if annotation is None:
        raise FlagNotOpen(annotation_id)
    resolution, _created = FlagResolution.objects.update_or_create(
        annotation=annotation,
        defaults={
            "skip_reason": annotation.skip_reason,
            "resolved_by": resolved_by,
            "resolved_at": timezone.now(),
            "note": note,
        },
    )
    return resolution
