"""The German interface is German throughout: Chromium in de-DE opens every admin page a lead and
an annotator reach (the index, every list, add and change page they may open, the project's
annotation, agreement and adjudication pages) and fails on common English interface words in
the visible text. What users wrote (names, texts, descriptions in the database) is taken out
first: it is data, not interface."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse

from annotator import roles
from annotator.models import Project, Statement
from tests.helpers import browser_login

pytestmark = pytest.mark.browser

# Words and phrases of an English interface that a German page never shows (whole words).
ENGLISH = re.compile(
    r"\b(Add|Change|Delete|Save|Search|Filter|Choose|Remove|selected|History|Home|Log out|"
    r"View site|Welcome|Show all|Hide|Yes|No|None|Unknown|Today|Action|Go|of|by|the|and|"
    r"with|required|optional|Annotate next|agreement|statement|statements|source|sources|"
    r"label|labels|project|projects|document|documents|annotation|annotations|gold|"
    r"unanimous|majority|adjudicated|decided|none|retired|key|hotkey|guidelines|schema)\b"
)


def data_strings() -> list[str]:
    """Every text the database holds (and the usernames), longest first."""
    texts = set()
    for model in apps.get_app_config("annotator").get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        for row in model.objects.values_list(*fields):
            texts.update(str(value) for value in row if value)
    from django.contrib.auth import get_user_model

    texts.update(get_user_model().objects.values_list("username", flat=True))
    return sorted(texts, key=len, reverse=True)


def interface_text(text: str, data: list[str]) -> str:
    for value in data:
        if len(value) > 1:
            text = text.replace(value, " ")
    return text


def pages_for(user, project: Project) -> list[str]:
    """The admin pages the user may open: lists, add and change pages, the project's own."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label != "annotator" or not roles.may_use(user, model):
            continue
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = roles.visible(user, model).order_by("pk").first()
        if first is not None:
            urls.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
        if opts.model_name != "annotation" and roles.may(user, roles.ADD, model):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    statement = Statement.objects.filter(document__project=project).order_by("pk").first()
    urls.append(reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}")
    if roles.is_lead(user):
        urls += [
            reverse("admin:annotator_project_agreement", args=[project.pk]),
            reverse("admin:annotator_project_agreement_sources", args=[project.pk]),
            reverse("admin:annotator_project_disagreements", args=[project.pk]),
            reverse("admin:annotator_project_adjudicate", args=[project.pk, statement.pk]),
        ]
    return urls


@pytest.mark.parametrize(
    "username,password", [("lead", "lead-demo-2026"), ("anna", "anna-demo-2026")]
)
def test_every_page_is_german_in_a_german_browser(
    page, live_server, transactional_demo, username, password
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    german = page.context.browser.new_context(locale="de-DE")
    tab = german.new_page()
    tab.set_default_timeout(15_000)
    browser_login(tab, live_server, username, password)
    data = data_strings()
    found = {}
    for url in pages_for(user, transactional_demo):
        response = tab.goto(f"{live_server.url}{url}")
        assert response.status < 500, url
        tab.wait_for_load_state("load")
        words = ENGLISH.findall(interface_text(tab.inner_text("body"), data))
        if words:
            found[url] = sorted(set(words))
    german.close()
    assert found == {}


@pytest.mark.parametrize(
    "locale,demo_names,study_names",
    [
        ("de-DE", ["Verzerrung", "nicht verzerrt"], ["Thema", "Militär", "Haltung"]),
        ("en-GB", ["Bias", "non-biased"], ["Topic", "military", "Stance"]),
    ],
)
def test_each_projects_form_shows_its_own_schema_in_the_browsers_language(
    page, live_server, transactional_demo, locale, demo_names, study_names
):
    study = Project.objects.get(name="Themen und Haltung (Demo)")
    context = page.context.browser.new_context(locale=locale)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    browser_login(tab, live_server, "anna", "anna-demo-2026")
    texts = {}
    for project in (transactional_demo, study):
        statement = Statement.objects.filter(document__project=project).order_by("pk").first()
        add = reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"
        tab.goto(f"{live_server.url}{add}")
        texts[project.pk] = tab.inner_text("fieldset:has(input[name^=label_group_])")
    context.close()
    for name in demo_names:
        assert name in texts[transactional_demo.pk] and name not in texts[study.pk]
    for name in study_names[:2]:
        assert name in texts[study.pk] and name not in texts[transactional_demo.pk]
    assert study_names[2] in texts[study.pk] and study_names[2] in texts[transactional_demo.pk]
