"""Reads of the vocabularies: which labels and label groups annotations or gold labels use (those
are retired, never deleted)."""

from django.db.models import Exists, OuterRef, QuerySet

from ..models import Annotation, GoldLabel, Label, LabelGroup


def labels_in_use(labels: QuerySet[Label]) -> QuerySet[Label]:
    """The labels some annotation or gold label has."""
    used_by_annotation = Annotation.labels.through.objects.filter(label=OuterRef("pk"))
    used_by_gold = GoldLabel.labels.through.objects.filter(label=OuterRef("pk"))
    return labels.filter(Exists(used_by_annotation) | Exists(used_by_gold))


def label_groups_in_use(groups: QuerySet[LabelGroup]) -> QuerySet[LabelGroup]:
    return groups.filter(pk__in=labels_in_use(Label.objects.all()).values("group_id"))
