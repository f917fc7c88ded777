"""Reads of the vocabularies: which labels and label groups annotations or gold labels use (those
are retired, never deleted)."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ..labelling import label_groups_offered
from ..models import Annotation, GoldLabel, Label, LabelGroup, Project, SchemaChange
from .hotkeys import hotkeys_assign


def labels_in_use(labels: QuerySet[Label]) -> QuerySet[Label]:
    """The labels some annotation or gold label has."""
    used_by_annotation = Annotation.labels.through.objects.filter(label=OuterRef("pk"))
    used_by_gold = GoldLabel.labels.through.objects.filter(label=OuterRef("pk"))
    return labels.filter(Exists(used_by_annotation) | Exists(used_by_gold))


def labels_holders(labels: QuerySet[Label]) -> tuple[int, int]:
    """How many annotations and how many gold labels have one of these labels or more."""
    annotations = Annotation.objects.filter(labels__in=labels).distinct().count()
    return annotations, GoldLabel.objects.filter(labels__in=labels).distinct().count()


def label_groups_in_use(groups: QuerySet[LabelGroup]) -> QuerySet[LabelGroup]:
    return groups.filter(pk__in=labels_in_use(Label.objects.all()).values("group_id"))


def project_groups_in_use(project: Project) -> QuerySet[LabelGroup]:
    """The label groups of which the project's annotations or gold labels have a label."""
    given = Label.objects.filter(
        Q(annotations__statement__document__project=project)
        | Q(goldlabels__statement__document__project=project)
    )
    return LabelGroup.objects.filter(pk__in=given.values("group_id"))


def several_labels_held(group: LabelGroup, projects: QuerySet[Project]) -> tuple[int, int]:
    """How many annotations and how many gold labels of these projects hold more than one
    label of the group (what a single-choice group cannot hold)."""

    def count(model) -> int:
        of_group = Count("labels", filter=Q(labels__group=group))
        return (
            model.objects.filter(statement__document__project__in=projects)
            .annotate(of_group=of_group)
            .filter(of_group__gt=1)
            .count()
        )

    return count(Annotation), count(GoldLabel)


def schema_changes_since_start(project: Project) -> QuerySet[SchemaChange]:
    """The schema changes made after the project's first annotation was saved: agreement
    figures across them are not comparable."""
    first = (
        Annotation.objects.filter(statement__document__project=project)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return SchemaChange.objects.none()
    return SchemaChange.objects.filter(project=project, changed_at__gt=first).order_by(
        "changed_at", "id"
    )


# --- hotkeys -----------------------------------------------------------------------------------


def schema_hotkeys(project: Project, reserved: frozenset[str] = frozenset()) -> dict[int, str]:
    """{label id: key} for every label the project's form offers, in the form's order (the
    schema's groups, each group's labels), without conflicts (hotkeys_assign)."""
    groups = label_groups_offered(project)
    order = {group.pk: number for number, group in enumerate(groups)}
    labels = sorted(
        Label.objects.filter(group_id__in=order, retired_at__isnull=True).values_list(
            "pk", "group_id", "position", "name", "hotkey"
        ),
        key=lambda row: (order[row[1]], row[2], row[3]),
    )
    return hotkeys_assign(
        [(pk, hotkey, name) for pk, _group, _position, name, hotkey in labels], reserved
    )


# --- finding a group or label as a file names it ---------------------------------------------

NAME_FIELDS = ("name", "name_en", "name_de")


def by_key_or_name(items: QuerySet, written: str):
    """The group or label (in `items`) a file names `written`: by its key (exports name them by
    key), failing that by a name in either language (files written before keys existed); None
    if neither. A name shared by two items is not a match. Whether it was found by key is
    `item.key == written`."""
    found = items.filter(key=written).first()
    if found is not None:
        return found
    for field in NAME_FIELDS:
        matches = list(items.filter(**{field: written})[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def label_group_find(written: str) -> LabelGroup | None:
    return by_key_or_name(LabelGroup.objects.all(), written)


def label_find(group: LabelGroup, written: str) -> Label | None:
    return by_key_or_name(Label.objects.filter(group=group).select_related("group"), written)
