"""Resolving the names a dataset file uses (label groups, labels, sources, annotators) for
dataset_import: each found, or created where the import's options allow, else refused with the
line that named it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from ..models import Label, LabelGroup, Source
from ..vocabulary.services import bilingual_fields
from .dataset_import_checks import Names


@dataclass(frozen=True)
class ImportOptions:
    attach_existing_users: bool = False
    create_vocabulary: bool = False
    dry_run: bool = False


class Vocabulary:
    """Groups, labels, sources and users by name: found, or created where the options allow."""

    def __init__(self, meta: dict, options: ImportOptions, file_name: str):
        self.meta_groups = {group["name"]: group for group in meta.get("label_groups") or []}
        self.meta_sources = {source["name"]: source for source in meta.get("sources") or []}
        self.options = options
        self.file_name = file_name
        self.groups: dict[str, LabelGroup] = {}
        self.labels: dict[tuple[str, str], Label] = {}
        self.sources: dict[str, Source] = {}
        self.users: dict[str, int] = {}
        self.users_created: list[str] = []
        self.users_attached: list[str] = []
        self.created: list[str] = []

    def resolve(self, names: Names, errors: list[str]) -> None:
        if self.options.create_vocabulary:
            for name in self.meta_groups:
                names.groups.setdefault(name, 0)
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

    def group(self, name: str, line: int, names: Names, errors: list[str]) -> None:
        group = LabelGroup.objects.filter(name=name).first()
        if group is None and not self.options.create_vocabulary:
            return self.refuse(errors, line, f"the label group “{name}”")
        if group is None:
            meta = self.meta_groups.get(name, {})
            group = LabelGroup.objects.create(
                name=name,
                description=meta.get("description", ""),
                multiple=meta.get("multiple", name in names.multiple_groups),
                required=meta.get("required", False),
                position=meta.get("position", len(self.groups)),
                **bilingual_fields(meta, LabelGroup),
            )
            self.created.append(f"label group “{name}”")
            for label in meta.get("labels", []):
                names.labels.setdefault((name, label["name"]), line)
        self.groups[name] = group

    def label(self, group: str, name: str, line: int, errors: list[str]) -> None:
        label = (
            Label.objects.select_related("group")
            .filter(group=self.groups[group], name=name)
            .first()
        )
        if label is None and not self.options.create_vocabulary:
            return self.refuse(errors, line, f"the label “{group}: {name}”")
        if label is None:
            meta = next(
                (item for item in self.meta_groups.get(group, {}).get("labels", [])
                 if item["name"] == name), {}
            )  # fmt: skip
            label = Label.objects.create(
                group=self.groups[group],
                name=name,
                description=meta.get("description", ""),
                position=meta.get("position", 0),
                **bilingual_fields(meta, Label, group=self.groups[group]),
            )
            self.created.append(f"label “{group}: {name}”")
        self.labels[group, name] = label

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
