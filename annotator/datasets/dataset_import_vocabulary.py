"""Resolving the names a dataset file uses (label groups, labels, sources, annotators) for
dataset_import: each found, or created where the import's options allow, else refused with the
line that named it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from ..models import Label, LabelGroup, Source
from ..vocabulary.selectors import NAME_FIELDS, label_group_find
from ..vocabulary.services import bilingual_fields
from .dataset_import_checks import Names

KEY_PATTERN = re.compile(r"[-a-z0-9_]{1,100}")


@dataclass(frozen=True)
class ImportOptions:
    attach_existing_users: bool = False
    create_vocabulary: bool = False
    dry_run: bool = False


def card_entry(entries: list[dict], written: str) -> dict:
    """The card's entry (a group or a label) that a file names `written`: by key, else by a
    name in either language ({} if none)."""
    for field in ("key", *NAME_FIELDS):
        for entry in entries:
            if entry.get(field) == written:
                return entry
    return {}


def key_of(written: str) -> dict:
    """A name written in a file used as the key of the group or label it creates, when it can
    be one (a file without its card names them by key)."""
    return {"key": written} if KEY_PATTERN.fullmatch(written) else {}


def known_find(items: list, written: str):
    """vocabulary.selectors.by_key_or_name over items already read: the one whose key is
    `written`, else the only one with that name in one language (the fields in the same
    order), else None."""
    for item in items:
        if item.key == written:
            return item
    for field in NAME_FIELDS:
        matches = [item for item in items if getattr(item, field) == written]
        if len(matches) == 1:
            return matches[0]
    return None


class Vocabulary:
    """Groups, labels, sources and users as the file names them: found (groups and labels by
    key, else by a name in either language, as files from before keys name them), or created
    where the options allow (with the card's keys and names in both languages)."""

    def __init__(self, meta: dict, options: ImportOptions, file_name: str):
        self.card_groups: list[dict] = [
            group for group in meta.get("label_groups") or [] if isinstance(group, dict)
        ]
        self.meta_sources = {source["name"]: source for source in meta.get("sources") or []}
        self.options = options
        self.file_name = file_name
        self.groups: dict[str, LabelGroup] = {}
        self.labels: dict[tuple[str, str], Label] = {}
        self.labels_of: dict[int, list[Label]] = {}  # group_labels
        self.sources: dict[str, Source] = {}
        self.users: dict[str, int] = {}
        self.users_created: list[str] = []
        self.users_attached: list[str] = []
        self.created: list[str] = []
        self.matched_by_name: list[str] = []

    def resolve(self, names: Names, errors: list[str]) -> None:
        if self.options.create_vocabulary:
            named = [card_entry(self.card_groups, written) for written in names.groups]
            for entry in self.card_groups:
                if not any(entry is other for other in named):
                    names.groups.setdefault(entry.get("key") or entry["name"], 0)
            for name in self.meta_sources:
                names.sources.setdefault(name, 0)
        for name, line in sorted(names.groups.items()):
            self.group(name, line, names, errors)
        for (group, name), line in sorted(names.labels.items()):
            if group in self.groups:
                self.label(group, name, line, errors)
        for name, line in sorted(names.sources.items()):
            self.source(name, line, errors)
        for name, line in sorted(names.users.items()):
            self.user(name, line, errors)

    def refuse(self, errors: list[str], line: int, what: str) -> None:
        errors.append(
            f"{self.file_name} line {line}: {what} is not in the vocabulary (it changes only "
            "with --create-vocabulary)"
        )

    def group(self, written: str, line: int, names: Names, errors: list[str]) -> None:
        meta = card_entry(self.card_groups, written)
        group = label_group_find(written)
        if group is None and meta.get("key"):
            group = label_group_find(meta["key"])
        if group is None and not self.options.create_vocabulary:
            return self.refuse(errors, line, f"the label group “{written}”")
        if group is None:
            group = LabelGroup.objects.create(
                name=meta.get("name") or written,
                description=meta.get("description", ""),
                multiple=meta.get("multiple", written in names.multiple_groups),
                required=meta.get("required", False),
                position=meta.get("position", len(self.groups)),
                **{**key_of(written), **bilingual_fields(meta, LabelGroup)},
            )
            self.created.append(f"label group “{group.key}”")
            for label in meta.get("labels", []):
                names.labels.setdefault((written, label.get("key") or label["name"]), line)
        elif group.key != written:
            self.matched_by_name.append(f"label group “{written}” → {group.key}")
        self.groups[written] = group

    def label(self, group_written: str, written: str, line: int, errors: list[str]) -> None:
        group = self.groups[group_written]
        meta = card_entry(card_entry(self.card_groups, group_written).get("labels", []), written)
        known = self.group_labels(group)
        label = known_find(known, written)
        if label is None and meta.get("key"):
            label = known_find(known, meta["key"])
        if label is None and not self.options.create_vocabulary:
            return self.refuse(errors, line, f"the label “{group_written}: {written}”")
        if label is None:
            label = Label.objects.create(
                group=group,
                name=meta.get("name") or written,
                description=meta.get("description", ""),
                position=meta.get("position", 0),
                **{**key_of(written), **bilingual_fields(meta, Label, group=group)},
            )
            known.append(label)
            self.created.append(f"label “{group.key}: {label.key}”")
        elif label.key != written:
            self.matched_by_name.append(
                f"label “{group_written}: {written}” → {group.key}: {label.key}"
            )
        self.labels[group_written, written] = label

    def group_labels(self, group: LabelGroup) -> list[Label]:
        """The group's labels, read once per group (a label was found with up to eight
        queries, each file's label name looked up by key and by three names)."""
        if group.pk not in self.labels_of:
            self.labels_of[group.pk] = list(
                Label.objects.filter(group=group).select_related("group")
            )
        return self.labels_of[group.pk]

    def schema(self) -> list[tuple[LabelGroup, dict]]:
        """The groups of the imported project's schema, each once, with its card entry: the
        card's groups in its order, then the others the records use."""
        order = {id(entry): number for number, entry in enumerate(self.card_groups)}
        entries = sorted(
            ((written, group, card_entry(self.card_groups, written))
             for written, group in self.groups.items()),
            key=lambda item: (order.get(id(item[2]), len(order)), item[0]),
        )  # fmt: skip
        unique = {}
        for _written, group, meta in entries:
            unique.setdefault(group.pk, (group, meta))
        return list(unique.values())

    def source(self, name: str, line: int, errors: list[str]) -> None:
        source = Source.objects.filter(name=name).first()
        if source is None and not self.options.create_vocabulary:
            return self.refuse(errors, line, f"the source “{name}”")
        if source is None:
            meta = self.meta_sources.get(name, {})
            aliases = meta.get("aliases", "")
            source = Source(
                name=name,
                kind=meta.get("kind", Source.Kind.OTHER),
                country=meta.get("country", ""),
                aliases="\n".join(aliases) if isinstance(aliases, list) else aliases,
                description=meta.get("description", ""),
            )
            try:
                source.full_clean()
            except ValidationError as error:
                errors.append(f"{self.file_name} line {line}: source “{name}”: {error.messages[0]}")
                return
            source.save()
            self.created.append(f"source “{name}”")
        self.sources[name] = source

    def user(self, name: str, line: int, errors: list[str]) -> None:
        user = get_user_model().objects.filter(username=name).first()
        if user is not None and not self.options.attach_existing_users:
            errors.append(
                f"{self.file_name} line {line}: “{name}” is an existing account; labels are "
                "put under existing accounts only with --attach-existing-users"
            )
            return
        if user is None:
            user = get_user_model()(username=name, is_active=False)
            user.set_unusable_password()
            user.save()
            self.users_created.append(name)
        else:
            self.users_attached.append(name)
        self.users[name] = user.pk
