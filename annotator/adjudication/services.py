"""Gold labels, written: a lead's decision (or override), the annotators' consensus accepted as
gold (unanimous automatically after every annotation save, majority on the lead's request), and
deletes into the label history. Keyword-only, one transaction each."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from ..compiled_queries import CompiledQuery
from ..labelling import labelling_project, labels_validate, project_label_groups
from ..models import GoldLabel, Label, Project, Statement
from ..revisions import (
    LabellingConflict,
    labelling_before,
    labelling_delete_record,
    labelling_kept_labels,
    labelling_labels_set,
    labelling_version_claim,
)
from .consensus import (
    consensus,
    gold_values,
    is_unanimous,
    one_statement_votes_and_gold,
    statement_votes,
    unanimous_values,
)


@transaction.atomic
def gold_label_save(
    *, gold: GoldLabel, labels: Iterable[Label], changed_by, expected_version: int | None = None
) -> GoldLabel:
    labels = list(labels)
    labels_validate(labels, kept=labelling_kept_labels(gold), project=labelling_project(gold))
    labelling_version_claim(gold, expected_version)
    before = labelling_before(gold)
    gold.full_clean(exclude=["labels"], validate_unique=False)
    gold.save()
    labelling_labels_set(labelling=gold, labels=labels, before=before, changed_by=changed_by)
    return gold


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
    labelling_delete_record(labelling=gold, changed_by=changed_by)
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


# Read after every annotation save: compiled once (see compiled_queries).
_STATEMENT_GOLD = CompiledQuery(
    lambda statement_id: GoldLabel.objects.filter(statement_id=statement_id),
    statement_id=-918_273_645,
)


# Called inside every annotation save's transaction, and none of its errors is caught there:
# a savepoint of its own would only cost two round trips per save.
@transaction.atomic(savepoint=False)
def gold_label_accept_unanimous(
    *, statement_id: int, locked_required: int | None = None
) -> GoldLabel | None:
    """Called after every annotation save, so it stays cheap (one query to read the votes with
    the gold label's state, more only where a gold label is made, removed or a lead's).

    A statement whose required submitted annotations all agree (source, grades, labels) gets
    its gold label, method "unanimous". An automatic gold label that no longer holds (an
    annotator changed their mind) is removed, so the statement returns to the disagreement
    queue. A gold label a lead decided is never touched here.
    """
    # Two annotations of one statement saved at the same moment would both find the vote
    # unanimous and both create its gold label: the statement's row lock makes them take turns
    # (the second then sees the first's gold label and annotation).
    # The lock reads how many annotations the project asks for, in the same query.
    # `locked_required`: the caller holds that lock already, and read the number with it.
    required = locked_required
    if required is None:
        required = (
            Statement.objects.select_for_update(of=("self",))
            .filter(pk=statement_id)
            .values_list("document__project__annotations_per_statement", flat=True)
            .first()
        )
    votes, gold = one_statement_votes_and_gold(statement_id)
    if gold is not None and not gold.automatic:
        return _STATEMENT_GOLD.first(statement_id=statement_id)  # a lead's: left as it is
    if is_unanimous(votes, required or 1):
        # An unchanged gold label is saved again but records no revision.
        return gold_label_from_consensus(
            statement_id=statement_id,
            values=unanimous_values(votes),
            method=GoldLabel.Method.UNANIMOUS,
        )
    if gold is not None:
        gold_label_delete(gold=_STATEMENT_GOLD.first(statement_id=statement_id), changed_by=None)
    return None


def gold_labels_accept(*, project: Project, majority: bool, decided_by=None) -> int:
    """Gold labels for the project's statements without one, from their annotations: where
    they are unanimous, and with `majority` also where every field has a strict majority.
    Returns how many were created. Statements whose consensus no longer passes validation
    (e.g. a label group made required since) are left for adjudication."""
    statements = Statement.objects.filter(document__project=project, gold__isnull=True)
    groups = project_label_groups(project)
    prefetch_related_objects(groups, "labels")
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


@transaction.atomic
def gold_labels_delete(*, gold_labels: Iterable[GoldLabel], changed_by) -> int:
    count = 0
    for gold in gold_labels:
        gold_label_delete(gold=gold, changed_by=changed_by)
        count += 1
    return count
