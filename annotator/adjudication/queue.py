"""The disagreement queue: the statements whose submitted annotations differ, worst first, and
the order in which a lead walks through them (kept in the session, so stepping to the next
statement does not compute the queue again)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..agreement.breakdowns import unit_scores
from ..agreement.data import Filters, agreement_data
from ..models import GoldLabel, Project

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
