"""Deletes that keep the history.

Labels and label groups in use are retired, not deleted: they disappear from the forms of new
annotations and stay on every annotation and gold label that has them (history, exports,
agreement). Unused ones are deleted. Annotations and gold labels are deleted one by one into the
label history, and a deleted annotation re-checks its statement's automatic gold label (as an
annotator's change does). Statements, documents and projects with annotations, gold labels or
history are not deleted at all (the database protects them: see the models' on_delete).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, QuerySet
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from .models import Annotation, GoldLabel, Label, LabelGroup, LabelRevision
from .services import (
    gold_label_accept_unanimous,
    gold_label_delete,
    label_revision_record,
    labelling_snapshot,
)


def labels_in_use(labels: QuerySet[Label]) -> QuerySet[Label]:
    """The labels some annotation or gold label has."""
    used_by_annotation = Annotation.labels.through.objects.filter(label=OuterRef("pk"))
    used_by_gold = GoldLabel.labels.through.objects.filter(label=OuterRef("pk"))
    return labels.filter(Exists(used_by_annotation) | Exists(used_by_gold))


def label_groups_in_use(groups: QuerySet[LabelGroup]) -> QuerySet[LabelGroup]:
    return groups.filter(pk__in=labels_in_use(Label.objects.all()).values("group_id"))


@dataclass(frozen=True)
class Outcome:
    """What a delete did: these were deleted, those (in use) retired instead."""

    deleted: tuple[str, ...]
    retired: tuple[str, ...]


@transaction.atomic
def labels_delete_or_retire(*, labels: QuerySet[Label]) -> Outcome:
    in_use = labels_in_use(labels)
    retired = [str(label) for label in in_use.select_related("group")]
    in_use.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    unused = labels.exclude(pk__in=in_use.values("pk")).select_related("group")
    deleted = [str(label) for label in unused]
    unused.delete()
    return Outcome(deleted=tuple(deleted), retired=tuple(retired))


@transaction.atomic
def label_groups_delete_or_retire(*, groups: QuerySet[LabelGroup]) -> Outcome:
    """A group with a label in use is retired (with all its labels: none can be chosen any
    more); a group none of whose labels was ever given is deleted with them."""
    in_use = label_groups_in_use(groups)
    retired = [group.name for group in in_use]
    in_use.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    unused = groups.exclude(pk__in=in_use.values("pk"))
    deleted = [group.name for group in unused]
    unused.delete()
    return Outcome(deleted=tuple(deleted), retired=tuple(retired))


@transaction.atomic
def label_restore(*, labels: Iterable[Label]) -> int:
    """Offer retired labels again."""
    return Label.objects.filter(pk__in=[label.pk for label in labels]).update(retired_at=None)


@transaction.atomic
def annotation_delete(*, annotation: Annotation, changed_by) -> None:
    """Delete an annotation into the label history; an automatic (unanimous) gold label that
    no longer holds without it is withdrawn, as when an annotator changes theirs."""
    label_revision_record(
        labelling=annotation,
        before=labelling_snapshot(annotation),
        changed_by=changed_by,
        action=LabelRevision.Action.DELETED,
    )
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


@transaction.atomic
def gold_labels_delete(*, gold_labels: Iterable[GoldLabel], changed_by) -> int:
    count = 0
    for gold in gold_labels:
        gold_label_delete(gold=gold, changed_by=changed_by)
        count += 1
    return count


# --- the guard for every other path (the shell, a cascade from a group) -------------------


@receiver(pre_delete, sender=Label, dispatch_uid="label_in_use_is_not_deleted")
def label_in_use_is_not_deleted(sender, instance: Label, **kwargs) -> None:
    """Deleting a label would silently strip it from every annotation that has it (the rows of
    the many-to-many table go with it): a label in use is retired instead, never deleted."""
    if labels_in_use(Label.objects.filter(pk=instance.pk)).exists():
        raise ProtectedError(
            f"The label “{instance}” is in use by annotations or gold labels: retire it "
            "(labels_delete_or_retire) instead of deleting it.",
            {instance},
        )
