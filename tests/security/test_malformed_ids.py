"""No 500 anywhere for malformed input, generated from the code:

- every URL pattern of the admin (read from the resolver, every get_urls included) with each of
  its parameters replaced by a non-numeric, a negative and a huge id, for each role (anonymous,
  annotator, lead, superuser); and the ids of query strings (list filters, pages, sorting,
  "annotate this statement", autocomplete pages);
- every form each role can open (read from the page and its context) posted once per typed
  field with a wrong value: a string or a huge number where an id or a number is expected, an
  unknown choice, an impossible date.
"""

from __future__ import annotations

from contextlib import suppress
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.forms.formsets import BaseFormSet

from annotator.models import Annotation, GoldLabel
from tests.helpers import group_field
from tests.security.world import ROLES, admin_routes, objects_of, probes_count

BAD_IDS = ("abc", "-1", "99999999999999999999")
BAD_CHOICE = "ZZZ-no-such-choice"
BAD_DATE = "2026-13-45"
ROUTES = admin_routes()
# Buttons that save the same form the same way: one of them is enough.
SAME_SAVE = {"_save", "_addanother", "_continue", "_saveasnew", "_annotate_next", "_save_draft"}


def assert_no_server_error(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code)


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_no_url_of_the_admin_answers_500_for_a_malformed_id(world, route):
    objects = objects_of(world.project)
    real = route.real_values(objects)
    for role in ROLES:
        client = world.client(role)
        for parameter in route.parameters:
            for bad in BAD_IDS:
                url = route.url({**real, parameter: bad})
                probes_count("malformed ids: URL requests")
                assert_no_server_error(client.get(url), (role, url))
        for query in query_string_ids(route):
            url = route.real_url(objects).split("?")[0]
            for bad in BAD_IDS:
                probes_count("malformed ids: URL requests")
                response = client.get(url, {**query_base(route, objects), query: bad})
                assert_no_server_error(response, (role, url, query, bad))


def query_string_ids(route) -> list[str]:
    """The query-string parameters of a view that carry ids, pages or column numbers."""
    if route.name == "annotator_annotation_add":
        return ["statement"]
    if route.name == "autocomplete":
        return ["page", "app_label", "field_name"]
    if route.name.endswith("_changelist"):
        return ["p", "o", *changelist_filter_parameters(route)]
    if route.name in ("annotator_project_agreement", "annotator_project_agreement_sources"):
        return ["document", "annotator", "submitted_from"]
    if route.name in ("annotator_project_disagreements", "annotator_project_adjudicate"):
        return ["document", "source", "field", "page"]
    if route.name == "annotator_project_export_dataset":
        return ["format", "since"]
    return []


def changelist_filter_parameters(route) -> list[str]:
    model = next(
        m
        for m in admin.site._registry
        if route.name == f"{m._meta.app_label}_{m._meta.model_name}_changelist"
    )
    model_admin = admin.site._registry[model]
    parameters = []
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, str):
            parameters += [f"{list_filter}__exact", f"{list_filter}__id__exact"]
        elif isinstance(list_filter, type):
            parameters.append(list_filter.parameter_name)
    return sorted({*parameters, *model_admin.annotator_lookups})


def query_base(route, objects) -> dict:
    if route.name == "autocomplete":
        return {"app_label": "annotator", "model_name": "annotation", "field_name": "source"}
    if route.name == "annotator_project_export_dataset":
        return {"format": "jsonl"}
    return {}


# --- forms -----------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The POST forms of a page as a browser would submit them: their fields, the values they
    hold, their named submit buttons, and the inputs whose values are ids."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "").lower() == "post":
                self.forms.append({"data": {}, "submits": [], "ids": set()})
            return
        if not self.forms or not attrs.get("name"):
            return
        form, name = self.forms[-1], attrs["name"]
        kind = (attrs.get("type") or "text").lower()
        if tag in ("input", "button") and kind == "submit":
            form["submits"].append((name, attrs.get("value", "")))
        elif tag == "input" and kind in ("checkbox", "radio"):
            if (attrs.get("value") or "").lstrip("-").isdigit():
                form["ids"].add(name)
            if "checked" in attrs:
                form["data"].setdefault(name, []).append(attrs.get("value", "on"))
        elif tag == "input" and kind not in ("file", "button", "reset", "image"):
            form["data"][name] = [attrs.get("value", "")]
        elif tag == "select":
            self.select, self.options = (name, "multiple" in attrs), []
        elif tag == "textarea":
            self.textarea = name
            form["data"][name] = [""]
        if tag == "option" and self.select:
            self.options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self.textarea and self.forms:
            self.forms[-1]["data"][self.textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select and self.forms:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            if not chosen and not multiple and self.options:
                chosen = [self.options[0][0]]
            self.forms[-1]["data"][name] = chosen
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def context_forms(response) -> list[forms.BaseForm]:
    found: list[forms.BaseForm] = []

    def add(item):
        if isinstance(item, helpers.AdminForm):
            add(item.form)
        elif isinstance(item, helpers.InlineAdminFormSet):
            add(item.formset)
        elif isinstance(item, BaseFormSet):
            found.append(item.management_form)
            found.extend(item.forms)
        elif isinstance(item, forms.BaseForm):
            found.append(item)

    context = response.context
    if context is None:
        return found
    for key in ("adminform", "form", "action_form", "formset"):
        with suppress(KeyError):
            add(context[key])
    with suppress(KeyError):
        for formset in context["inline_admin_formsets"]:
            add(formset)
    with suppress(KeyError, AttributeError):
        add(context["cl"].formset)
    return found


def bad_values(field: forms.Field) -> tuple[str, ...]:
    if isinstance(field, forms.ModelChoiceField | forms.IntegerField | forms.DecimalField):
        return BAD_IDS
    if isinstance(field, forms.FloatField):
        return BAD_IDS
    if isinstance(field, forms.ChoiceField):
        # An unknown choice ("Z" for a grade, say), and a number no column holds.
        return (BAD_CHOICE, BAD_IDS[-1])
    if isinstance(field, forms.DateField | forms.DateTimeField | forms.TimeField):
        return (BAD_DATE,)
    return ()


def typed_fields(response) -> dict[str, tuple[str, ...]]:
    typed = {}
    for form in context_forms(response):
        for name, field in form.fields.items():
            values = bad_values(field)
            if values:
                typed[form.add_prefix(name)] = values
    return typed


def submit_variants(form: dict) -> list[dict]:
    submits = form["submits"]
    if not submits:
        return [form["data"]]
    first, *others = submits
    variants = [first] + [s for s in others if s[0] not in SAME_SAVE and s[0] != first[0]]
    return [{**form["data"], name: [value]} for name, value in dict(variants).items()]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_no_form_answers_500_for_wrongly_typed_values(world, route):
    objects = objects_of(world.project)
    url = route.real_url(objects)
    for role in ROLES[1:]:
        client = world.client(role)
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        reader = FormReader()
        reader.feed(page.content.decode())
        typed = typed_fields(page)
        for form in reader.forms:
            targets = {name: typed[name] for name in form["data"] if name in typed}
            targets.update({name: BAD_IDS for name in form["ids"]})
            for baseline in submit_variants(form):
                for name, values in targets.items():
                    for bad in values:
                        probes_count("malformed ids: form posts")
                        response = client.post(url, {**baseline, name: bad})
                        assert_no_server_error(response, (role, url, name, bad))


# --- the reported cases, readable ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/annotator/project/abc/annotate/",
        "/admin/annotator/project/abc/export-dataset/",
        "/admin/annotator/statement/abc/source-from-mention/",
        "/admin/annotator/project/99999999999999999999/annotate/",
        "/admin/annotator/annotation/add/?statement=99999999999999999999",
    ],
)
@pytest.mark.parametrize("role", ["annotator", "lead"])
def test_the_reported_malformed_urls_are_not_found(world, url, role):
    assert world.client(role).get(url).status_code in (403, 404)


def test_posting_source_abc_re_renders_the_forms_with_an_error(world):
    statement = objects_of(world.project)["annotator.statement"]
    annotator = world.client("annotator")
    data = {
        "source": "abc",
        "source_reliability": "C",
        "info_credibility": "3",
        group_field("Bias"): "99999999999999999999",
    }
    add = annotator.post(f"/admin/annotator/annotation/add/?statement={statement.pk}", data)
    assert add.status_code == 200
    assert add.context["adminform"].form.errors.keys() >= {"source", group_field("Bias")}
    change = annotator.post(f"/admin/annotator/annotation/{world.alices.pk}/change/", data)
    assert change.status_code == 200 and "source" in change.context["adminform"].form.errors
    lead = world.client("lead")
    gold = lead.post(f"/admin/annotator/goldlabel/{world.gold.pk}/change/", data)
    assert gold.status_code == 200 and "source" in gold.context["adminform"].form.errors
    adjudicate = lead.post(
        f"/admin/annotator/project/{world.project.pk}/disagreements/{world.bobs.statement_id}/",
        {**data, "method": "adjudicated"},
    )
    assert adjudicate.status_code == 200 and "source" in adjudicate.context["form"].errors
    assert not Annotation.objects.filter(statement=statement, annotator=world.alice).exists()
    assert GoldLabel.objects.get(pk=world.gold.pk).source_id == world.gold.source_id
