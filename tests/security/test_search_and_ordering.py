"""Beyond lookups, the other ways a list answers: search (`?q=`), autocomplete, sorting (`?o=`),
`_to_field`, `_changelist_filters`, date filters and the history view, for every list of the
admin and every text of somebody's labels. Alice searches for strings that only the labels she
may not see contain (conftest.secrets_plant), and sorts every column before and after those
labels change: nothing may be found, and no order may move."""

from __future__ import annotations

from itertools import cycle
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse

from annotator import roles
from annotator.models import Annotation, GoldLabel, Label, Source
from tests.security.world import listed_pks, probes_count, relations

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def opened_by_alice(world) -> list:
    client = world.client("annotator")
    return [model for model in REGISTERED if client.get(changelist_url(model)).status_code == 200]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_searching_any_list_for_somebodys_labels_finds_nothing(world, model):
    client = world.client("annotator")
    for secret in world.secrets:
        response = client.get(changelist_url(model), {"q": secret})
        probes_count("search: requests")
        assert response.status_code in (200, 403), (secret, response.status_code)
        if response.status_code == 200:
            assert listed_pks(response) == [], secret


def autocomplete_sources() -> list[tuple[str, str, str]]:
    """(app_label, model_name, field_name) for every foreign key and many-to-many field."""
    candidates = {*apps.get_app_config("annotator").get_models(), *admin.site._registry}
    return sorted(
        (model._meta.app_label, model._meta.model_name, field.name)
        for model in candidates
        for field in relations(model)
        if field.concrete and (field.many_to_one or field.many_to_many or field.one_to_one)
    )


@pytest.mark.parametrize("source", autocomplete_sources(), ids="-".join)
def test_autocomplete_answers_only_what_alice_may_see(world, source):
    app_label, model_name, field_name = source
    client = world.client("annotator")
    field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    visible = set(roles.visible(world.alice, field.related_model).values_list("pk", flat=True))
    for term in ["", *world.secrets]:
        query = {
            "app_label": app_label,
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        }
        response = client.get(reverse("admin:autocomplete"), query)
        probes_count("autocomplete: requests")
        assert response.status_code in (200, 403, 404), (query, response.status_code)
        if response.status_code != 200:
            continue
        found = {int(result["id"]) for result in response.json()["results"]}
        assert found <= visible, query
        if term:
            assert found == set(), query


def somebodys_labels_change(world) -> None:
    """Every label alice may not see changes: grades, source, labels, status, texts."""
    sources = cycle(Source.objects.order_by("-name"))
    labels = list(Label.objects.order_by("-pk")[:2])
    for model in (Annotation, GoldLabel):
        unseen = model.objects.exclude(pk__in=roles.visible(world.alice, model).values("pk"))
        for row in unseen:
            row.source = next(sources)
            row.source_reliability = "A" if row.source_reliability != "A" else "F"
            row.info_credibility = "1" if row.info_credibility != "1" else "6"
            row.note = f"changed {row.pk}"
            row.save()
            row.labels.set(labels)
        if model is Annotation:
            unseen.update(status=Annotation.Status.DRAFT)


def orderings(response) -> list[str]:
    columns = range(len(response.context["cl"].list_display))
    return [f"{sign}{column}" for column in columns for sign in ("", "-")]


def test_no_order_of_any_list_depends_on_somebodys_labels(world):
    client = world.client("annotator")
    before = {}
    for model in opened_by_alice(world):
        url = changelist_url(model)
        unsorted = set(listed_pks(client.get(url)))
        visible = set(roles.visible(world.alice, model).values_list("pk", flat=True))
        assert unsorted <= visible, url
        for order in orderings(client.get(url)):
            response = client.get(url, {"o": order})
            probes_count("ordering: requests")
            assert response.status_code == 200, (url, order)
            before[url, order] = listed_pks(response)
            assert set(before[url, order]) == unsorted, (url, order)
    somebodys_labels_change(world)
    for (url, order), listed in before.items():
        probes_count("ordering: requests")
        assert listed_pks(client.get(url, {"o": order})) == listed, (url, order)


def test_to_field_names_only_the_primary_key_for_annotators(world):
    client = world.client("annotator")
    for model in opened_by_alice(world):
        for field in model._meta.concrete_fields:
            response = client.get(changelist_url(model), {"_to_field": field.name, "_popup": 1})
            probes_count("_to_field: requests")
            expected = 200 if field.primary_key else 400
            assert response.status_code == expected, (model, field.name)


def test_changelist_filters_date_filters_and_unknown_parameters_are_refused(world):
    client = world.client("annotator")
    for model in opened_by_alice(world):
        url = changelist_url(model)
        preserved = urlencode({"annotations__in": world.bobs.pk, "statement__annotations": 1})
        queries = [{"_changelist_filters": preserved}, {"annotations": world.bobs.pk}]
        queries += [
            {f"{field.name}__year": "2026"}
            for field in model._meta.concrete_fields
            if isinstance(field, models.DateField)
        ]
        for query in queries:
            probes_count("changelist parameters: requests")
            assert client.get(url, query).status_code == 400, (url, query)


def test_the_history_of_what_alice_may_not_see_is_not_there(world):
    client = world.client("annotator")
    for model in opened_by_alice(world):
        opts = model._meta
        visible = roles.visible(world.alice, model)
        unseen = model.objects.exclude(pk__in=visible.values("pk")).first()
        seen = visible.first()
        if unseen is not None:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[unseen.pk])
            assert client.get(url).status_code == 404, url
            probes_count("history: requests")
        if seen is not None:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[seen.pk])
            response = client.get(url)
            probes_count("history: requests")
            assert response.status_code == 200, url
            assert not any(secret in response.content.decode() for secret in world.secrets)
