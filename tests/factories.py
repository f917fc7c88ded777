"""Test data for unit tests (factory_boy): small, explicit rows instead of the demo. The demo is
for integration tests, which need a realistic project.

Statements are made with their document, so `document.text[start:end] == statement.text`
always holds; annotations and gold labels are saved through their services (validation, label
history, automatic gold labels) by `annotated`.
"""

from __future__ import annotations

import re

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from annotator.adjudication.services import gold_label_decide
from annotator.annotation.services import annotation_save
from annotator.models import (
    Annotation,
    Document,
    GoldLabel,
    Label,
    LabelGroup,
    Project,
    Source,
    Statement,
)
from annotator.roles import ANNOTATORS_GROUP, LEADS_GROUP
from annotator.vocabulary.services import schema_copy, schema_entry_add, schema_groups_add


class UserFactory(factory.django.DjangoModelFactory):
    """`UserFactory(role="annotator")` or `UserFactory(role="lead")`."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        group = {"annotator": ANNOTATORS_GROUP, "lead": LEADS_GROUP}.get(extracted)
        if create and group:
            user.groups.add(Group.objects.get(name=group))


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    annotations_per_statement = 3

    @factory.post_generation
    def annotators(project, create, extracted, **kwargs):
        if create and extracted:
            project.annotators.add(*extracted)

    @factory.post_generation
    def schema(project, create, extracted, **kwargs):
        """The project's label schema: by default the template (every group not retired at
        creation); `schema=[groups]` for these alone."""
        if not create:
            return
        if extracted is None:
            schema_copy(project=project, source=None)
        else:
            schema_groups_add(project=project, groups=list(extracted))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Source {n}")
    kind = Source.Kind.OTHER


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document with one statement per sentence of its text, at exact offsets:
    `DocumentFactory(text="Laut KCNA ist alles gut. Experten bezweifeln das.")`."""

    class Meta:
        model = Document
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Artikel {n}")
    text = "Laut KCNA ist die Lage stabil. Experten bezweifeln das."
    language = "de"
    external_id = factory.Sequence(lambda n: f"doc-{n}")
    content_hash = factory.Sequence(lambda n: f"{n:064d}")

    @factory.post_generation
    def statements(document, create, extracted, **kwargs):
        if not create:
            return
        for position, sentence in enumerate(re.finditer(r"[^.!?\s][^.!?]*[.!?]", document.text)):
            Statement.objects.create(
                document=document,
                position=position,
                text=sentence.group(),
                start=sentence.start(),
                end=sentence.end(),
            )


class LabelGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabelGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Group {n}")
    multiple = False
    required = False


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label
        django_get_or_create = ("group", "name")

    group = factory.SubFactory(LabelGroupFactory)
    name = factory.Sequence(lambda n: f"label {n}")


def annotated(
    statement: Statement,
    annotator,
    *,
    grades: str = "C3",
    source: Source | None = None,
    labels: list[Label] = (),
    status: str = Annotation.Status.SUBMITTED,
) -> Annotation:
    """An annotation saved through the service, e.g. `annotated(statement, alice, grades="E5")`."""
    annotation = Annotation(
        statement=statement,
        annotator=annotator,
        source=source,
        source_mention=source.name if source else "",
        source_reliability=grades[0],
        info_credibility=grades[1],
        status=status,
    )
    schema_include(statement, labels)
    return annotation_save(annotation=annotation, labels=list(labels), changed_by=annotator)


def schema_include(statement: Statement, labels) -> None:
    """The labels' groups join the statement's project's schema (a group made in a test after
    its project), as a lead would add them."""
    project = statement.document.project
    for label in labels:
        schema_entry_add(project=project, group=label.group)


def decided(statement: Statement, lead, *, grades: str = "C3", labels=()) -> GoldLabel:
    """A gold label a lead decided, saved through the service."""
    gold = GoldLabel(statement=statement, source_reliability=grades[0], info_credibility=grades[1])
    schema_include(statement, labels)
    return gold_label_decide(gold=gold, labels=list(labels), decided_by=lead)
