"""The lookup matrix, generated from the models' metadata: every admin change list (read from
admin.site._registry) × every forward and reverse relation path of one and two parts (read from
_meta.get_fields()) that reaches somebody's labels (Annotation, GoldLabel, LabelRevision) × the
lookups exact, in, gte, lt and isnull, sent by annotator alice with the ids of other people's
labels (bob's, the demo annotators', the gold labels) and of what they point to.

Every answer must be a 403 (a list alice may not open), a 400 (the lookup is refused), or a list
that is exactly what alice may see filtered by the lookup as if every row she may not see did
not exist. A relation added later is in the matrix without an edit here.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Q
from django.test import RequestFactory
from django.urls import reverse

from annotator import roles
from annotator.models import ProjectLabelGroup
from tests.security.world import (
    SecretWorld,
    listed_pks,
    probes_count,
    reaches_labels,
    relation_paths,
    relations,
)

VALUE_LOOKUPS = ("exact", "in", "gte", "lt")


def matrix_cases() -> list[tuple[str, str]]:
    return [
        (model._meta.label_lower, path)
        for model in admin.site._registry
        for path, models_on_path in relation_paths(model)
        if reaches_labels(models_on_path)
    ]


CASES = matrix_cases()


def models_on(model, path: str) -> list:
    models_on_path = [model]
    for part in path.split("__"):
        models_on_path.append(models_on_path[-1]._meta.get_field(part).related_model)
    return models_on_path


def others_ids(world: SecretWorld, model) -> list:
    """Ids of `model` that belong to other people's labels: the rows of labels alice may not
    see, or what those rows point to; else rows alice may not see; else any rows."""
    cache = world.__dict__.setdefault("others_ids", {})
    key = model._meta.label_lower
    if key not in cache:
        cache[key] = others_ids_find(world.alice, model)
    return cache[key]


def others_ids_find(user, model) -> list:
    unseen = model._default_manager.exclude(pk__in=roles.visible(user, model).values("pk"))
    if roles.model_label(model) in roles.LABEL_MODELS:
        return sorted(unseen.values_list("pk", flat=True))[:5]
    reached = set()
    for label_model in roles.LABEL_MODELS:
        label_model = apps.get_model(label_model)
        unseen_labels = label_model._default_manager.exclude(
            pk__in=roles.visible(user, label_model).values("pk")
        )
        for relation in relations(label_model):
            if relation.concrete and relation.related_model is model:
                reached |= set(unseen_labels.values_list(relation.name, flat=True)) - {None}
    if reached:
        return sorted(reached)[:5]
    everything = model._default_manager.values_list("pk", flat=True)
    return sorted(unseen.values_list("pk", flat=True))[:5] or sorted(everything)[:5] or [1]


def probes(path: str, ids: list) -> list[tuple[str, str, str]]:
    """(query parameter, value, lookup) for the path itself and for its end's primary key."""
    values = {
        "exact": str(ids[0]),
        "in": ",".join(map(str, ids)),
        "gte": str(min(ids)),
        "lt": str(max(ids) + 1),
    }
    cases = []
    for prefix in (path, f"{path}__pk"):
        cases += [(f"{prefix}__{lookup}", values[lookup], lookup) for lookup in VALUE_LOOKUPS]
    cases += [(f"{path}__isnull", flag, "isnull") for flag in ("True", "False")]
    return cases


def seen_only(user, model, path: str, lookup: str, value: str):
    """What the lookup answers over the rows `user` may see, each hop of the path restricted
    to them: the only answer that reveals nothing else."""
    base = roles.visible(user, model)
    parts = path.split("__")
    hops = models_on(model, path)[1:]
    seen = [roles.visible(user, hop) for hop in hops]
    if lookup == "isnull":
        linked = seen[-1]
        for part, hop_seen in zip(reversed(parts[1:]), reversed(seen[:-1]), strict=True):
            linked = hop_seen.filter(**{f"{part}__in": linked})
        if value == "False":
            return base.filter(**{f"{parts[0]}__in": linked})
        # Django's LEFT JOINs: no first hop, or a first hop without a second.
        unlinked = Q(**{f"{parts[0]}__in": seen[0]})
        if len(parts) == 2:
            partial = seen[0].exclude(**{f"{parts[1]}__in": seen[1]})
            return base.filter(~unlinked | Q(**{f"{parts[0]}__in": partial}))
        return base.exclude(unlinked)
    operand = value.split(",") if lookup == "in" else value
    matched = seen[-1].filter(**{f"pk__{lookup}": operand})
    for part, hop_seen in zip(reversed(parts[1:]), reversed(seen[:-1]), strict=True):
        matched = hop_seen.filter(**{f"{part}__in": matched})
    return base.filter(**{f"{parts[0]}__in": matched})


def naive(user, model, parameter: str, lookup: str, value: str):
    """What the list would answer if the lookup were simply applied to alice's list."""
    operand = value.split(",") if lookup == "in" else value
    if lookup == "isnull":
        operand = value == "True"
    return roles.visible(user, model).filter(**{parameter: operand})


def alice_may_open(world: SecretWorld, model) -> bool:
    request = RequestFactory().get("/")
    request.user = world.alice
    return admin.site._registry[model].has_view_permission(request)


@pytest.mark.parametrize(("model_label", "path"), CASES, ids=[f"{m}:{p}" for m, p in CASES])
def test_a_lookup_through_somebodys_labels_answers_nothing_of_them(world, model_label, path):
    model = next(m for m in admin.site._registry if m._meta.label_lower == model_label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client = world.client("annotator")
    may_open = alice_may_open(world, model)
    end_model = models_on(model, path)[-1]
    for parameter, value, lookup in probes(path, others_ids(world, end_model)):
        response = client.get(url, {parameter: value})
        probes_count("lookup matrix: requests")
        if not may_open:
            assert response.status_code == 403, (parameter, value, response.status_code)
            continue
        probes_count("lookup matrix: requests to lists alice opens")
        expected = set(
            seen_only(world.alice, model, path, lookup, value).values_list("pk", flat=True)
        )
        naive_answer = naive(world.alice, model, parameter, lookup, value)
        if set(naive_answer.values_list("pk", flat=True)) != expected:
            probes_count("lookup matrix: probes a naive list would answer with others' data")
        if response.status_code == 400:
            probes_count("lookup matrix: refused (400)")
            continue
        assert response.status_code == 200, (parameter, value, response.status_code)
        assert set(listed_pks(response)) == expected, (parameter, value)


def test_every_list_an_annotator_opens_is_in_the_matrix(world):
    opened = {m._meta.label_lower for m in admin.site._registry if alice_may_open(world, m)}
    assert opened == {
        "annotator.project",
        "annotator.source",
        "annotator.labelgroup",
        "annotator.label",
        "annotator.projectlabelgroup",
        "annotator.annotation",
    }
    # No path of one or two parts from a schema entry reaches somebody's labels (project,
    # its annotators and documents; group, its labels): nothing to probe there.
    assert not any(reaches_labels(models) for _, models in relation_paths(ProjectLabelGroup))
    assert opened - {"annotator.projectlabelgroup"} <= {model_label for model_label, _ in CASES}


@pytest.mark.parametrize("role", ["annotator", "outsider"])
@pytest.mark.parametrize(
    "query",
    [
        "source/?annotations={annotation}",
        "label/?annotations={annotation}",
        "source/?goldlabels={gold}",
        "label/?goldlabels={gold}",
        "source/?annotations__in={annotation},{other}",
        "source/?annotations__gte={annotation}",
        "label/?annotations__isnull=False",
        "source/?annotations__id__exact={annotation}",
        "labelgroup/?labels__annotations={annotation}",
        "project/?annotators__annotations={annotation}",
    ],
)
def test_the_reported_reverse_lookups_are_refused(world, role, query):
    """As reported: an annotator (even one in no project, without an annotation of her own)
    listed exactly the source and labels of anybody's annotation by its sequential id."""
    query = query.format(annotation=world.bobs.pk, other=world.alices.pk, gold=world.gold.pk)
    response = world.client(role).get(f"/admin/annotator/{query}")
    assert response.status_code == 400
    # ... and the naive answer would have been bob's source: the probe is a real one.
    assert "KCNA" not in response.content.decode()


def test_the_matrix_would_catch_the_reported_leak(world):
    """The oracle and the probes have teeth: answered naively, the reported lookup lists bob's
    source; over what alice may see, it lists nothing."""
    source = next(m for m in admin.site._registry if m._meta.label_lower == "annotator.source")
    bobs = str(world.bobs.pk)
    leaked = naive(world.alice, source, "annotations__exact", "exact", bobs)
    assert [s.name for s in leaked] == ["KCNA"]
    assert not seen_only(world.alice, source, "annotations", "exact", bobs).exists()
    own = str(world.alices.pk)
    assert seen_only(world.alice, source, "annotations", "isnull", "False").count() == (
        source.objects.filter(annotations__annotator=world.alice).distinct().count()
    )
    assert seen_only(world.alice, source, "annotations", "exact", own).count() == (
        source.objects.filter(annotations=world.alices).count()
    )
