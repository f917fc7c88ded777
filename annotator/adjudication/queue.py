"""The gold-label workflow, read side: the disagreement queue (worst first), what a statement's
annotators agree on (unanimously, by a strict majority, or at least by plurality), and the
lead's gold form pre-filled from it. Writes are in services (gold_label_decide, ...)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .agreement_data import Filters, LabelIds, agreement_data, label_set
from .agreement_report import unit_scores
from .forms import GoldLabelForm, label_group_field_name, labellingform_class
from .models import Annotation, GoldLabel, LabelGroup, Project
from .request_ids import ValidIdsAutocompleteSelect

# --------------------------------------------------------------------------------------------
# The disagreement queue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    field: str = ""  # a field key: only disagreements on that field, ordered by it
    document: int | None = None
    source: int | None = None  # statements at least one annotator attributed to this source
    decided: bool = False  # also statements that already have a gold label


@dataclass
class QueueItem:
    statement_id: int
    score: float  # per-statement agreement, 0 (worst) .. 1; nan where no field is pairable
    fields: list[str]  # titles of the fields the annotators disagree on
    annotations: int
    decided: bool


@dataclass
class DisagreementQueue:
    """The queue as arrays, worst first; items are made only for the part looked at (a page),
    so a queue of 100,000 statements costs no 100,000 Python objects."""

    statement_ids: np.ndarray
    scores: np.ndarray
    disputed: np.ndarray  # fields x queue: which fields are in dispute
    annotations: np.ndarray
    decided: np.ndarray
    titles: list[str]

    def __len__(self) -> int:
        return int(self.statement_ids.size)

    def item(self, i: int) -> QueueItem:
        return QueueItem(
            statement_id=int(self.statement_ids[i]),
            score=float(self.scores[i]),
            fields=[title for title, row in zip(self.titles, self.disputed, strict=True) if row[i]],
            annotations=int(self.annotations[i]),
            decided=bool(self.decided[i]),
        )

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.item(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self.item(index % len(self))

    def __iter__(self):
        return (self.item(i) for i in range(len(self)))

    def position(self, statement_id: int) -> int | None:
        """1-based place of the statement in the queue."""
        found = np.flatnonzero(self.statement_ids == statement_id)
        return int(found[0]) + 1 if found.size else None

    def after(self, statement_id: int) -> int | None:
        """The statement after `statement_id` (the first one when it left the queue)."""
        place = self.position(statement_id)
        if place is None:
            return int(self.statement_ids[0]) if len(self) else None
        if len(self) == 1:
            return None
        return int(self.statement_ids[place % len(self)])


def empty_queue() -> DisagreementQueue:
    nothing = np.zeros(0)
    return DisagreementQueue(
        nothing.astype(np.int64), nothing, np.zeros((0, 0), bool), nothing, nothing > 0, []
    )


def disagreement_queue(
    *, project: Project, filters: QueueFilters = QueueFilters()
) -> DisagreementQueue:
    """Statements whose submitted annotations differ (raw values: "E" against "F" counts),
    worst first: lowest agreement, then most fields in dispute, then statement order."""
    data = agreement_data(project=project, filters=Filters(document=filters.document))
    fields = [f for f in data.main_fields if not filters.field or f.key == filters.field]
    if not data.n_units or not fields:
        return empty_queue()
    scores = unit_scores(data)
    disputed = np.vstack([scores.disagrees[f.key] for f in fields])
    wanted = disputed.any(axis=0)
    if filters.source is not None:
        wanted &= np.bincount(data.unit[data.source == filters.source], minlength=data.n_units) > 0
    if not filters.decided:
        wanted &= ~data.has_gold
    score = scores.score[filters.field] if filters.field else scores.combined
    units = np.flatnonzero(wanted)
    order = units[
        np.lexsort(
            (
                data.statement_ids[units],
                -disputed[:, units].sum(axis=0),
                np.where(np.isnan(score[units]), 2.0, score[units]),
            )
        )
    ]
    return DisagreementQueue(
        statement_ids=data.statement_ids[order],
        scores=score[order],
        disputed=disputed[:, order],
        annotations=scores.annotations[order],
        decided=data.has_gold[order],
        titles=[str(f.title) for f in fields],
    )


# --------------------------------------------------------------------------------------------
# The lead's walk through the queue
# --------------------------------------------------------------------------------------------

WALK_LENGTH = 2000


@dataclass
class Walk:
    """The order in which a lead works through the queue, kept in their session.

    Computing the queue reads every annotation of the project (seconds at a few hundred
    thousand); going from one statement to the next must not. The queue page computes it
    afresh; adjudication steps through the stored order, skipping statements decided in the
    meantime, and computes the queue again only when the stored part runs out.
    """

    statement_ids: list[int]
    total: int

    def position(self, statement_id: int) -> int | None:
        ids = self.statement_ids
        return ids.index(statement_id) + 1 if statement_id in ids else None

    def following(self, statement_id: int) -> list[int]:
        place = self.position(statement_id)
        return self.statement_ids[place:] if place else list(self.statement_ids)


def walk_key(project: Project, filters: QueueFilters) -> str:
    return (
        f"adjudication-walk:{project.pk}:{filters.field}:{filters.document or ''}:"
        f"{filters.source or ''}:{int(filters.decided)}"
    )


def walk_store(session, project: Project, filters: QueueFilters, queue: DisagreementQueue) -> Walk:
    walk = Walk(queue.statement_ids[:WALK_LENGTH].tolist(), len(queue))
    session[walk_key(project, filters)] = {"ids": walk.statement_ids, "total": walk.total}
    return walk


def walk_load(session, project: Project, filters: QueueFilters) -> Walk | None:
    stored = session.get(walk_key(project, filters))
    return Walk(stored["ids"], stored["total"]) if stored else None


def walk_next(session, project: Project, filters: QueueFilters, current: int) -> int | None:
    """The next statement to settle after `current`: the next undecided one of the walk, or,
    when the walk is used up, the worst of the queue computed again."""
    walk = walk_load(session, project, filters)
    candidates = walk.following(current) if walk else []
    if not filters.decided and candidates:
        decided = set()
        for start in range(0, len(candidates), 500):
            chunk = candidates[start : start + 500]
            decided |= set(
                GoldLabel.objects.filter(statement_id__in=chunk).values_list(
                    "statement_id", flat=True
                )
            )
        candidates = [c for c in candidates if c not in decided]
    if candidates:
        return candidates[0]
    queue = disagreement_queue(project=project, filters=filters)
    walk_store(session, project, filters, queue)
    following = queue.after(current)
    return following if following != current else None


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

    @property
    def key(self) -> tuple:
        """What must be identical for a unanimous decision (the mention's wording may vary)."""
        return (self.source_id, self.source_reliability, self.info_credibility, self.labels)


def statement_votes(statement_ids: Iterable[int] | QuerySet) -> dict[int, list[Vote]]:
    """The submitted annotations of the statements (ids, or a queryset of them), in one query."""
    if not isinstance(statement_ids, QuerySet):
        statement_ids = list(statement_ids)
    rows = (
        Annotation.objects.filter(
            statement_id__in=statement_ids, status=Annotation.Status.SUBMITTED
        )
        .order_by()
        .annotate(label_ids=LabelIds("labels"))
        .values_list(
            "statement_id",
            "source_id",
            "source_mention",
            "source_reliability",
            "info_credibility",
            "label_ids",
        )
    )
    votes: dict[int, list[Vote]] = {}
    for statement_id, source, mention, reliability, credibility, label_ids in rows:
        vote = Vote(source, mention, reliability, credibility, label_set(label_ids))
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
        majority["source_mention"] = mention_for(votes, majority["source_id"])
    plurality["source_mention"] = mention_for(votes, plurality.get("source_id"))
    return Consensus(n, required, is_unanimous(votes, required), majority, plurality, tally)


def is_unanimous(votes: list[Vote], required: int) -> bool:
    """At least `required` annotations, identical in source, grades and labels."""
    return len(votes) >= max(required, 1) and len({vote.key for vote in votes}) == 1


def unanimous_values(votes: list[Vote]) -> dict:
    first = votes[0]
    return {
        "source_id": first.source_id,
        "source_mention": mention_for(votes, first.source_id),
        "source_reliability": first.source_reliability,
        "info_credibility": first.info_credibility,
        "labels": set(first.labels),
    }


def mention_for(votes: list[Vote], source_id: int | None) -> str:
    mentions = Counter(v.source_mention for v in votes if v.source_id == source_id)
    return mentions.most_common(1)[0][0] if mentions else ""


def gold_values(values: dict) -> dict:
    """Consensus values as GoldLabel field values (labels apart)."""
    return {
        "source_id": values.get("source_id"),
        "source_mention": values.get("source_mention", ""),
        "source_reliability": values.get("source_reliability", ""),
        "info_credibility": values.get("info_credibility", ""),
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


# --------------------------------------------------------------------------------------------
# The lead's gold form
# --------------------------------------------------------------------------------------------


class GoldDecisionForm(GoldLabelForm):
    """The gold label form of the adjudication page: the grades and the method as radio
    buttons, as in the annotation form."""

    class Meta(GoldLabelForm.Meta):
        fields = [*GoldLabelForm.Meta.fields]
        widgets = {
            "source_reliability": forms.RadioSelect,
            "info_credibility": forms.RadioSelect,
            "method": forms.RadioSelect,
            "rationale": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The same source picker as in the annotation form (searches names and aliases).
        source = self.fields["source"]
        source.widget = ValidIdsAutocompleteSelect(
            GoldLabel._meta.get_field("source"), admin_site or admin.site
        )
        source.widget.choices = source.choices
        self.fields["method"].initial = GoldLabel.Method.ADJUDICATED
        for name in ("source_reliability", "info_credibility", "method"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]


def gold_form_class() -> type[GoldDecisionForm]:
    return labellingform_class(GoldDecisionForm)


def gold_form_initial(gold: GoldLabel | None, agreed: Consensus) -> dict:
    """An existing gold label as it is; otherwise the annotators' majority (plurality)."""
    if gold is not None:
        return {}
    values = agreed.plurality
    initial = {
        "source": values.get("source_id"),
        "source_mention": values.get("source_mention", ""),
        "source_reliability": values.get("source_reliability"),
        "info_credibility": values.get("info_credibility"),
        "method": GoldLabel.Method.ADJUDICATED,
    }
    return {key: value for key, value in initial.items() if value is not None}


def gold_form_label_initial(form_class, labels: set[int]) -> dict:
    """Initial values of the label-group fields for the chosen label ids."""
    initial = {}
    for group in form_class.label_groups:
        in_group = [label.pk for label in group.labels.all() if label.pk in labels]
        name = label_group_field_name(group)
        if group.multiple:
            initial[name] = in_group
        elif in_group:
            initial[name] = in_group[0]
    return initial


def gold_fieldsets(form: GoldDecisionForm) -> list[tuple[str, list]]:
    """The form's fields grouped as in the annotation form, the decision last."""
    layout = [
        (_("Who says it"), ["source", "source_mention"]),
        (_("Admiralty grading"), ["source_reliability", "info_credibility"]),
        (_("Labels"), [label_group_field_name(group) for group in form.label_groups]),
        (_("Decision"), ["method", "rationale", "note"]),
    ]
    return [(title, [form[name] for name in names]) for title, names in layout]
