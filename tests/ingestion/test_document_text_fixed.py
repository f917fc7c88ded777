"""A segmented document's text cannot change: every statement is document.text[start:end], so
the admin shows the text read-only (with the reason), model validation and every save refuse a
change, and the Document import reports it as a row error and writes nothing."""

import pytest
import tablib
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from annotator import admin as annotator_admin  # noqa: F401 (registers the admins)
from annotator.datasets.resources import FORMATS
from annotator.models import Document, Project, Statement


def offsets_hold(document: Document) -> bool:
    document.refresh_from_db()
    statements = list(document.statements.all())
    return bool(statements) and all(
        document.text[statement.start : statement.end] == statement.text for statement in statements
    )


@pytest.fixture
def document(demo) -> Document:
    return demo.documents.first()


def change_form_data(document: Document, **overrides) -> dict:
    data = {
        "project": document.project_id,
        "title": document.title,
        "text": document.text,
        "language": document.language,
        "url": document.url,
        "place": document.place,
        "published_at": document.published_at.isoformat() if document.published_at else "",
        "outlet": document.outlet,
        "listed_sources": document.listed_sources,
        "external_id": document.external_id,
    }
    data.update(overrides)
    return data


def test_the_change_form_shows_a_segmented_text_read_only_with_the_reason(
    document, lead, client_for
):
    page = client_for(lead).get(reverse("admin:annotator_document_change", args=[document.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="text"' not in html
    assert "point into this text by their character offsets" in html


def test_posting_a_changed_text_keeps_the_text_and_every_offset(document, lead, client_for):
    original = document.text
    response = client_for(lead).post(
        reverse("admin:annotator_document_change", args=[document.pk]),
        change_form_data(document, text="Ganz anderer Text.\n" + original, place="Seoul"),
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.text == original
    assert document.place == "Seoul"  # the other fields still change
    assert offsets_hold(document)


def test_an_unsegmented_document_text_can_still_be_edited(lead, client_for, demo):
    document = Document.objects.create(
        project=demo, title="Leer", text="Noch nicht segmentiert.", language="de", content_hash="x"
    )
    response = client_for(lead).post(
        reverse("admin:annotator_document_change", args=[document.pk]),
        change_form_data(document, text="Korrigiert, noch nicht segmentiert."),
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.text == "Korrigiert, noch nicht segmentiert."


def test_model_validation_and_save_refuse_a_changed_text(document):
    original = document.text
    document.text = original.replace("KCNA", "XXXX")
    with pytest.raises(ValidationError, match="offsets"):
        document.full_clean()
    with pytest.raises(ValidationError, match="offsets"):
        document.save()
    assert Document.objects.get(pk=document.pk).text == original
    assert offsets_hold(document)


def test_a_document_reimport_that_changes_the_text_is_a_row_error(document, lead, client_for):
    client = client_for(lead)
    original = document.text
    headers = ["project", "external_id", "title", "text", "language"]
    row = [document.project.name, document.external_id, document.title, "Neu.", "de"]
    content = tablib.Dataset(row, headers=headers).export("csv").encode()
    formats = {fmt().get_title(): str(index) for index, fmt in enumerate(FORMATS)}
    preview = client.post(
        reverse("admin:annotator_document_import"),
        {
            "resource": "0",
            "format": formats["csv"],
            "import_file": SimpleUploadedFile("documents.csv", content),
        },
    )
    assert preview.status_code == 200
    result = preview.context["result"]
    errors = {row.number + 1: str(row.error) for row in result.invalid_rows}
    assert list(errors) == [2]
    assert "offsets point into" in errors[2]
    assert "confirm_form" not in preview.context
    assert Document.objects.get(pk=document.pk).text == original
    assert offsets_hold(document)


def admin_actions(model, user):
    """Every action the admin offers a lead on the list of `model`."""
    request = RequestFactory().get("/")
    request.user = user
    model_admin = admin.site._registry[model]
    return model_admin, sorted(model_admin.get_actions(request))


@pytest.mark.parametrize("model", [Document, Statement, Project], ids=lambda m: m.__name__)
def test_offsets_hold_after_every_admin_action_on_documents_and_statements(
    model, demo, lead, client_for
):
    client = client_for(lead)
    _model_admin, actions = admin_actions(model, lead)
    assert actions, model
    documents = list(Document.objects.filter(project=demo))
    selected = {
        Document: [document.pk for document in documents],
        Statement: list(
            Statement.objects.filter(document__in=documents).values_list("pk", flat=True)
        ),
        Project: [demo.pk],
    }[model]
    changelist = reverse(f"admin:annotator_{model._meta.model_name}_changelist")
    for action in actions:
        for confirmed in ({}, {"post": "yes"}):
            response = client.post(
                changelist, {"action": action, "_selected_action": selected, **confirmed}
            )
            assert response.status_code in (200, 302), (action, response.status_code)
        for document in Document.objects.filter(project=demo):
            assert offsets_hold(document), action
    # The annotated demo document is still there: deleting it is refused (protected).
    assert Document.objects.filter(pk=documents[0].pk).exists()
