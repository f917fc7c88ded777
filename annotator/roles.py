"""The one permission policy. Every admin page, list, filter, search, autocomplete, custom view,
import, export and template asks these functions; nothing else decides who may do what.

Roles, not single permissions, decide (one idiom: "does the user's role allow it?"):

- **superusers**: everything, including accounts and the login records;
- **leads** (the `Leads` group): every project, document, statement and annotation (annotations
  read-only: only their author edits one), gold labels and the label history; the vocabulary;
  import, export, agreement and adjudication. Leadership is global: there is no per-project lead;
- **annotators** (the `Annotators` group): the projects they belong to, the shared vocabulary
  (sources, label groups, labels: read only) and their own annotations. Nothing of anybody
  else's labels: no other annotation, no gold label, no other person's label history.

A permission ticked for one user or group in the auth admin changes nothing here; the groups'
permissions, created by the migrations, only keep Django's own pages consistent.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.constants import LOOKUP_SEP

from .compiled_queries import CompiledQuery
from .models import Annotation, Document, GoldLabel, LabelRevision, Project, Statement

ANNOTATORS_GROUP = "Annotators"
LEADS_GROUP = "Leads"

User = AbstractBaseUser | AnonymousUser

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
EVERY_ACTION = frozenset({VIEW, ADD, CHANGE, DELETE})

# The models that hold somebody's labels. An annotator reaches only their own rows of them,
# and never through a relation, a filter, a search or an ordering of another model.
LABEL_MODELS = (
    "annotator.annotation",
    "annotator.goldlabel",
    "annotator.labelrevision",
    "annotator.flagresolution",  # a lead's answer to somebody's skip
)

# What each role may do with each model (app_label.model_name). A model missing here is for
# superusers only, so a new model stays closed until it is placed in this table.
ANNOTATOR_ACCESS: dict[str, frozenset[str]] = {
    "annotator.project": frozenset({VIEW}),
    "annotator.source": frozenset({VIEW}),
    "annotator.labelgroup": frozenset({VIEW}),
    "annotator.label": frozenset({VIEW}),
    "annotator.projectlabelgroup": frozenset({VIEW}),
    "annotator.annotation": frozenset({VIEW, ADD, CHANGE}),
}
LEAD_ACCESS: dict[str, frozenset[str]] = {
    "annotator.project": EVERY_ACTION,
    "annotator.source": EVERY_ACTION,
    "annotator.labelgroup": EVERY_ACTION,
    "annotator.label": EVERY_ACTION,
    "annotator.document": EVERY_ACTION,
    "annotator.statement": EVERY_ACTION,
    "annotator.annotation": EVERY_ACTION,  # change: only the author (can_change_annotation)
    "annotator.goldlabel": EVERY_ACTION,
    "annotator.labelrevision": frozenset({VIEW}),  # written by the tool, never by hand
    # Maintained counts (progress.py), read through the project pages only: no admin.
    "annotator.projectprogress": frozenset(),
    "annotator.annotatorprogress": frozenset(),
    "annotator.openstatement": frozenset(),
    "annotator.job": frozenset({VIEW}),  # background jobs: started from their pages
    "annotator.projectlabelgroup": EVERY_ACTION,
    "annotator.schemachange": frozenset({VIEW}),  # written by the tool, never by hand
    # Resolved on the project page (can_resolve_flags): no admin of their own.
    "annotator.flagresolution": frozenset(),
    "auth.user": frozenset({VIEW}),
}
# Nobody, not even a superuser: the label history and the login records are written by the
# tool, never by hand.
NOBODY_ACCESS: dict[str, frozenset[str]] = {
    "annotator.labelrevision": frozenset({ADD, CHANGE, DELETE}),
    "annotator.job": frozenset({ADD, CHANGE}),  # started from their pages, run by a worker
    "annotator.schemachange": frozenset({ADD, CHANGE, DELETE}),
    "axes.accessattempt": frozenset({ADD}),
    "axes.accesslog": frozenset({ADD}),
    "axes.accessfailurelog": frozenset({ADD}),
}


# --- roles -----------------------------------------------------------------------------------


def group_names(user: User) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    # Cached on the user object: admin pages ask many times per request.
    if not hasattr(user, "_role_groups"):
        user._role_groups = frozenset(name for (name,) in _ROLE_GROUPS.all(user_id=user.pk))
    return user._role_groups


# Read on every request of a signed-in user: compiled once (see compiled_queries).
_ROLE_GROUPS = CompiledQuery(
    lambda user_id: Group.objects.filter(
        user__id=user_id, name__in=(ANNOTATORS_GROUP, LEADS_GROUP)
    ).values_list("name"),
    user_id=-918_273_649,
)


# The role groups as columns of a query a page runs anyway (role_groups_expressions): its
# annotation names, and the group each one answers for.
ROLE_GROUP_COLUMNS = {"user_in_annotators": ANNOTATORS_GROUP, "user_in_leads": LEADS_GROUP}


def role_groups_expressions(user_id: int) -> dict[str, models.Exists]:
    """Whether the user is in each role group, as annotations: a page that reads a row for the
    user anyway learns the user's groups in the same query (role_groups_known) instead of one
    query of its own."""
    return {
        column: models.Exists(Group.objects.filter(user__id=user_id, name=name))
        for column, name in ROLE_GROUP_COLUMNS.items()
    }


def role_groups_known(user: User, row) -> None:
    """What role_groups_expressions read with `row`, for this request: group_names asks no
    more. The row is read in the same request, so a change of groups counts from the next
    request on, as with group_names' own query."""
    if user.is_authenticated and user.is_active and not hasattr(user, "_role_groups"):
        user._role_groups = frozenset(
            name for column, name in ROLE_GROUP_COLUMNS.items() if getattr(row, column)
        )


def is_superuser(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def role_key(user: User) -> tuple:
    """Everything the user's role is made of, for a key under which something made for that
    role is kept (annotation/form_classes.py)."""
    return (is_superuser(user), group_names(user))


def is_lead(user: User) -> bool:
    """Leads (and superusers) see and decide everything about projects and labels."""
    return is_superuser(user) or LEADS_GROUP in group_names(user)


def is_annotator(user: User) -> bool:
    return ANNOTATORS_GROUP in group_names(user)


# --- what a role may do ----------------------------------------------------------------------


def can_view_agreement(user: User) -> bool:
    return is_lead(user)


def can_adjudicate(user: User) -> bool:
    return is_lead(user)


def can_resolve_flags(user: User) -> bool:
    """Mark a flag (a statement skipped with a reason) resolved on the project page."""
    return is_lead(user)


def can_import(user: User) -> bool:
    """Article uploads and every admin import (the file decides what gets written)."""
    return is_lead(user)


def can_export(user: User) -> bool:
    """Every export shows everybody's labels: leads only (blind annotation)."""
    return is_lead(user)


def can_edit_sources(user: User) -> bool:
    return may(user, ADD, "annotator.source") and may(user, CHANGE, "annotator.source")


def can_view_label_history(user: User) -> bool:
    return may(user, VIEW, "annotator.labelrevision")


def can_annotate(user: User, project) -> bool:
    """Annotating is for the project's annotators (a lead too, if made one of them)."""
    if not (is_annotator(user) or is_lead(user)):
        return False
    # Cached on the user object, as the groups are: a page asks for its project more than once.
    if not hasattr(user, "_annotated_projects"):
        user._annotated_projects = {}
    if project.pk not in user._annotated_projects:
        user._annotated_projects[project.pk] = project.has_annotator(user)
    return user._annotated_projects[project.pk]


def annotates_expression(user: User, project_path: str) -> models.Exists:
    """True where `user` is an annotator of the project at `project_path` of the outer row: a
    page that reads that row anyway learns it in the same query (annotates_known)."""
    return annotates_expression_for(user.pk, project_path)


def annotates_expression_for(user_id: int, project_path: str) -> models.Exists:
    """annotates_expression, by the user's id (a query compiled once for any user)."""
    members = Project.annotators.through.objects.filter(
        project_id=models.OuterRef(project_path), user_id=user_id
    )
    return models.Exists(members)


def annotates_known(user: User, project_id: int, annotates: bool) -> None:
    """What annotates_expression read for a project: can_annotate asks no more for it."""
    if not hasattr(user, "_annotated_projects"):
        user._annotated_projects = {}
    user._annotated_projects[project_id] = bool(annotates)


def can_annotate_statement(user: User, statement) -> bool:
    return can_annotate(user, statement.document.project)


def can_view_annotation(user: User, annotation) -> bool:
    return is_lead(user) or (is_annotator(user) and annotation.annotator_id == user.pk)


def can_change_annotation(user: User, annotation) -> bool:
    """Only the author edits an annotation; leads read it."""
    return may(user, CHANGE, "annotator.annotation") and annotation.annotator_id == user.pk


def model_label(model) -> str:
    if isinstance(model, str):
        return model
    return model._meta.label_lower


def may(user: User, action: str, model, obj=None) -> bool:
    """May `user` view/add/change/delete objects of `model` (or this object of it)?"""
    label = model_label(model)
    if action in NOBODY_ACCESS.get(label, ()):
        return False
    if is_superuser(user):
        allowed = True
    elif is_lead(user):
        allowed = action in LEAD_ACCESS.get(label, ())
    elif is_annotator(user):
        allowed = action in ANNOTATOR_ACCESS.get(label, ())
    else:
        allowed = False
    if not allowed or obj is None:
        return allowed
    if label == "annotator.annotation":
        if action == CHANGE:
            return can_change_annotation(user, obj)
        return can_view_annotation(user, obj)
    return is_lead(user) or visible(user, type(obj)).filter(pk=obj.pk).exists()


def may_use(user: User, model) -> bool:
    """Does the model appear in the user's admin at all?"""
    return any(may(user, action, model) for action in EVERY_ACTION)


# --- what a user sees ------------------------------------------------------------------------


def visible(user: User, source) -> QuerySet:
    """The rows of a model (or of a queryset) that `user` may see; every list, count, filter,
    search, autocomplete and export starts from here."""
    queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
    if is_lead(user):
        return queryset
    if not is_annotator(user):
        return queryset.none()
    narrowing = ANNOTATOR_ROWS.get(queryset.model._meta.label_lower)
    if narrowing is None:
        return queryset.none()
    return queryset.filter(narrowing(user))


# What an annotator sees of each model; a model missing here shows them nothing.
ANNOTATOR_ROWS = {
    "annotator.project": lambda user: Q(annotators=user),
    "annotator.document": lambda user: Q(project__annotators=user),
    "annotator.statement": lambda user: Q(document__project__annotators=user),
    "annotator.annotation": lambda user: Q(annotator=user),
    "annotator.labelrevision": lambda user: Q(kind="annotation", annotator=user),
    "annotator.projectprogress": lambda user: Q(project__annotators=user),
    "annotator.annotatorprogress": lambda user: Q(annotator=user),
    "annotator.openstatement": lambda user: Q(project__annotators=user),
    "annotator.projectlabelgroup": lambda user: Q(project__annotators=user),
    "annotator.schemachange": lambda user: Q(project__annotators=user),
    # The shared vocabulary.
    "annotator.source": lambda user: Q(),
    "annotator.labelgroup": lambda user: Q(),
    "annotator.label": lambda user: Q(),
    "auth.user": lambda user: Q(pk=user.pk),
    # Background jobs are the leads' (exports, imports, agreement): none for annotators.
    "annotator.job": lambda user: Q(pk__in=[]),
    # Flags are the leads' work list: an annotator sees no resolution, not even of their own.
    "annotator.flagresolution": lambda user: Q(pk__in=[]),
}


def visible_projects(user: User) -> QuerySet:
    return visible(user, Project)


def annotated_projects(user: User) -> QuerySet:
    """The projects the user annotates (a lead sees more projects than they annotate)."""
    return visible_projects(user).has_annotator(user)


def visible_documents(user: User) -> QuerySet:
    return visible(user, Document)


def visible_statements(user: User) -> QuerySet:
    return visible(user, Statement)


def visible_annotations(user: User) -> QuerySet:
    """All annotations for leads; for an annotator, their own and nothing more."""
    return visible(user, Annotation)


def visible_gold_labels(user: User) -> QuerySet:
    return visible(user, GoldLabel)


def visible_label_revisions(user: User) -> QuerySet:
    return visible(user, LabelRevision)


# --- which lookups a non-lead may name -------------------------------------------------------


def path_models(model, path: str) -> list[type[models.Model]] | None:
    """The models a lookup path (`statement__document__title`) passes through, after `model`;
    None when the path names no field (an annotation of the queryset, say)."""
    reached = []
    for part in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return reached if reached else None
        if not field.is_relation:
            break
        model = field.related_model
        reached.append(model)
    return reached


def path_reaches_labels(model, path: str) -> bool:
    """Does filtering, searching or sorting `model` by `path` read somebody's labels? Unknown
    names count as reaching them: what cannot be classified is refused."""
    reached = path_models(model, path)
    if reached is None:
        return True
    return any(model_label(step) in LABEL_MODELS for step in reached)
