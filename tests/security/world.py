"""What the generated security tests in tests/security/ are generated from: a world of secrets
(other annotators' labels planted in every text field), the admin's URLs, the relation paths
that reach labels, and the counts of the cases tried."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver

from annotator import roles
from annotator.adjudication.services import gold_label_decide
from annotator.annotation.services import annotation_save, flag_resolve
from annotator.ingestion.services import document_create
from annotator.models import (
    Annotation,
    GoldLabel,
    Job,
    Label,
    LabelGroup,
    LabelRevision,
    Project,
    Source,
)
from annotator.registry.selectors import source_index_build
from annotator.roles import ANNOTATORS_GROUP, LEADS_GROUP
from annotator.vocabulary.services import schema_copy
from tests.helpers import annotation_submit, label, make_user

SECRET_PREFIX = "ZQXSECRET"
ROLES = ("anonymous", "annotator", "lead", "superuser")

# --- counting the generated cases -----------------------------------------------------------

PROBES: Counter = Counter()


def probes_count(kind: str, number: int = 1) -> None:
    PROBES[kind] += number


# --- the world -------------------------------------------------------------------------------


@dataclass
class SecretWorld:
    project: Project
    other_project: Project
    alice: models.Model
    bob: models.Model
    lead: models.Model
    root: models.Model
    outsider: models.Model
    alices: Annotation
    bobs: Annotation
    gold: GoldLabel
    secrets: list[str] = field(default_factory=list)

    def user(self, role: str):
        return {
            "anonymous": None,
            "annotator": self.alice,
            "lead": self.lead,
            "superuser": self.root,
            "outsider": self.outsider,
        }[role]

    def client(self, role: str) -> Client:
        return client_as(self.user(role))


def client_as(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def secret_world_build() -> SecretWorld:
    project = Project.objects.get(name__startswith="Demo:")
    alice = make_user("alice", ANNOTATORS_GROUP)
    bob = make_user("bob", ANNOTATORS_GROUP)
    project.annotators.add(alice, bob)
    statement = project.documents.order_by("id").first().statements.get(position=4)
    kcna = Source.objects.get(name="KCNA")
    own_source = Source.objects.exclude(name="KCNA").order_by("name").first()
    alices = annotation_submit(
        statement, alice, source=own_source, reliability="B", credibility="2"
    )
    bobs = annotation_submit(
        statement,
        bob,
        source=kcna,
        mention="laut KCNA",
        reliability="E",
        credibility="5",
        labels=[label("Bias", "biased")],
    )
    # Before the draft: the draft stays the document's latest annotation (objects_of).
    flagged = Annotation(
        statement=statement.document.statements.get(position=6),
        annotator=bob,
        status=Annotation.Status.SKIPPED,
        skip_reason=Annotation.SkipReason.SEGMENTATION,
    )
    annotation_save(annotation=flagged, labels=[], changed_by=bob)
    draft = Annotation(
        statement=statement.document.statements.get(position=5),
        annotator=bob,
        source=kcna,
        source_reliability="D",
        info_credibility="4",
        status=Annotation.Status.DRAFT,
    )
    annotation_save(annotation=draft, labels=[label("Bias", "biased")], changed_by=bob)
    other_project = other_project_build(bob)
    lead = make_user("lena", LEADS_GROUP)
    # bob's flag, resolved by the lead: annotators see neither the flag nor the resolution.
    flag_resolve(annotation_id=flagged.pk, project=project, resolved_by=lead, note="split fixed")
    gold = gold_label_decide(
        gold=GoldLabel(
            statement=statement,
            source=kcna,
            source_reliability="E",
            info_credibility="5",
            method=GoldLabel.Method.ADJUDICATED,
        ),
        labels=[label("Bias", "biased")],
        decided_by=lead,
    )
    world = SecretWorld(
        project=project,
        other_project=other_project,
        alice=alice,
        bob=bob,
        lead=lead,
        root=get_user_model().objects.create_superuser("root", password="root-long-password"),
        outsider=make_user("otto", ANNOTATORS_GROUP),
        alices=alices,
        bobs=bobs,
        gold=gold,
    )
    world.secrets = secrets_plant(alice)
    login_records_create("bob")
    Job.objects.create(  # a lead's export job (leads only, like every export)
        kind=Job.Kind.EXPORT,
        project=project,
        created_by=lead,
        params={"format": "jsonl"},
        task_name="annotator.datasets.tasks.dataset_export_task",
        state=Job.State.FAILED,
        error="OperationalError: the database went away",
    )
    return world


def login_records_create(username: str) -> None:
    """One row of each of django-axes' tables, so their pages have an object to open."""
    request = {
        "username": username,
        "ip_address": "192.0.2.1",
        "user_agent": "test",
        "http_accept": "*/*",
        "path_info": "/admin/login/",
    }
    AccessAttempt.objects.create(**request, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**request)
    AccessFailureLog.objects.create(**request)


def objects_of(project: Project) -> dict[str, models.Model]:
    """One real object per model of the admin (the first of the project where it has one)."""
    document = project.documents.order_by("id").first()
    annotation = Annotation.objects.filter(statement__document=document).order_by("-id").first()
    return {
        "annotator.project": project,
        "annotator.document": document,
        "annotator.statement": annotation.statement,
        "annotator.annotation": annotation,
        "annotator.goldlabel": GoldLabel.objects.order_by("id").first(),
        "annotator.source": annotation.source or Source.objects.order_by("id").first(),
        "annotator.labelgroup": LabelGroup.objects.order_by("id").first(),
        "annotator.label": Label.objects.order_by("id").first(),
        "annotator.labelrevision": LabelRevision.objects.filter(object_id=annotation.pk).first(),
        "annotator.job": Job.objects.order_by("id").first(),
        "annotator.projectlabelgroup": project.schema_entries.order_by("id").first(),
        "auth.user": annotation.annotator,
        "auth.group": Group.objects.get(name=LEADS_GROUP),
        "axes.accessattempt": AccessAttempt.objects.order_by("id").first(),
        "axes.accesslog": AccessLog.objects.order_by("id").first(),
        "axes.accessfailurelog": AccessFailureLog.objects.order_by("id").first(),
    }


def other_project_build(bob) -> Project:
    """A project alice is not in: its documents, statements and bob's labels stay unseen."""
    other = Project.objects.create(name="Other project", guidelines_version="2")
    schema_copy(project=other, source=Project.objects.get(name__startswith="Demo:"))
    other.annotators.add(bob)
    document, _ = document_create(
        project=other,
        title="Ein anderer Artikel",
        text="Laut KCNA ist alles gut.\nExperten bezweifeln das.\n",
        language="de",
        source_index=source_index_build(),
    )
    annotation_submit(
        document.statements.order_by("position").first(),
        bob,
        reliability="A",
        credibility="1",
        labels=[label("Bias", "non-biased")],
    )
    return other


def label_text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.CharField | models.TextField) and not f.choices
    ]


def secrets_plant(viewer) -> list[str]:
    """Every text of somebody's labels that `viewer` may not see gets a string nothing else
    contains (the label history's before/after too)."""
    secrets = []
    for label_model in roles.LABEL_MODELS:
        model = apps.get_model(label_model)
        unseen = model.objects.exclude(pk__in=roles.visible(viewer, model).values("pk"))
        for text_field in label_text_fields(model):
            secret = f"{SECRET_PREFIX}-{model._meta.model_name}-{text_field.name}"
            unseen.update(**{text_field.name: secret})
            secrets.append(secret)
        for json_field in [f for f in model._meta.get_fields() if isinstance(f, models.JSONField)]:
            secret = f"{SECRET_PREFIX}-{model._meta.model_name}-{json_field.name}"
            unseen.update(**{json_field.name: {"note": secret, "source_mention": secret}})
            secrets.append(secret)
    return secrets


# --- the admin's URL patterns ----------------------------------------------------------------

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # e.g. "annotator/project/<path:object_id>/change/"

    @property
    def parameters(self) -> list[str]:
        return [m.group("name") or m.group("group") for m in PARAMETER.finditer(self.route)]

    @property
    def model_name(self) -> str | None:
        found = re.match(r"annotator_([a-z]+)_", self.name)
        if found:
            return f"annotator.{found.group(1)}"
        found = re.match(r"(auth|axes)_([a-z]+)_", self.name)
        return f"{found.group(1)}.{found.group(2)}" if found else None

    def url(self, values: dict[str, object]) -> str:
        """The URL with each parameter replaced by `values[name]` (a real id or a bad one)."""

        def replace(match):
            return str(values[match.group("name") or match.group("group")])

        path = PARAMETER.sub(replace, self.route).lstrip("^").rstrip("$")
        return f"/admin/{path}"

    def real_values(self, objects: dict[str, models.Model]) -> dict[str, object]:
        """Real values for every parameter: the route's own object, the project's statement,
        a content type and its object for "view on site"."""
        own_object = getattr(objects.get(self.model_name), "pk", None)
        values = {
            "object_id": own_object,
            "id": own_object,
            "statement_id": objects["annotator.statement"].pk,
            "token": "no-such-upload",
            "app_label": "annotator",
            "content_type_id": ContentType.objects.get_for_model(Project).pk,
        }
        if self.name == "view_on_site":
            values["object_id"] = objects["annotator.project"].pk
        missing = [name for name in self.parameters if values.get(name) is None]
        assert not missing, f"no real value for {missing} in {self.name} ({self.route})"
        return values

    def real_url(self, objects: dict[str, models.Model]) -> str:
        url = self.url(self.real_values(objects))
        if self.name == "annotator_annotation_add":
            url += f"?statement={objects['annotator.statement'].pk}"
        if self.name == "autocomplete":
            url += "?app_label=annotator&model_name=annotation&field_name=source&term=K"
        return url


def admin_routes(patterns=None, prefix: str = "") -> list[Route]:
    routes = []
    for pattern in admin.site.get_urls() if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            routes += admin_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            routes.append(Route(pattern.name, prefix + str(pattern.pattern)))
    return routes


# --- relation paths --------------------------------------------------------------------------


def relations(model) -> list:
    """Forward and reverse relations (FK, one-to-one, many-to-many) by their query names;
    hidden reverse relations (related_name "+") cannot be queried and are not listed."""
    return [f for f in model._meta.get_fields() if f.is_relation and f.related_model is not None]


def relation_paths(model, depth: int = 2) -> list[tuple[str, list]]:
    """Every path of one to `depth` relation parts: ("statement__annotations", [models])."""
    paths = []
    for first in relations(model):
        paths.append((first.name, [model, first.related_model]))
        if depth > 1:
            for second in relations(first.related_model):
                paths.append(
                    (
                        f"{first.name}__{second.name}",
                        [model, first.related_model, second.related_model],
                    )
                )
    return paths


def reaches_labels(models_on_path: list) -> bool:
    return any(roles.model_label(model) in roles.LABEL_MODELS for model in models_on_path)


def listed_pks(response) -> list:
    """The objects a change list answered with, in its order (all pages)."""
    return list(response.context["cl"].queryset.values_list("pk", flat=True))
