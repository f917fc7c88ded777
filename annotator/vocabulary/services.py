"""The label vocabularies, written: loaded by name, and deleted where unused or retired where in
use. A retired label or group is no longer offered for new annotations and stays on every
annotation and gold label that has it (history, exports, agreement); a retired label's date
can be cleared to offer it again."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from ..models import Label, LabelGroup, Project, ProjectLabelGroup, SchemaChange
from .selectors import (
    label_groups_in_use,
    labels_in_use,
    project_groups_in_use,
    several_labels_held,
)


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
    schema_changes_record(in_use.filter(retired_at__isnull=True), SchemaChange.Action.RETIRED)
    in_use.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    unused = groups.exclude(pk__in=in_use.values("pk"))
    deleted = [group.name for group in unused]
    schema_changes_record(unused, SchemaChange.Action.REMOVED)
    unused.delete()
    return Outcome(deleted=tuple(deleted), retired=tuple(retired))


def schema_changes_record(groups: QuerySet[LabelGroup], action: str) -> None:
    """A group retired or deleted everywhere changes the schema of every project offering it."""
    entries = ProjectLabelGroup.objects.filter(group__in=groups, retired_at__isnull=True)
    for entry in entries.select_related("project", "group"):
        schema_change_record(project=entry.project, action=action, group=entry.group)


@transaction.atomic
def label_restore(*, labels: Iterable[Label]) -> int:
    """Offer retired labels again."""
    return Label.objects.filter(pk__in=[label.pk for label in labels]).update(retired_at=None)


BILINGUAL = ("key", "name_de", "name_en", "description_de", "description_en")


def bilingual_fields(record: dict, model, **scope) -> dict:
    """The key, names and descriptions in both languages a record (a card's, a fixture's)
    gives; a key already taken (in `scope`) is left to the model to derive."""
    fields = {field: record[field] for field in BILINGUAL if record.get(field)}
    if "key" in fields and model.objects.filter(key=fields["key"], **scope).exists():
        del fields["key"]
    return fields


@transaction.atomic
def label_groups_load(*, records: Iterable[dict]) -> int:
    """Create label groups and their labels by name (with their keys, names and descriptions
    in both languages and hotkeys where given); existing ones are left as leads edited them."""
    created = 0
    for group_position, record in enumerate(records):
        group, was_created = LabelGroup.objects.get_or_create(
            name=record["name"],
            defaults={
                "description": record.get("description", ""),
                "multiple": record.get("multiple", False),
                "required": record.get("required", False),
                "position": group_position,
                **bilingual_fields(record, LabelGroup),
            },
        )
        created += was_created
        for label_position, label in enumerate(record.get("labels", [])):
            Label.objects.get_or_create(
                group=group,
                name=label["name"],
                defaults={
                    "description": label.get("description", ""),
                    "position": label_position,
                    "hotkey": label.get("hotkey"),
                    **bilingual_fields(label, Label, group=group),
                },
            )
    return created


# --- a project's schema ------------------------------------------------------------------------


def schema_change_record(
    *, project: Project, action: str, group: LabelGroup, changed_by=None, detail: str = ""
) -> SchemaChange:
    return SchemaChange.objects.create(
        project=project, action=action, group_name=group.name, changed_by=changed_by, detail=detail
    )


@transaction.atomic
def schema_entry_add(
    *,
    project: Project,
    group: LabelGroup,
    position: int | None = None,
    required: bool | None = None,
    multiple: bool | None = None,
    changed_by=None,
) -> ProjectLabelGroup:
    """Put a group into the project's schema (at the end unless `position`; `required` as the
    group defines it unless given; `multiple` None: as the group defines it); a retired entry
    is offered again."""
    entry = ProjectLabelGroup.objects.filter(project=project, group=group).first()
    if entry is not None:
        if entry.retired_at is not None:
            entry.retired_at = None
            entry.save(update_fields=["retired_at"])
            schema_change_record(
                project=project,
                action=SchemaChange.Action.RESTORED,
                group=group,
                changed_by=changed_by,
            )
        return entry
    if position is None:
        last = project.schema_entries.order_by("-position").values_list("position", flat=True)
        last = last.first()
        position = 0 if last is None else last + 1
    entry = ProjectLabelGroup.objects.create(
        project=project,
        group=group,
        position=position,
        required=group.required if required is None else required,
        multiple=multiple,
    )
    schema_change_record(
        project=project, action=SchemaChange.Action.ADDED, group=group, changed_by=changed_by
    )
    return entry


@transaction.atomic
def schema_groups_add(
    *, project: Project, groups: list[LabelGroup], required: dict | None = None, changed_by=None
) -> None:
    """Several groups in this order; `required`: by group name (None: the group's own)."""
    required = required or {}
    for position, group in enumerate(groups):
        schema_entry_add(
            project=project,
            group=group,
            position=position,
            required=required.get(group.name),
            changed_by=changed_by,
        )


def schema_from_card(
    *, project: Project, groups: list[tuple[LabelGroup, dict]], changed_by
) -> None:
    """An imported dataset's schema: its groups in this order (the card's, then the other
    groups its records use), each with its card entry's "required" and "multiple" (none: the
    group's own; a "multiple" other than the group's is the project's own)."""
    for position, (group, card_entry) in enumerate(groups):
        multiple = card_entry.get("multiple")
        schema_entry_add(
            project=project,
            group=group,
            position=position,
            required=card_entry.get("required"),
            multiple=None if multiple in (None, group.multiple) else bool(multiple),
            changed_by=changed_by,
        )


@transaction.atomic
def schema_copy(*, project: Project, source: Project | None, changed_by=None) -> int:
    """Start a project's schema from another project's (the groups it offers, their order and
    rules) or, without `source`, from the template: every label group not retired, in the
    vocabulary's order. Returns how many groups were added."""
    if source is None:
        template = [
            (group, group.required, None)
            for group in LabelGroup.objects.filter(retired_at__isnull=True)
        ]
    else:
        entries = source.schema_entries.filter(
            retired_at__isnull=True, group__retired_at__isnull=True
        ).select_related("group")
        template = [(entry.group, entry.required, entry.multiple) for entry in entries]
    added = 0
    for group, required, multiple in template:
        if not project.schema_entries.filter(group=group).exists():
            added += 1
        schema_entry_add(
            project=project,
            group=group,
            required=required,
            multiple=multiple,
            changed_by=changed_by,
        )
    return added


@transaction.atomic
def schema_entries_remove(*, entries: QuerySet[ProjectLabelGroup], changed_by=None) -> Outcome:
    """Take groups out of their projects' schemas: a group whose labels the project's
    annotations or gold labels have is retired there (kept in its history, agreement and
    exports), any other is removed. Every change is recorded with its date."""
    deleted, retired = [], []
    for entry in entries.select_related("project", "group"):
        if project_groups_in_use(entry.project).filter(pk=entry.group_id).exists():
            if entry.retired_at is None:
                entry.retired_at = timezone.now()
                entry.save(update_fields=["retired_at"])
                schema_change_record(
                    project=entry.project,
                    action=SchemaChange.Action.RETIRED,
                    group=entry.group,
                    changed_by=changed_by,
                )
            retired.append(entry.group.name)
        else:
            entry.delete()
            schema_change_record(
                project=entry.project,
                action=SchemaChange.Action.REMOVED,
                group=entry.group,
                changed_by=changed_by,
            )
            deleted.append(entry.group.name)
    return Outcome(deleted=tuple(deleted), retired=tuple(retired))


# --- single or multiple choice -----------------------------------------------------------------


def choice_change_check(item: LabelGroup | ProjectLabelGroup) -> None:
    """Refuse to save a label group (its own `multiple`) or a project's schema entry (the
    project's `multiple`) that makes the group single choice where annotations or gold labels
    already hold several of its labels: exports would join them with "|" and saving such an
    annotation again would be refused. Every path that sets `multiple` comes here: the admin's
    forms before they save, and the guard on saving either model (imports, the shell).
    Raises ValidationError on `multiple`, naming how many hold several labels."""
    if isinstance(item, ProjectLabelGroup):
        group, projects = item.group, entry_made_single(item)
    else:
        group, projects = item, group_made_single(item)
    if projects is None:
        return
    annotations, gold_labels = several_labels_held(group, projects)
    if annotations or gold_labels:
        raise ValidationError({"multiple": several_labels_message(item, annotations, gold_labels)})


def entry_made_single(entry: ProjectLabelGroup) -> QuerySet[Project] | None:
    """The entry's project if the entry makes the group single choice there (a new entry, one
    for another group, or one that was multiple choice); None if it stays single choice as it
    was, or is multiple choice."""
    if entry.multiple_choice:
        return None
    stored = ProjectLabelGroup.objects.select_related("group").filter(pk=entry.pk).first()
    unchanged = stored is not None and stored.group_id == entry.group_id
    if unchanged and not stored.multiple_choice:
        return None
    return Project.objects.filter(pk=entry.project_id)


def group_made_single(group: LabelGroup) -> QuerySet[Project] | None:
    """The projects that follow the group's own choice if the group becomes single choice
    (those whose schema makes it multiple choice keep it); None if it does not change so."""
    if group.multiple or group.pk is None:
        return None
    if not LabelGroup.objects.filter(pk=group.pk, multiple=True).exists():
        return None
    own_choice = ProjectLabelGroup.objects.filter(group=group, multiple=True)
    return Project.objects.exclude(pk__in=own_choice.values("project_id"))


def holders_phrase(annotations: int, gold_labels: int) -> str:
    """“3 annotations and 1 gold label”, in the interface language."""
    return gettext("%(annotations)s and %(gold_labels)s") % {
        "annotations": ngettext("%(n)d annotation", "%(n)d annotations", annotations)
        % {"n": annotations},
        "gold_labels": ngettext("%(n)d gold label", "%(n)d gold labels", gold_labels)
        % {"n": gold_labels},
    }


def several_labels_message(item, annotations: int, gold_labels: int) -> str:
    holders = holders_phrase(annotations, gold_labels)
    if isinstance(item, ProjectLabelGroup):
        return gettext(
            "“%(group)s” cannot become single choice in “%(project)s”: %(holders)s of this "
            "project hold several of its labels. Correct them first, or keep multiple choice."
        ) % {"group": item.group.name, "project": item.project.name, "holders": holders}
    return gettext(
        "“%(group)s” cannot become single choice: %(holders)s of the projects that follow the "
        "group's choice hold several of its labels. Correct them first, or keep multiple "
        "choice (a project's schema can make the group multiple choice for that project)."
    ) % {"group": item.name, "holders": holders}
