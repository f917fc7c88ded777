"""A lead's session in a real browser, the parts the adjudication test does not walk: import
an article with its preview, and export a dataset (a background job that a worker runs), download
it and open it."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command

from annotator.models import Document, Statement
from tests.helpers import browser_login

pytestmark = pytest.mark.browser

TITLE = "Kiew meldet neue Angriffe"
ARTICLE = (
    f"{TITLE}\n"
    "Laut der ukrainischen Armee wurden zwei Drohnen abgeschossen. "
    "Experten vermuten eine neue Offensive.\n"
)


def test_a_lead_imports_an_article_after_its_preview(
    page, live_server, transactional_demo, tmp_path
):
    article = tmp_path / "kiew.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    browser_login(page, live_server, "lead", "lead-demo-2026")
    page.goto(f"{live_server.url}/admin/annotator/document/")
    page.click("#import-articles-link")
    page.select_option("select[name=project]", label=transactional_demo.name)
    page.set_input_files("input[type=file]", str(article))
    page.click("input[name=_preview]")

    page.wait_for_selector("#import-confirm-form")
    assert TITLE in page.inner_text(".import-preview")
    assert not Document.objects.filter(title=TITLE).exists()  # a preview writes nothing

    page.click("input[name=_confirm]")
    page.wait_for_selector(".messagelist")
    document = Document.objects.get(title=TITLE, project=transactional_demo)
    statements = list(document.statements.order_by("position"))
    assert [s.text for s in statements] == [
        "Laut der ukrainischen Armee wurden zwei Drohnen abgeschossen.",
        "Experten vermuten eine neue Offensive.",
    ]
    assert statements[1].suggested_source.name == "Unnamed experts"


def test_a_lead_downloads_a_dataset_and_opens_it(
    page, live_server, transactional_demo, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "storage"
    browser_login(page, live_server, "lead", "lead-demo-2026")
    page.goto(f"{live_server.url}/admin/annotator/project/{transactional_demo.pk}/change/")
    page.click("#export-dataset-link")
    page.select_option("select[name=format]", "jsonl")
    page.click("#dataset-export-form input[type=submit]")
    page.wait_for_url("**/admin/annotator/job/*/change/")
    assert page.locator(".job-download").count() == 0  # queued: nothing to download yet
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
    page.reload()
    with page.expect_download() as download_info:
        page.click(".job-download")
    download = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(download)

    with zipfile.ZipFile(download) as archive:
        names = archive.namelist()
        data_name = next(n for n in names if n.endswith(".jsonl") and ".documents." not in n)
        records = [json.loads(line) for line in archive.read(data_name).splitlines()]
        card = archive.read(next(n for n in names if n.endswith(".card.md"))).decode()
    statements = Statement.objects.filter(document__project=transactional_demo)
    assert len(records) == statements.count()
    first = records[0]
    assert first["text"] == statements.get(pk=first["id"]).text
    assert len(first["annotations"]) == 3
    assert transactional_demo.name in card
