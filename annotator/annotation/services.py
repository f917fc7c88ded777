"""Writes. Keyword-only functions named <noun>_<verb>, each in one transaction; admin actions,
views and management commands stay thin and call these."""

import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .adjudication import (
    consensus,
    gold_values,
    is_unanimous,
    statement_votes,
    unanimous_values,
)
from .models import (
    Annotation,
    Document,
    GoldLabel,
    Label,
    LabelGroup,
    Labelling,
    LabelRevision,
    Project,
    Source,
    Statement,
)
from .registry.attribution import SourceEntry, SourceIndex, normalise_phrase, suggest_document
from .segmentation import segment_document


def labelling_snapshot(labelling: Labelling) -> dict:
    """The label fields as plain JSON, for the revision history."""
    return {
        "source": labelling.source.name if labelling.source_id else None,
        "source_mention": labelling.source_mention,
        "source_reliability": labelling.source_reliability,
        "info_credibility": labelling.info_credibility,
        "labels": sorted(str(label) for label in labelling.labels.all()) if labelling.pk else [],
        "note": labelling.note,
        **({"status": labelling.status} if isinstance(labelling, Annotation) else {}),
        **(
            {"method": labelling.method, "rationale": labelling.rationale}
            if isinstance(labelling, GoldLabel)
            else {}
        ),
    }


def label_revision_record(
    *, labelling: Labelling, before: dict | None, changed_by, action: str
) -> LabelRevision | None:
    after = labelling_snapshot(labelling) if action != LabelRevision.Action.DELETED else None
    if before == after:
        return None
    is_annotation = isinstance(labelling, Annotation)
    return LabelRevision.objects.create(
        kind=LabelRevision.Kind.ANNOTATION if is_annotation else LabelRevision.Kind.GOLD,
        object_id=labelling.pk,
        statement_id=labelling.statement_id,
        annotator_id=labelling.annotator_id if is_annotation else None,
        changed_by=changed_by,
        action=action,
        before=before,
        after=after,
    )


def labels_validate(labels: Iterable[Label], kept: Iterable[Label] = ()) -> None:
    """Single-choice groups take one label, required groups (not retired) at least one; a
    retired label or group is refused unless it is among `kept`, the labels the annotation or
    gold label already has (a re-save keeps what was given before the label was retired)."""
    labels = list(labels)
    kept_ids = {label.pk for label in kept}
    groups = list(LabelGroup.objects.all())
    retired_groups = {group.pk for group in groups if group.retired_at is not None}
    for label in labels:
        retired = label.retired_at is not None or label.group_id in retired_groups
        if retired and label.pk not in kept_ids:
            raise ValidationError(
                _("“%(label)s” is retired and can no longer be chosen.") % {"label": label}
            )
    for group in groups:
        chosen = [label for label in labels if label.group_id == group.pk]
        if not group.multiple and len(chosen) > 1:
            raise ValidationError(
                _("“%(group)s” takes a single label, not %(count)d.")
                % {"group": group.name, "count": len(chosen)}
            )
        if group.required and group.retired_at is None and not chosen:
            raise ValidationError(_("“%(group)s” is required.") % {"group": group.name})


class LabellingConflict(Exception):
    """The annotation or gold label changed since the form showed it (another tab, another
    lead): saving would overwrite that change unseen."""

    def __init__(self, stored: Labelling):
        super().__init__(f"{type(stored).__name__} {stored.pk} is at version {stored.version}")
        self.stored = stored


def labelling_version_claim(labelling: Labelling, expected_version: int | None) -> None:
    """Compare and set, under the row's lock: the stored version must be the one the form
    showed; the save then writes the next version."""
    if labelling.pk is None:
        labelling.version = 1
        return
    stored = type(labelling).objects.select_for_update().filter(pk=labelling.pk).first()
    if stored is None:
        return
    if expected_version is not None and stored.version != expected_version:
        raise LabellingConflict(stored)
    labelling.version = stored.version + 1


class DuplicateAnnotation(Exception):
    """The annotator already has an annotation of this statement (a double click, a second
    tab, or a form error that was ignored)."""

    def __init__(self, existing: Annotation, attempted_content: tuple):
        super().__init__(f"annotation {existing.pk} exists")
        self.existing = existing
        self.same_content = annotation_content(existing, existing.labels.all()) == attempted_content


def annotation_content(annotation: Annotation, labels: Iterable[Label]) -> tuple:
    """What the annotator decided, for telling a repeated submission from a changed one."""
    return (
        annotation.source_id,
        annotation.source_mention,
        annotation.source_reliability,
        annotation.info_credibility,
        frozenset(label.pk for label in labels),
        annotation.note,
    )


def labelling_before(labelling: Labelling) -> dict | None:
    """The stored labels before this save (None for a new annotation or gold label)."""
    if labelling.pk is None:
        return None
    return labelling_snapshot(type(labelling).objects.get(pk=labelling.pk))


def labelling_labels_set(
    *, labelling: Labelling, labels: list[Label], before: dict | None, changed_by
) -> None:
    """Set the saved labelling's labels and record the change in the label history."""
    labelling.labels.set(labels)
    label_revision_record(
        labelling=labelling,
        before=before,
        changed_by=changed_by,
        action=LabelRevision.Action.CREATED if before is None else LabelRevision.Action.CHANGED,
    )


def labelling_kept_labels(labelling: Labelling) -> list[Label]:
    if labelling.pk is None:
        return []
    return list(Label.objects.filter(**{f"{type(labelling).__name__.lower()}s": labelling.pk}))


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
    labels_validate(labels, kept=labelling_kept_labels(annotation))
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
        raise DuplicateAnnotation(existing, annotation_content(annotation, labels)) from error
    labelling_labels_set(labelling=annotation, labels=labels, before=before, changed_by=changed_by)
    gold_label_accept_unanimous(statement_id=annotation.statement_id)
    return annotation


@transaction.atomic
def gold_label_save(
    *, gold: GoldLabel, labels: Iterable[Label], changed_by, expected_version: int | None = None
) -> GoldLabel:
    labels = list(labels)
    labels_validate(labels, kept=labelling_kept_labels(gold))
    labelling_version_claim(gold, expected_version)
    before = labelling_before(gold)
    gold.full_clean(exclude=["labels"], validate_unique=False)
    gold.save()
    labelling_labels_set(labelling=gold, labels=labels, before=before, changed_by=changed_by)
    return gold


def source_index_build() -> SourceIndex:
    return SourceIndex(
        SourceEntry(key=source.pk, name=source.name, aliases=tuple(source.alias_list))
        for source in Source.objects.all()
    )


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()


def statements_build(
    *, document: Document, source_index: SourceIndex | None = None
) -> list[Statement]:
    """Split the document into statements, each with its attribution suggestion (unsaved)."""
    statements = []
    sentences = segment_document(document.text, document.language)
    suggestions = suggest_document(
        [(sentence.text, sentence.paragraph) for sentence in sentences],
        document.language,
        source_index,
    )
    for position, (sentence, suggestion) in enumerate(zip(sentences, suggestions, strict=True)):
        statement = Statement(
            document=document,
            position=position,
            paragraph=sentence.paragraph,
            text=sentence.text,
            start=sentence.start,
            end=sentence.end,
        )
        if suggestion is not None:
            statement.suggested_source_id = suggestion.source_key
            statement.suggested_mention = suggestion.mention[:500]
            statement.suggested_cue = suggestion.cue[:200]
            statement.suggested_cue_start = suggestion.cue_start
            statement.suggested_cue_end = suggestion.cue_end
            statement.suggested_mention_start = suggestion.mention_start
            statement.suggested_mention_end = suggestion.mention_end
            statement.suggested_mention_resolved = suggestion.resolved_mention[:500]
        statements.append(statement)
    return statements


def document_find_existing(*, project: Project, external_id: str, digest: str) -> Document | None:
    documents = Document.objects.filter(project=project)
    if external_id:
        found = documents.filter(external_id=external_id).first()
        if found is not None:
            return found
    # The same title and text under another (or no) external id is the same article: the
    # project's unique content_hash would refuse a second copy anyway.
    return documents.filter(content_hash=digest).first()


@transaction.atomic
def document_create(
    *, project: Project, title: str, text: str, language: str, source_index=None, **metadata
) -> tuple[Document, bool]:
    """Create a document with its statements; an already imported article is left unchanged.

    Returns (document, created).
    """
    if "\x00" in title or "\x00" in text:
        # PostgreSQL cannot store NUL in text; SQLite could, and the two must not disagree.
        raise ValidationError(_("The article contains NUL bytes: is it a binary file?"))
    digest = content_hash(title, text)
    existing = document_find_existing(
        project=project, external_id=metadata.get("external_id", ""), digest=digest
    )
    if existing is not None:
        return existing, False
    document = Document(
        project=project,
        title=title,
        text=text,
        language=language,
        content_hash=digest,
        **metadata,
    )
    document.full_clean(validate_constraints=False)
    document.save()
    statements = statements_build(document=document, source_index=source_index)
    if not statements:
        # The transaction rolls the document back: an article without a statement is no work.
        raise ValidationError(
            _("The article has no statements: its text holds no words (invisible characters?).")
        )
    Statement.objects.bulk_create(statements, batch_size=1000)
    return document, True


@transaction.atomic
def sources_load(*, records: Iterable[dict]) -> int:
    """Create the sources missing by name; existing ones stay as leads edited them."""
    created = 0
    for record in records:
        aliases = record.get("aliases", "")
        if isinstance(aliases, list | tuple):
            aliases = "\n".join(aliases)
        _source, was_created = Source.objects.get_or_create(
            name=record["name"],
            defaults={
                "kind": record.get("kind", Source.Kind.OTHER),
                "country": record.get("country", ""),
                "aliases": aliases,
                "description": record.get("description", ""),
            },
        )
        created += was_created
    return created


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


# --- sources learnt from suggested mentions ---------------------------------------------------

# A mention is taken as written ("des Instituts für Kriegsstudien"); its alias drops the leading
# article so it also matches the other cases ("das Institut für Kriegsstudien").
MENTION_ARTICLES = frozenset(
    {"der", "die", "das", "des", "dem", "den", "ein", "eine", "einer", "eines", "einem", "einen"}
    | {"the", "a", "an"}
)


def mention_alias(mention: str) -> str:
    """The mention without its leading articles and surrounding punctuation."""
    words = mention.strip(" \t\n„“”\"'»«‚‘’.,;:()").split()
    while len(words) > 1 and words[0].casefold() in MENTION_ARTICLES:
        words.pop(0)
    return " ".join(words)


def source_alias_add(*, source: Source, alias: str) -> bool:
    """Add the alias unless an alias already reads the same (unsaved). Kept even when it reads
    like the name, so that renaming the source later does not lose it."""
    known = {normalise_phrase(name) for name in source.alias_list}
    if not alias or normalise_phrase(alias) in known:
        return False
    source.aliases = "\n".join([*source.alias_list, alias])
    return True


def source_for_mention(*, mention: str, name: str = "", kind: str = Source.Kind.OTHER) -> Source:
    """The source called `name` (default: the mention) with the mention as an alias; created
    when no source has that name (any case)."""
    alias = mention_alias(mention)
    name = " ".join(name.split()) or alias[:1].upper() + alias[1:]
    source = Source.objects.filter(name__iexact=name).first() or Source(name=name, kind=kind)
    changed = source_alias_add(source=source, alias=alias)
    if source.pk is None or changed:
        source.full_clean()
        source.save()
    return source


def statement_suggestions_refresh(
    *, queryset=None, sources: Iterable[Source] = (), batch_size: int = 2000
) -> int:
    """Match the statements' suggested mentions again against the registry as it is now.

    A statement without a suggested source gets one when its mention now matches. One with a
    suggestion keeps it (a lead may have corrected it), unless one of `sources` (just created,
    or given a new alias) matches its mention: then the longest alias decides, as at import.
    Returns the number of statements changed.
    """
    index = source_index_build()
    learnt = SourceIndex(
        SourceEntry(key=source.pk, name=source.name, aliases=tuple(source.alias_list))
        for source in sources
    )
    statements = (queryset if queryset is not None else Statement.objects.all()).exclude(
        suggested_mention=""
    )
    changed = []
    for statement in statements.only("pk", "suggested_mention", "suggested_source").iterator(
        chunk_size=batch_size
    ):
        current = statement.suggested_source_id
        if current is not None and learnt.match(statement.suggested_mention) is None:
            continue
        key = index.match(statement.suggested_mention)
        if key is not None and key != current:
            statement.suggested_source_id = key
            changed.append(statement)
    Statement.objects.bulk_update(changed, ["suggested_source"], batch_size=batch_size)
    return len(changed)


@transaction.atomic
def source_create_from_mention(
    *,
    statement: Statement,
    name: str = "",
    kind: str = Source.Kind.OTHER,
    source: Source | None = None,
) -> tuple[Source, int]:
    """Make the statement's suggested mention a registry source in one step.

    Creates the source `name` (default: the mention) of `kind`, or adds the mention as an alias
    to `source`; the statement then suggests it, and so does every statement whose mention
    matches it, now and at later imports. Returns (source, statements re-linked besides this one).
    """
    if not statement.suggested_mention.strip():
        raise ValidationError(_("This statement has no suggested mention."))
    if source is None:
        source = source_for_mention(mention=statement.suggested_mention, name=name, kind=kind)
    elif source_alias_add(source=source, alias=mention_alias(statement.suggested_mention)):
        source.full_clean()
        source.save()
    Statement.objects.filter(pk=statement.pk).update(suggested_source=source)
    statement.suggested_source = source
    relinked = statement_suggestions_refresh(
        queryset=Statement.objects.exclude(pk=statement.pk), sources=[source]
    )
    return source, relinked


@transaction.atomic
def sources_create_from_mentions(*, statements: Iterable[Statement]) -> tuple[list[Source], int]:
    """One source per distinct unmatched mention of `statements` (see source_create_from_mention).

    Statements that already suggest a registry source, or have no mention, are left alone.
    Returns (the sources created or given an alias, statements now suggesting one of them).
    """
    by_mention: dict[tuple[str, ...], list[Statement]] = {}
    for statement in statements:
        if statement.suggested_source_id is None and statement.suggested_mention.strip():
            words = normalise_phrase(mention_alias(statement.suggested_mention))
            by_mention.setdefault(words, []).append(statement)
    sources = []
    linked = 0
    for group in by_mention.values():
        source = source_for_mention(mention=group[0].suggested_mention)
        linked += Statement.objects.filter(pk__in=[s.pk for s in group]).update(
            suggested_source=source
        )
        sources.append(source)
    linked += statement_suggestions_refresh(sources=sources)
    return sources, linked


# --- gold labels: a lead's decision, or the annotators' consensus ----------------------------


@transaction.atomic
def gold_label_decide(
    *, gold: GoldLabel, labels: Iterable[Label], decided_by, expected_version: int | None = None
) -> GoldLabel:
    """A lead settles a statement, or overrides its gold label; the history keeps the old one.

    `expected_version`: the version of the gold label the lead saw (0: there was none). A gold
    label decided or changed in the meantime by someone else raises LabellingConflict.
    """
    existing = GoldLabel.objects.select_for_update().filter(statement_id=gold.statement_id).first()
    if expected_version == 0 and existing is not None:
        raise LabellingConflict(existing)
    if gold.pk is None and existing is not None:
        # Without a version to compare (a command, an import): this decision replaces theirs,
        # in the history.
        gold.pk, gold.created_at = existing.pk, existing.created_at
    gold.decided_by = decided_by
    gold.method = gold.method or GoldLabel.Method.ADJUDICATED
    return gold_label_save(
        gold=gold,
        labels=labels,
        changed_by=decided_by,
        expected_version=expected_version or None,
    )


@transaction.atomic
def gold_label_delete(*, gold: GoldLabel, changed_by) -> None:
    """Delete a gold label into the history (the statement returns to the disagreements)."""
    label_revision_record(
        labelling=gold,
        before=labelling_snapshot(gold),
        changed_by=changed_by,
        action=LabelRevision.Action.DELETED,
    )
    gold.delete()


def gold_label_from_consensus(
    *, statement_id: int, values: dict, method: str, decided_by=None, rationale: str = ""
) -> GoldLabel:
    gold = GoldLabel.objects.filter(statement_id=statement_id).first() or GoldLabel(
        statement_id=statement_id
    )
    for field, value in gold_values(values).items():
        setattr(gold, field, value)
    gold.method, gold.decided_by, gold.rationale = method, decided_by, rationale
    labels = Label.objects.filter(pk__in=values["labels"])
    return gold_label_save(gold=gold, labels=labels, changed_by=decided_by)


@transaction.atomic
def gold_label_accept_unanimous(*, statement_id: int) -> GoldLabel | None:
    """Called after every annotation save, so it stays cheap (three queries).

    A statement whose required submitted annotations all agree (source, grades, labels) gets
    its gold label, method "unanimous". An automatic gold label that no longer holds (an
    annotator changed their mind) is removed, so the statement returns to the disagreement
    queue. A gold label a lead decided is never touched here.
    """
    # Two annotations of one statement saved at the same moment would both find the vote
    # unanimous and both create its gold label: the statement's row lock makes them take turns
    # (the second then sees the first's gold label and annotation).
    Statement.objects.select_for_update().filter(pk=statement_id).first()
    gold = GoldLabel.objects.filter(statement_id=statement_id).first()
    if gold is not None and (
        gold.method != GoldLabel.Method.UNANIMOUS or gold.decided_by_id is not None
    ):
        return gold
    required = (
        Project.objects.filter(documents__statements=statement_id)
        .values_list("annotations_per_statement", flat=True)
        .first()
    )
    votes = statement_votes([statement_id]).get(statement_id, [])
    if is_unanimous(votes, required or 1):
        # An unchanged gold label is saved again but records no revision.
        return gold_label_from_consensus(
            statement_id=statement_id,
            values=unanimous_values(votes),
            method=GoldLabel.Method.UNANIMOUS,
        )
    if gold is not None:
        gold_label_delete(gold=gold, changed_by=None)
    return None


def gold_labels_accept(*, project: Project, majority: bool, decided_by=None) -> int:
    """Gold labels for the project's statements without one, from their annotations: where
    they are unanimous, and with `majority` also where every field has a strict majority.
    Returns how many were created. Statements whose consensus no longer passes validation
    (e.g. a label group made required since) are left for adjudication."""
    statements = Statement.objects.filter(document__project=project, gold__isnull=True)
    groups = list(LabelGroup.objects.prefetch_related("labels"))
    required = project.annotations_per_statement
    created = 0
    for statement_id, votes in statement_votes(statements.values("pk")).items():
        agreed = consensus(votes, required, groups)
        if agreed.unanimous:
            method, decider, rationale = GoldLabel.Method.UNANIMOUS, None, ""
        elif majority and agreed.majority is not None:
            method, decider = GoldLabel.Method.MAJORITY, decided_by
            rationale = _(
                "A strict majority on every field (%(submitted)d annotations, %(required)d "
                "required)."
            ) % {"submitted": agreed.submitted, "required": required}
        else:
            continue
        values = agreed.majority if agreed.majority is not None else agreed.plurality
        try:
            with transaction.atomic():
                gold_label_from_consensus(
                    statement_id=statement_id,
                    values=values,
                    method=method,
                    decided_by=decider,
                    rationale=rationale,
                )
        except ValidationError:
            continue
        created += 1
    return created


@transaction.atomic
def gold_labels_accept_unanimous(*, project: Project) -> int:
    return gold_labels_accept(project=project, majority=False)


@transaction.atomic
def gold_labels_accept_majority(*, project: Project, decided_by) -> int:
    """The lead's "accept majority decisions": unanimous statements too."""
    return gold_labels_accept(project=project, majority=True, decided_by=decided_by)
