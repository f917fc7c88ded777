"""The shared Source registry, written: sources loaded by name, and sources learnt from the
mentions the attribution found ("laut KCNA" becomes the source KCNA, or an alias of it), after
which every statement whose mention matches suggests it."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Source, Statement
from .attribution import SourceEntry, SourceIndex, normalise_phrase
from .selectors import source_index_build


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
