"""Stored XSS, in a real browser: a script payload is written into every text field of every
model of the app and every name of every user (a `javascript:` URL into every URL field), then
every page of the admin (every URL pattern, with real ids, and every list searched for the
payload), the article import preview and the spreadsheet import preview are opened as an
annotator, a lead and a superuser. Any dialog fails the test, and so does any link or source
that starts with `javascript:`. Responses that are not HTML (the dataset zip, JSON) are no page
and are counted apart.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client

from annotator.models import GoldLabel, Job, Source
from annotator.roles import ANNOTATORS_GROUP, LEADS_GROUP
from tests.helpers import annotation_submit, label, make_user
from tests.security.world import admin_routes, login_records_create, objects_of, probes_count

pytestmark = pytest.mark.browser

SCRIPT_PAYLOADS = ("<img src=x onerror=alert(1)>", '"><script>alert(1)</script>')
URL_PAYLOAD = "javascript:alert(1)"
SKIPPED_ROUTES = {"logout", "login"}  # logging out would end the role's session
JAVASCRIPT_ATTRIBUTES = """() => [...document.querySelectorAll('[href],[src],[action]')]
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action'))
    .filter(v => /^\\s*javascript:/i.test(v))"""


def text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.name != "password"
    ]


def payload_for(field: models.Field, pk: int) -> str | None:
    """The longest payload the column holds; the row's id keeps unique columns unique."""
    if isinstance(field, models.URLField):
        return URL_PAYLOAD
    suffix = f" {pk}"
    for payload in ("".join(SCRIPT_PAYLOADS), *SCRIPT_PAYLOADS):
        if field.max_length is None or len(payload + suffix) <= field.max_length:
            return payload + suffix
    return None


def payload_models() -> list:
    """Every model of the app, the users and the login records (not the groups: their names
    are the roles)."""
    return [
        *apps.get_app_config("annotator").get_models(),
        get_user_model(),
        *apps.get_app_config("axes").get_models(),
    ]


def payloads_write() -> tuple[int, list[str]]:
    """Every row of every payload model; returns (fields written, fields too short for any
    payload)."""
    written, too_short = 0, []
    for model in payload_models():
        fields = text_fields(model)
        json_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        for pk in model.objects.values_list("pk", flat=True):
            values = {}
            for field in fields:
                payload = payload_for(field, pk)
                if payload is None:
                    too_short.append(f"{model._meta.label}.{field.name}")
                else:
                    values[field.name] = payload
            for field in json_fields:
                values[field.name] = {"note": SCRIPT_PAYLOADS[0], "source_mention": URL_PAYLOAD}
            model.objects.filter(pk=pk).update(**values)
        written += len(fields) + len(json_fields)
    return written, sorted(set(too_short))


def payload_world_build(project):
    """Annotator alice and bob disagree on a statement that has a gold label; a lead; a
    superuser. Every text reaches some page."""
    alice = make_user("alice", ANNOTATORS_GROUP)
    bob = make_user("bob", ANNOTATORS_GROUP)
    lead = make_user("lena", LEADS_GROUP)
    root = get_user_model().objects.create_superuser("root", password="root-long-password")
    project.annotators.add(alice, bob)
    statement = project.documents.order_by("id").first().statements.get(position=4)
    annotation_submit(statement, alice, reliability="B", credibility="2", note="alice")
    kcna = Source.objects.get(name="KCNA")
    annotation_submit(statement, bob, source=kcna, mention="laut KCNA", note="bob")
    GoldLabel.objects.update_or_create(
        statement=statement,
        defaults={"source_reliability": "E", "info_credibility": "5", "method": "adjudicated"},
    )[0].labels.set([label("Bias", "biased")])
    login_records_create("bob")
    Job.objects.create(
        kind=Job.Kind.EXPORT, project=project, created_by=lead, task_name="x", state="failed"
    )
    return {"annotator": alice, "lead": lead, "superuser": root}


def session_cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    return {"name": "sessionid", "value": cookie.value, "url": live_server.url}


def crawl_urls(project) -> list[str]:
    objects = objects_of(project)
    urls = []
    for route in admin_routes():
        if route.name in SKIPPED_ROUTES:
            continue
        urls.append(route.real_url(objects))
        if route.name == "annotator_project_export_dataset":
            urls.append(route.real_url(objects) + "?format=jsonl")  # the zip: no page
        if route.name.endswith("_changelist"):
            urls.append(route.real_url(objects) + "?q=" + SCRIPT_PAYLOADS[0])
    return urls


def test_no_page_runs_a_stored_script_for_any_role(page, live_server, transactional_demo, tmp_path):
    users = payload_world_build(transactional_demo)
    written, too_short = payloads_write()
    assert too_short == []
    probes_count("stored XSS: text fields written", written)
    urls = crawl_urls(transactional_demo)
    problems: list[tuple] = []
    current = {}
    page.on(
        "dialog",
        lambda dialog: (problems.append((*current.values(), dialog.message)), dialog.dismiss()),
    )
    for role, user in users.items():
        page.context.clear_cookies()
        page.context.add_cookies([session_cookie(live_server, user)])
        for url in urls:
            current.update(role=role, url=url)
            if not page_open(page, live_server.url + url, role):
                continue
            links = page.evaluate(JAVASCRIPT_ATTRIBUTES)
            if links:
                problems.append((role, url, f"javascript: in {links}"))
        if role != "annotator":
            current.update(role=role, url="uploads")
            uploads_preview(page, live_server, tmp_path, transactional_demo, role)
    assert problems == []


def page_open(page, url: str, role: str) -> bool:
    """Open a URL as a page; False (and counted) for a download, JSON, or an error status
    without a body (405), which a browser shows no page for."""
    answer = page.request.get(url)
    if "text/html" not in answer.headers.get("content-type", "") or not answer.body():
        probes_count(f"stored XSS: non-HTML answers skipped ({role})")
        return False
    page.goto(url)
    probes_count(f"stored XSS: pages opened ({role})")
    return True


def uploads_preview(page, live_server, tmp_path, project, role: str) -> None:
    """The two previews that only exist after an upload: articles and a spreadsheet."""
    article = tmp_path / f"article-{role}.txt"
    article.write_text(
        f"{SCRIPT_PAYLOADS[0]} Titel\nLaut {SCRIPT_PAYLOADS[1]} ist alles gut.\n",
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/admin/annotator/document/import-articles/")
    page.select_option("select[name=project]", str(project.pk))
    page.set_input_files("input[type=file]", str(article))
    page.click("input[name=_preview]")
    page.wait_for_selector("#import-confirm-form")
    probes_count(f"stored XSS: pages opened ({role})")
    sources = tmp_path / f"sources-{role}.csv"
    sources.write_text(
        "name,kind,country,aliases,description\n"
        f'"{SCRIPT_PAYLOADS[0]} {role}",other,"{SCRIPT_PAYLOADS[1]}",x,"{SCRIPT_PAYLOADS[0]}"\n',
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/admin/annotator/source/import/")
    page.set_input_files("input[type=file]", str(sources))
    page.select_option("select[name=format]", label="csv")
    page.click("form[enctype='multipart/form-data'] .submit-row input[type=submit]")
    page.wait_for_selector("input[name=confirm], .errornote, .errorlist")
    probes_count(f"stored XSS: pages opened ({role})")
