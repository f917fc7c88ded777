"""Import a dataset export back (`python manage.py import_dataset PATH`): the jsonl data, its
``PATH.documents.jsonl`` and, if present, its card ``PATH.card.md``.

Into an empty database (or one without the project) this reproduces the documents, statements
with their offsets and attribution suggestions, submitted annotations and gold labels. Users are
created by their exported names as inactive placeholders without a password; sources, label
groups and labels are found or created by name (with the card's kinds, descriptions and
single/multiple choice; without the card a group is multiple choice when its values are lists).

All or nothing: every line is checked (offsets, grades, label group rules, references) and the
whole import runs in one transaction; a bad line stops it with its line number and reason.
Rows are written in batches with bulk inserts, and every annotation and gold label gets its
"created" entry in the label history, as the services record it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from . import services
from .dataset_card import card_front_matter
from .exporting import BATCH, batched, companion_names
from .models import (
    Annotation,
    Document,
    GoldLabel,
    InfoCredibility,
    Label,
    LabelGroup,
    LabelRevision,
    Project,
    Source,
    SourceReliability,
    Statement,
)

MAX_ERRORS = 50
REQUIRED_KEYS = ("document_id", "position", "text", "start", "end", "annotations", "gold")


class DatasetImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportSummary:
    project: Project
    documents: int = 0
    statements: int = 0
    annotations: int = 0
    gold_labels: int = 0
    users_created: list[str] = field(default_factory=list)


def jsonl_lines(path: Path, errors: list[str]) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                errors.append(f"{path.name} line {number}: not JSON ({error.msg})")
                continue
            if not isinstance(record, dict):
                errors.append(f"{path.name} line {number}: not a JSON object")
                continue
            yield number, record


class Vocabulary:
    """Groups, labels, sources and users by name, created where missing."""

    def __init__(self, meta: dict):
        self.meta_groups = {group["name"]: group for group in meta.get("label_groups") or []}
        self.meta_sources = {source["name"]: source for source in meta.get("sources") or []}
        self.groups: dict[str, LabelGroup] = {}
        self.labels: dict[tuple[str, str], Label] = {}
        self.sources: dict[str, Source] = {}
        self.users: dict[str, int] = {}
        self.users_created: list[str] = []

    def collect(self, path: Path, errors: list[str]) -> None:
        """First pass: every name the data uses, created before any row is written."""
        seen_groups: dict[str, bool] = {}
        label_names: set[tuple[str, str]] = set()
        source_names: set[str] = set()
        people: set[str] = set()
        for number, record in jsonl_lines(path, errors):
            missing = [key for key in REQUIRED_KEYS if key not in record]
            if missing:
                errors.append(f"{path.name} line {number}: missing {', '.join(missing)}")
                continue
            source_names.add(record.get("suggested_source"))
            for labelling in labellings(record):
                source_names.add(labelling.get("source"))
                people.add(labelling.get("annotator") or labelling.get("decided_by"))
                for group, value in (labelling.get("labels") or {}).items():
                    multiple = isinstance(value, list)
                    seen_groups[group] = seen_groups.get(group, False) or multiple
                    names = value if multiple else [value] if value else []
                    label_names.update((group, str(name)) for name in names)
        for group in [*self.meta_groups, *seen_groups]:
            self.group(group, multiple=seen_groups.get(group, False))
        for group, name in sorted(label_names):
            self.label(group, name)
        for name in sorted(self.meta_sources.keys() | (source_names - {None})):
            self.source(name)
        for name in sorted(people - {None, ""}):
            self.user(name)

    def group(self, name: str, *, multiple: bool) -> LabelGroup:
        if name not in self.groups:
            meta = self.meta_groups.get(name, {})
            group, _ = LabelGroup.objects.get_or_create(
                name=name,
                defaults={
                    "description": meta.get("description", ""),
                    "multiple": meta.get("multiple", multiple),
                    "required": meta.get("required", False),
                    "position": meta.get("position", len(self.groups)),
                },
            )
            self.groups[name] = group
            for label in meta.get("labels", []):
                self.label(name, label["name"], label)
        return self.groups[name]

    def label(self, group: str, name: str, meta: dict | None = None) -> Label:
        if (group, name) not in self.labels:
            meta = meta or {}
            self.labels[group, name], _ = Label.objects.get_or_create(
                group=self.groups[group],
                name=name,
                defaults={
                    "description": meta.get("description", ""),
                    "position": meta.get("position", 0),
                },
            )
        return self.labels[group, name]

    def source(self, name: str) -> Source:
        meta = self.meta_sources.get(name, {})
        aliases = meta.get("aliases", "")
        self.sources[name], _ = Source.objects.get_or_create(
            name=name,
            defaults={
                "kind": meta.get("kind", Source.Kind.OTHER),
                "country": meta.get("country", ""),
                "aliases": "\n".join(aliases) if isinstance(aliases, list) else aliases,
                "description": meta.get("description", ""),
            },
        )
        return self.sources[name]

    def user(self, name: str) -> int:
        user, created = get_user_model().objects.get_or_create(
            username=name, defaults={"is_active": False}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            self.users_created.append(name)
        self.users[name] = user.pk
        return user.pk


def labels_problem(labels: list[Label], groups: list[LabelGroup]) -> str | None:
    """services.labels_validate's rules, on groups read once instead of once per row."""
    for group in groups:
        chosen = [label for label in labels if label.group_id == group.pk]
        if not group.multiple and len(chosen) > 1:
            return f"“{group.name}” takes a single label, not {len(chosen)}."
        if group.required and not chosen:
            return f"“{group.name}” is required."
    return None


def snapshot(labelling, labels: list[Label]) -> dict:
    """services.labelling_snapshot for an object whose labels are not saved yet."""
    data = {
        "source": labelling.source.name if labelling.source_id else None,
        "source_mention": labelling.source_mention,
        "source_reliability": labelling.source_reliability,
        "info_credibility": labelling.info_credibility,
        "labels": sorted(f"{label.group.name}: {label.name}" for label in labels),
        "note": labelling.note,
    }
    if isinstance(labelling, Annotation):
        data["status"] = labelling.status
    else:
        data.update(method=labelling.method, rationale=labelling.rationale)
    return data


def labellings(record: dict) -> list[dict]:
    annotations = record.get("annotations") or []
    gold = record.get("gold")
    return [*[a for a in annotations if isinstance(a, dict)], *([gold] if gold else [])]


def documents_load(
    project: Project, path: Path, errors: list[str]
) -> dict[int, tuple[Document, set]]:
    documents = {}
    for number, record in jsonl_lines(path, errors):
        document = Document(
            project=project,
            title=record.get("title") or "",
            text=record.get("text") or "",
            language=record.get("language") or "",
            url=record.get("url") or "",
            place=record.get("place") or "",
            published_at=parse_date(record["published_at"]) if record.get("published_at") else None,
            outlet=record.get("outlet") or "",
            listed_sources=record.get("listed_sources") or "",
            external_id=record.get("external_id") or "",
            content_hash=services.content_hash(record.get("title") or "", record.get("text") or ""),
        )
        try:
            document.full_clean(exclude=["project"], validate_constraints=False)
        except ValidationError as error:
            errors.append(f"{path.name} line {number}: {'; '.join(error.messages)}")
            continue
        if not errors:
            document.save()
        documents[record.get("id")] = (document, set())
    return documents


class RecordWriter:
    """Checks each statement record and writes a batch of them with bulk inserts."""

    def __init__(self, *, project, vocabulary: Vocabulary, documents: dict, changed_by):
        self.project = project
        self.vocabulary = vocabulary
        self.documents = documents
        self.changed_by = changed_by
        self.groups = list(LabelGroup.objects.all())
        self.counts = {"statements": 0, "annotations": 0, "gold_labels": 0}
        self.annotators: set[int] = set()

    # --- checks --------------------------------------------------------------------------

    def statement(self, record: dict) -> Statement:
        entry = self.documents.get(record["document_id"])
        if entry is None:
            raise ValidationError(f"document {record['document_id']} is not in the documents file")
        document, positions = entry
        start, end, text = record["start"], record["end"], record["text"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ValidationError(f"offsets {start}–{end} are not a span")
        if document.text[start:end] != text:
            raise ValidationError(
                f"text does not match the document at {start}–{end}: document.text[start:end] "
                "must equal text"
            )
        if record["position"] in positions:
            raise ValidationError(f"position {record['position']} appears twice in the document")
        positions.add(record["position"])
        cue = record.get("suggested_cue_span") or [None, None]
        mention = record.get("suggested_mention_span") or [None, None]
        suggested = record.get("suggested_source")
        return Statement(
            document=document,
            position=record["position"],
            paragraph=record.get("paragraph") or 0,
            text=text,
            start=start,
            end=end,
            suggested_source=self.vocabulary.sources[suggested] if suggested else None,
            suggested_mention=record.get("suggested_mention") or "",
            suggested_cue=record.get("suggested_cue") or "",
            suggested_cue_start=cue[0],
            suggested_cue_end=cue[1],
            suggested_mention_start=mention[0],
            suggested_mention_end=mention[1],
        )

    def labelling(self, data: dict, instance, what: str) -> list[Label]:
        reliability, credibility = data.get("source_reliability"), data.get("info_credibility")
        if reliability not in SourceReliability.values:
            raise ValidationError(f"{what}: source_reliability {reliability!r} is not one of A–F")
        if credibility not in InfoCredibility.values:
            raise ValidationError(f"{what}: info_credibility {credibility!r} is not one of 1–6")
        labels = []
        for group_name, value in (data.get("labels") or {}).items():
            names = value if isinstance(value, list) else [value] if value else []
            labels += [self.vocabulary.labels[group_name, str(name)] for name in names]
        problem = labels_problem(labels, self.groups)
        if problem:
            raise ValidationError(f"{what}: {problem}")
        source = data.get("source")
        instance.source = self.vocabulary.sources[source] if source else None
        instance.source_mention = data.get("source_mention") or ""
        instance.source_reliability = reliability
        instance.info_credibility = credibility
        instance.note = data.get("note") or ""
        return labels

    def annotations(self, record: dict, statement: Statement) -> list[tuple[Annotation, list]]:
        result, seen = [], set()
        for data in record["annotations"]:
            name = data.get("annotator")
            if not name:
                raise ValidationError("an annotation without annotator")
            if name in seen:
                raise ValidationError(f"two annotations by {name}")
            seen.add(name)
            submitted_at = data.get("submitted_at")
            annotation = Annotation(
                statement=statement,
                annotator_id=self.vocabulary.users[name],
                status=Annotation.Status.SUBMITTED,
                submitted_at=parse_datetime(submitted_at) if submitted_at else None,
            )
            result.append((annotation, self.labelling(data, annotation, f"annotation by {name}")))
        return result

    def gold(self, record: dict, statement: Statement) -> tuple[GoldLabel, list] | None:
        data = record["gold"]
        if not data:
            return None
        if data.get("method") not in GoldLabel.Method.values:
            raise ValidationError(f"gold label: method {data.get('method')!r} is not known")
        decided_by = data.get("decided_by")
        gold = GoldLabel(
            statement=statement,
            method=data["method"],
            decided_by_id=self.vocabulary.users[decided_by] if decided_by else None,
            rationale=data.get("rationale") or "",
        )
        return gold, self.labelling(data, gold, "gold label")

    # --- writes --------------------------------------------------------------------------

    def write(self, rows: list[tuple[Statement, list, tuple | None]]) -> None:
        Statement.objects.bulk_create([statement for statement, _a, _g in rows])
        for statement, pairs, gold in rows:
            for annotation, _labels in pairs:
                annotation.statement_id = statement.pk
            if gold:
                gold[0].statement_id = statement.pk
        annotations = [pair for _s, pairs, _g in rows for pair in pairs]
        golds = [gold for _s, _a, gold in rows if gold]
        self.bulk_labelled(Annotation, annotations, "annotation_id")
        self.bulk_labelled(GoldLabel, golds, "goldlabel_id")
        self.annotators.update(annotation.annotator_id for annotation, _l in annotations)
        self.counts["statements"] += len(rows)
        self.counts["annotations"] += len(annotations)
        self.counts["gold_labels"] += len(golds)

    def bulk_labelled(self, model, pairs: list[tuple], owner_column: str) -> None:
        model.objects.bulk_create([instance for instance, _labels in pairs])
        through = model.labels.through
        through.objects.bulk_create(
            through(**{owner_column: instance.pk}, label_id=label.pk)
            for instance, labels in pairs
            for label in labels
        )
        is_annotation = model is Annotation
        LabelRevision.objects.bulk_create(
            LabelRevision(
                kind=LabelRevision.Kind.ANNOTATION if is_annotation else LabelRevision.Kind.GOLD,
                object_id=instance.pk,
                statement_id=instance.statement_id,
                annotator_id=instance.annotator_id if is_annotation else None,
                changed_by=self.changed_by,
                action=LabelRevision.Action.CREATED,
                after=snapshot(instance, labels),
            )
            for instance, labels in pairs
        )


def project_create(name: str, meta: dict) -> Project:
    if Project.objects.filter(name=name).exists():
        raise DatasetImportError(
            [
                f"A project “{name}” already exists: import into an empty database or pass "
                "--project with another name."
            ]  # fmt: skip
        )
    fields = meta.get("project") or {}
    project = Project(
        name=name,
        description=fields.get("description", ""),
        guidelines=fields.get("guidelines", ""),
        guidelines_version=fields.get("guidelines_version", "1.0"),
        annotations_per_statement=fields.get("annotations_per_statement", 3),
    )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def dataset_import(
    *, path: Path, project_name: str | None = None, changed_by=None
) -> ImportSummary:
    documents_name, card_name = companion_names(path.name)
    documents_path, card_path = path.parent / documents_name, path.parent / card_name
    meta = card_front_matter(card_path.read_text("utf-8")) if card_path.exists() else {}
    if not documents_path.exists():
        raise DatasetImportError([f"{documents_name} is missing: it holds the document texts."])
    name = project_name or (meta.get("project") or {}).get("name")
    if not name:
        raise DatasetImportError(["No project name: pass --project (the card has none)."])
    project = project_create(name, meta)
    errors: list[str] = []
    vocabulary = Vocabulary(meta)
    vocabulary.collect(path, errors)
    documents = documents_load(project, documents_path, errors)
    writer = RecordWriter(
        project=project, vocabulary=vocabulary, documents=documents, changed_by=changed_by
    )
    for batch in batched(jsonl_lines(path, errors), BATCH):
        rows = []
        for number, record in batch:
            try:
                statement = writer.statement(record)
                rows.append((statement, writer.annotations(record, statement),
                             writer.gold(record, statement)))  # fmt: skip
            except (ValidationError, KeyError, TypeError, AttributeError) as error:
                reason = " ".join(getattr(error, "messages", [])) or f"bad value ({error!r})"
                errors.append(f"{path.name} line {number}: {reason}")
        if len(errors) >= MAX_ERRORS:
            break
        if not errors:
            writer.write(rows)
    if errors:
        raise DatasetImportError(errors[:MAX_ERRORS])
    project.annotators.add(*writer.annotators)
    return ImportSummary(
        project=project,
        documents=len(documents),
        statements=writer.counts["statements"],
        annotations=writer.counts["annotations"],
        gold_labels=writer.counts["gold_labels"],
        users_created=vocabulary.users_created,
    )
