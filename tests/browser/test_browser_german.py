"""The German interface is German throughout: Chromium in de-DE opens every admin page a lead and
an annotator reach (the index, every list, add, change, history and delete page they may open,
the import and export pages, the project's annotation, agreement, adjudication and dataset
export pages) and fails on common English interface words in the visible text. What users wrote
(names, texts, descriptions in the database) is taken out first: it is data, not interface."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse

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


def german_words_on(tab, data: list[str]) -> list[str]:
    """The English interface words on the page, leaving out the data and what is in <code>
    (column names, file names and commands: the files' own, not words of the interface)."""
    tab.evaluate("document.querySelectorAll('code').forEach(c => c.style.display = 'none')")
    return sorted(set(ENGLISH.findall(interface_text(tab.inner_text("body"), data))))


def object_pages(user, model, opts) -> list[str]:
    """The change, history and delete pages of the first object the user sees."""
    first = roles.visible(user, model).order_by("pk").first()
    if first is None:
        return []
    name = f"admin:{opts.app_label}_{opts.model_name}"
    urls = [reverse(f"{name}_change", args=[first.pk]), reverse(f"{name}_history", args=[first.pk])]
    if roles.may(user, roles.DELETE, model, first):
        urls.append(reverse(f"{name}_delete", args=[first.pk]))
    return urls


def import_export_pages(user, opts) -> list[str]:
    """django-import-export's import and export pages of a model that has them."""
    urls = []
    for page, allowed in (("import", roles.can_import(user)), ("export", roles.can_export(user))):
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}")
        except NoReverseMatch:
            continue
        if allowed:
            urls.append(url)
    return urls


def pages_for(user, project: Project) -> list[str]:
    """The admin pages the user may open: lists, add, change, history and delete pages, import
    and export, the project's own."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label != "annotator" or not roles.may_use(user, model):
            continue
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls += object_pages(user, model, opts)
        if opts.model_name != "annotation" and roles.may(user, roles.ADD, model):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        urls += import_export_pages(user, opts)
    statement = Statement.objects.filter(document__project=project).order_by("pk").first()
    urls.append(reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}")
    if roles.is_lead(user):
        urls += [
            reverse("admin:annotator_project_agreement", args=[project.pk]),
            reverse("admin:annotator_project_agreement_sources", args=[project.pk]),
            reverse("admin:annotator_project_disagreements", args=[project.pk]),
            reverse("admin:annotator_project_adjudicate", args=[project.pk, statement.pk]),
            reverse("admin:annotator_project_export_dataset", args=[project.pk]),
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
        words = german_words_on(tab, data)
        if words:
            found[url] = words
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


@pytest.mark.parametrize(
    "rows,expected",
    [
        ("Neue Quelle,state_media,Russland,,Eine Quelle.\r\n", "Import bestätigen"),
        ("Neue Quelle,erfunden,Russland,,Eine Quelle.\r\n", "Wert 'erfunden' ist keine gültige"),
    ],
)
def test_an_import_preview_is_german(page, live_server, transactional_demo, rows, expected):
    german = page.context.browser.new_context(locale="de-DE")
    tab = german.new_page()
    tab.set_default_timeout(15_000)
    browser_login(tab, live_server, "lead", "lead-demo-2026")
    tab.goto(f"{live_server.url}{reverse('admin:annotator_source_import')}")
    content = ("name,kind,country,aliases,description\r\n" + rows).encode()
    tab.set_input_files(
        "input[name=import_file]",
        files=[{"name": "quellen.csv", "mimeType": "text/csv", "buffer": content}],
    )
    tab.select_option("select[name=format]", label="csv")
    tab.click("#content input[type=submit]")
    tab.wait_for_load_state("load")
    body = tab.inner_text("body")
    assert expected in body, body[body.index("Importieren") :]
    data = data_strings() + ["Neue Quelle", "erfunden", "Russland", "Eine Quelle."]
    words = german_words_on(tab, data)
    german.close()
    assert words == []
