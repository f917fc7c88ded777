"""What a statement's annotators agree on: their votes (submitted annotations), whether they are
unanimous, a strict majority or a plurality per field, and the annotations side by side with
the minority values marked. Reads only; the gold labels made from it are written by services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ..agreement.data import LabelIds, label_set
from ..compiled_queries import CompiledQuery
from ..labelling import LABELLING_COLUMNS, MENTION_SPAN_FIELDS
from ..models import Annotation, GoldLabel, LabelGroup

# --------------------------------------------------------------------------------------------
# What the annotators agree on
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    """One submitted annotation's labelling."""

    source_id: int | None
    source_mention: str
    source_reliability: str
    info_credibility: str
    labels: frozenset[int]
    # Where the mention stands in the document text, when the annotator selected it.
    mention_span: tuple[int, int] | None = None

    @property
    def key(self) -> tuple:
        """What must be identical for a unanimous decision (the mention's wording may vary)."""
        return (self.source_id, self.source_reliability, self.info_credibility, self.labels)


# A vote's columns, then its labels' ids.
VOTE_COLUMNS = (
    "statement_id",
    "source_id",
    "source_mention",
    "source_reliability",
    "info_credibility",
    *MENTION_SPAN_FIELDS,
)


def votes_rows(annotations: QuerySet[Annotation]) -> QuerySet:
    return (
        annotations.order_by()
        .annotate(label_ids=LabelIds("labels"))
        .values_list(*VOTE_COLUMNS, "label_ids")
    )


def statement_votes(statement_ids: Iterable[int] | QuerySet) -> dict[int, list[Vote]]:
    """The submitted annotations of the statements (ids, or a queryset of them), in one query."""
    if not isinstance(statement_ids, QuerySet):
        statement_ids = list(statement_ids)
    return votes_by_statement(
        votes_rows(Annotation.objects.submitted().filter(statement_id__in=statement_ids))
    )


# The votes of one statement, read after every annotation save (gold_label_accept_unanimous):
# compiled once (see compiled_queries).
_ONE_STATEMENT_VOTES = CompiledQuery(
    lambda statement_id: votes_rows(
        Annotation.objects.submitted().filter(statement_id=statement_id)
    ),
    statement_id=-918_273_644,
)


def one_statement_votes(statement_id: int) -> list[Vote]:
    """statement_votes of a single statement."""
    rows = _ONE_STATEMENT_VOTES.all(statement_id=statement_id)
    return votes_by_statement(rows).get(statement_id, [])


@dataclass(frozen=True)
class GoldState:
    """What the check after a save needs to know of a statement's gold label."""

    pk: int
    method: str
    decided_by_id: int | None

    @property
    def automatic(self) -> bool:
        """Made by the unanimity check, not decided by a lead."""
        return self.method == GoldLabel.Method.UNANIMOUS and self.decided_by_id is None


GOLD_STATE_COLUMNS = (
    "statement__gold__id",
    "statement__gold__method",
    "statement__gold__decided_by_id",
)


# The votes of one statement, each row with its gold label's state: after every annotation
# save, one query where the gold label and the votes were two (compiled once).
def _votes_and_gold_rows(statement_id: int) -> QuerySet:
    rows = votes_rows(Annotation.objects.submitted().filter(statement_id=statement_id))
    return rows.values_list(*rows._fields, *GOLD_STATE_COLUMNS)


_ONE_STATEMENT_VOTES_AND_GOLD = CompiledQuery(_votes_and_gold_rows, statement_id=-918_273_643)


def one_statement_votes_and_gold(statement_id: int) -> tuple[list[Vote], GoldState | None]:
    """The statement's votes and the state of its gold label (None: it has none). Without a
    vote (the last submitted annotation withdrawn) the gold label is read on its own."""
    rows = _ONE_STATEMENT_VOTES_AND_GOLD.all(statement_id=statement_id)
    if not rows:
        gold = (
            GoldLabel.objects.filter(statement_id=statement_id)
            .values_list("pk", "method", "decided_by_id")
            .first()
        )
        return [], GoldState(*gold) if gold is not None else None
    state_columns = len(GOLD_STATE_COLUMNS)
    gold_pk, method, decided_by_id = rows[0][-state_columns:]
    votes = votes_by_statement(row[:-state_columns] for row in rows).get(statement_id, [])
    return votes, GoldState(gold_pk, method, decided_by_id) if gold_pk is not None else None


def votes_by_statement(rows) -> dict[int, list[Vote]]:
    votes: dict[int, list[Vote]] = {}
    for statement_id, source, mention, reliability, credibility, *rest in rows:
        *span, label_ids = rest
        vote = Vote(
            source, mention, reliability, credibility, label_set(label_ids),
            tuple(span) if None not in span else None,
        )  # fmt: skip
        votes.setdefault(statement_id, []).append(vote)
    return votes


@dataclass
class Consensus:
    submitted: int
    required: int
    unanimous: bool  # at least `required` annotations, all identical
    majority: dict | None  # gold values when every field has a strict majority, else None
    plurality: dict  # the most common value per field where one leads (the form's initial)
    tally: dict  # per field: Counter of the values, to show beside the annotations


def leader(counter: Counter, threshold: float | None = None):
    """The most common value: when `threshold` is given, only with a count above it; else
    only if it leads the runner-up. Returns (found, value)."""
    ranked = counter.most_common(2)
    if not ranked:
        return False, None
    value, count = ranked[0]
    if threshold is not None:
        return count > threshold, value
    return len(ranked) == 1 or count > ranked[1][1], value


def consensus(votes: list[Vote], required: int, groups: list[LabelGroup]) -> Consensus:
    """What the annotators agree on. A strict majority is more than half of the submitted or
    of the required annotations, whichever is more, so that the annotations still missing
    could not overturn it."""
    n = len(votes)
    half = max(n, required) / 2
    in_group = {group.pk: {label.pk for label in group.labels.all()} for group in groups}
    tally = {
        "source_id": Counter(v.source_id for v in votes),
        "source_reliability": Counter(v.source_reliability for v in votes),
        "info_credibility": Counter(v.info_credibility for v in votes),
    }
    single = [g for g in groups if not g.multiple]
    multiple = [g for g in groups if g.multiple]
    for group in single:
        tally[group.pk] = Counter(min(v.labels & in_group[group.pk], default=None) for v in votes)
    label_counts = Counter(label for v in votes for label in v.labels)

    majority: dict | None = {}
    plurality: dict = {}
    for key, counter in tally.items():
        found, value = leader(counter, half)
        if found and majority is not None:
            majority[key] = value
        else:
            majority = None
        found, value = leader(counter)
        if found:
            plurality[key] = value
    chosen_by_majority = set()
    for group in multiple:
        for label in in_group[group.pk]:
            count = label_counts.get(label, 0)
            if count > half:
                chosen_by_majority.add(label)
            elif n - count <= half:
                majority = None  # neither for nor against the label is a strict majority
    plurality_labels = {
        label for group in multiple for label in in_group[group.pk] if label_counts[label] * 2 > n
    }
    plurality["labels"] = plurality_labels | ({plurality.get(g.pk) for g in single} - {None})
    if majority is not None:
        majority["labels"] = chosen_by_majority | ({majority[g.pk] for g in single} - {None})
        majority.update(mention_values(votes, majority["source_id"]))
    plurality.update(mention_values(votes, plurality.get("source_id")))
    return Consensus(n, required, is_unanimous(votes, required), majority, plurality, tally)


def is_unanimous(votes: list[Vote], required: int) -> bool:
    """At least `required` annotations, identical in source, grades and labels."""
    return len(votes) >= max(required, 1) and len({vote.key for vote in votes}) == 1


def unanimous_values(votes: list[Vote]) -> dict:
    first = votes[0]
    return {
        "source_id": first.source_id,
        **mention_values(votes, first.source_id),
        "source_reliability": first.source_reliability,
        "info_credibility": first.info_credibility,
        "labels": set(first.labels),
    }


def mention_for(votes: list[Vote], source_id: int | None) -> str:
    mentions = Counter(v.source_mention for v in votes if v.source_id == source_id)
    return mentions.most_common(1)[0][0] if mentions else ""


def mention_values(votes: list[Vote], source_id: int | None) -> dict:
    """The most common mention of the chosen source, and the span most often selected for it."""
    mention = mention_for(votes, source_id)
    spans = Counter(
        v.mention_span
        for v in votes
        if v.source_id == source_id and v.source_mention == mention and v.mention_span
    )
    start, end = spans.most_common(1)[0][0] if spans else (None, None)
    return {"source_mention": mention, "source_mention_start": start, "source_mention_end": end}


def gold_values(values: dict) -> dict:
    """Consensus values as GoldLabel field values (labels and note apart)."""
    return {
        **{
            column: values.get(column, None if column == "source_id" else "")
            for column in LABELLING_COLUMNS
            if column != "note"
        },
        **{column: values.get(column) for column in MENTION_SPAN_FIELDS},
    }


# --------------------------------------------------------------------------------------------
# Annotations side by side
# --------------------------------------------------------------------------------------------


@dataclass
class ComparisonRow:
    title: str
    cells: list[tuple[str, bool]]  # (value as shown, in the minority)
    disputed: bool


def comparison_row(title: str, values: list[str], compared: bool = True) -> ComparisonRow:
    counts = Counter(values)
    top = max(counts.values(), default=0)
    disputed = compared and len(counts) > 1
    cells = [(value or "—", disputed and counts[value] < top) for value in values]
    return ComparisonRow(str(title), cells, disputed)


def comparison_rows(annotations: list[Annotation], groups: list[LabelGroup]) -> list:
    """One row per field, one column per annotation; minority values marked."""
    reliability = dict(GoldLabel._meta.get_field("source_reliability").choices)
    credibility = dict(GoldLabel._meta.get_field("info_credibility").choices)
    rows = [
        comparison_row(
            _("source"),
            [str(a.source) if a.source_id else str(_("— no source")) for a in annotations],
        ),
        comparison_row(_("source as written"), [a.source_mention for a in annotations], False),
        comparison_row(
            _("source reliability"),
            [str(reliability.get(a.source_reliability, "")) for a in annotations],
        ),
        comparison_row(
            _("information credibility"),
            [str(credibility.get(a.info_credibility, "")) for a in annotations],
        ),
        comparison_row(_("Admiralty code"), [a.admiralty_code for a in annotations]),
    ]
    for group in groups:
        names = [
            ", ".join(sorted(label.name for label in a.labels.all() if label.group_id == group.pk))
            for a in annotations
        ]
        rows.append(comparison_row(group.name, names))
    rows.append(comparison_row(_("note"), [a.note for a in annotations], False))
    return rows
