"""Importing articles in the admin: upload, a preview that writes nothing, confirm; leads only."""

import json

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from import_export.admin import ExportMixin

from annotator.ingestion.admin import ArticleImportAdminMixin
from annotator.ingestion.reading import article_file_read
from annotator.ingestion.running import article_files_preview
from annotator.models import Document, Project, Statement
from tests.helpers import EXAMPLE_ARTICLE

ARTICLE = EXAMPLE_ARTICLE
UPLOAD_URL = "/admin/annotator/document/import-articles/"
HOSTILE = "<script>alert(1)</script>"

# A second admin site whose DocumentAdmin also mixes in django-import-export's ExportMixin,
# as the dataset export may do: both buttons must show (see test at the end).
export_site = admin.AdminSite(name="export_admin")


class ExportingDocumentAdmin(ExportMixin, ArticleImportAdminMixin, admin.ModelAdmin):
    pass


export_site.register(Document, ExportingDocumentAdmin)
urlpatterns = [path("admin/", admin.site.urls), path("export-admin/", export_site.urls)]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.ARTICLE_IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def upload(name: str, content: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def hostile_csv() -> SimpleUploadedFile:
    text = f"Laut KCNA ist {HOSTILE} harmlos. Die Denkfabrik ISW berichtete das Gegenteil."
    rows = f'title,text,external_id\n"Titel {HOSTILE}","{text}",x-1\n'
    return upload("hostile.csv", rows)


def bad_json() -> SimpleUploadedFile:
    return upload("broken.json", '[\n {"title": "Gut", "text": "Ein Satz."},\n {"title": }\n]')


def post_upload(client, project, *files, language="de"):
    return client.post(
        UPLOAD_URL, {"project": project.pk, "language": language, "files": list(files)}
    )


def test_leads_see_the_import_button_on_the_document_list(client_for, project, lead):
    page = client_for(lead).get(f"/admin/annotator/document/?project__id__exact={project.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="import-articles-link"' in html
    assert f"{UPLOAD_URL}?project={project.pk}" in html
    # django-import-export's buttons, mixed into DocumentAdmin too, are still there
    assert 'class="export_link"' in html and 'class="import_link"' in html


def test_annotators_may_not_import(client_for, project, annotator):
    client = client_for(annotator)
    assert client.get(UPLOAD_URL).status_code == 403
    assert post_upload(client, project, upload("a.txt", "T\nText.")).status_code == 403
    assert client.get(f"{UPLOAD_URL}{'a' * 32}/").status_code == 403


def test_the_preview_shows_what_would_be_imported_and_writes_nothing(
    client_for, project, lead, upload_dir
):
    client = client_for(lead)
    documents, statements = Document.objects.count(), Statement.objects.count()
    response = post_upload(
        client, project, hostile_csv(), upload(ARTICLE.name, ARTICLE.read_bytes()), bad_json()
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert (Document.objects.count(), Statement.objects.count()) == (documents, statements)
    # the new article: title, statement count, first statements, suggested sources
    assert f"Titel {HOSTILE}" not in html and "Titel &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<td class="statement-count">2</td>' in html
    assert "Laut KCNA ist &lt;script&gt;" in html
    assert "KCNA ×1" in html
    assert "Denkfabrik ISW ×1 <em>(not in the registry)</em>" in html
    # the demo article is already there; the broken file is reported with its line
    assert "already imported" in html
    assert "line 3: malformed JSON: Expecting value" in html
    assert "1 new document" in html and "1 already imported" in html
    assert "1 file with errors" in html
    assert "Confirm import" in html
    assert len(list(upload_dir.iterdir())) == 1


def test_confirm_imports_and_reports_the_summary(client_for, project, lead, upload_dir):
    client = client_for(lead)
    preview_url = post_upload(client, project, hostile_csv(), bad_json())["Location"]
    response = client.post(preview_url, {"_confirm": "Confirm import"})
    assert response.status_code == 302
    document = Document.objects.get(project=project, external_id="x-1")
    assert document.title == f"Titel {HOSTILE}"
    assert document.statements.count() == 2
    assert not Document.objects.filter(title="Gut").exists()  # the broken file: nothing
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert "Documents: 1 created, 0 unchanged, 1 failed." in shown[0]
    assert any("broken.json:3: malformed JSON" in message for message in shown)
    assert list(upload_dir.iterdir()) == []
    # the upload is gone: confirming twice imports nothing twice
    assert client.post(preview_url, {"_confirm": "Confirm import"}).status_code == 404
    page = client.get(response["Location"])
    assert HOSTILE not in page.content.decode()


def test_a_double_clicked_confirm_imports_once(client_for, project, lead):
    client = client_for(lead)
    preview_url = post_upload(client, project, hostile_csv())["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[1]
    client.post(preview_url, {"_confirm": "Confirm import"})
    session = client.session
    session["article_import_uploads"] = [token]  # as if the second click raced the first
    session.save()
    assert client.post(preview_url, {"_confirm": "Confirm import"}).status_code == 404
    assert Document.objects.filter(external_id="x-1").count() == 1


def test_cancel_discards_the_upload(client_for, project, lead, upload_dir):
    client = client_for(lead)
    preview_url = post_upload(client, project, hostile_csv())["Location"]
    client.post(preview_url, {"_cancel": "Cancel"})
    assert not Document.objects.filter(external_id="x-1").exists()
    assert list(upload_dir.iterdir()) == []


def test_an_upload_is_only_visible_to_the_session_that_made_it(
    client_for, client, project, lead, django_user_model
):
    preview_url = post_upload(client_for(lead), project, hostile_csv())["Location"]
    client.logout()
    other_lead = django_user_model.objects.create_superuser("root", password="x" * 20)
    client.force_login(other_lead)
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url, {"_confirm": "1"}).status_code == 404
    assert client.get(f"{UPLOAD_URL}{'a' * 32}/").status_code == 404


def test_the_stored_upload_is_read_and_checked_again_on_confirm(
    client_for, project, lead, upload_dir
):
    client = client_for(lead)
    preview_url = post_upload(client, project, hostile_csv())["Location"]
    (stored,) = upload_dir.glob("*/0.upload")
    stored.write_bytes(b"title,text\n,kein Titel\n")  # changed behind the preview's back
    response = client.post(preview_url, {"_confirm": "Confirm import"})
    assert not Document.objects.filter(external_id="x-1").exists()
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("hostile.csv:2: missing title" in message for message in shown)


def test_uploads_over_the_size_limit_are_refused(client_for, project, lead, settings):
    settings.ARTICLE_IMPORT_MAX_BYTES = 100
    response = post_upload(client_for(lead), project, upload("big.txt", "T\n" + "x" * 200))
    assert response.status_code == 200
    assert "at most 100\xa0bytes per upload" in response.content.decode()


def test_a_json_upload_in_english_is_imported(client_for, project, lead):
    client = client_for(lead)
    records = [{"title": "English", "text": "The ministry said the front was calm."}]
    preview_url = post_upload(
        client, project, upload("en.json", json.dumps(records)), language="en"
    )["Location"]
    client.post(preview_url, {"_confirm": "Confirm import"})
    document = Document.objects.get(project=project, title="English")
    assert document.language == "en"
    assert document.statements.get().suggested_mention == "The ministry"


@pytest.mark.urls(__name__)
def test_the_document_list_shows_both_import_and_export_buttons(client_for, lead):
    page = client_for(lead).get("/export-admin/annotator/document/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="import-articles-link"' in html and 'class="export_link"' in html


def test_a_project_that_is_gone_by_confirm_time_is_a_404(client_for, lead, db):
    client = client_for(lead)
    doomed = Project.objects.create(name="Doomed")
    preview_url = post_upload(client, doomed, hostile_csv())["Location"]
    doomed.delete()
    assert client.post(preview_url, {"_confirm": "1"}).status_code == 404
    assert reverse("admin:annotator_document_import_articles") == UPLOAD_URL


def records_file(name: str, records: list[dict]):
    return article_file_read(name=name, data=json.dumps(records).encode())


def test_the_preview_tells_new_articles_from_repeated_and_unpreviewed_ones(project):
    one, two = (
        {"title": "Eins", "text": "Laut KCNA ist es ruhig."},
        {"title": "Zwei", "text": "Ja."},
    )
    upload = records_file("a.json", [one, two, one, {**two, "external_id": "z"}])
    (preview,) = article_files_preview(project=project, files=[upload])
    assert [(r.new, r.repeated_in_upload) for r in preview.records] == [
        (True, False),
        (True, False),
        (False, True),
        (False, True),  # the same text under an id: imported once
    ]
    assert preview.records[0].statements == 1
    (limited,) = article_files_preview(project=project, files=[upload], max_chars=10)
    assert [r.statements for r in limited.records[:2]] == [1, None]  # over the budget


def test_the_preview_looks_up_imported_articles_in_a_fixed_number_of_queries(project):
    def queries(count: int) -> int:
        records = [
            {"title": f"T{n}", "text": "Ja.", "external_id": f"id-{n}"} for n in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            article_files_preview(project=project, files=[records_file("x.json", records)])
        return len(captured)

    assert queries(2) == queries(40)
