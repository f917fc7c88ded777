"""The label vocabularies, written: loaded by name, and deleted where unused or retired where in
use. A retired label or group is no longer offered for new annotations and stays on every
annotation and gold label that has it (history, exports, agreement); a retired label's date
can be cleared to offer it again."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import Label, LabelGroup
from .selectors import label_groups_in_use, labels_in_use


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
def label_groups_load(*, records: Iterable[dict]) -> int:
    """Create label groups and their labels by name; existing ones are left as leads edited them."""
    created = 0
    for group_position, record in enumerate(records):
        group, was_created = LabelGroup.objects.get_or_create(
            name=record["name"],
            defaults={
                "description": record.get("description", ""),
                "multiple": record.get("multiple", False),
                "required": record.get("required", False),
                "position": group_position,
            },
        )
        created += was_created
        for label_position, label in enumerate(record.get("labels", [])):
            Label.objects.get_or_create(
                group=group,
                name=label["name"],
                defaults={"description": label.get("description", ""), "position": label_position},
            )
    return created
