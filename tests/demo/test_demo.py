"""`python manage.py demo`: the example article, sources, label groups and accounts."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from annotator.models import (
    Annotation,
    Document,
    Label,
    LabelGroup,
    Project,
    Source,
    Statement,
)
from tests.helpers import labels_erase, load_demo


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Project, Document, Statement, Source, LabelGroup, Label, Annotation)
    }


def test_the_demo_holds_the_example_article(demo):
    document = Document.objects.get(project=demo)
    assert document.title.startswith("Nordkorea gesteht")
    assert document.place == "Kursk, Russland"
    assert document.language == "de"
    statements = list(document.statements.order_by("position"))
    assert len(statements) >= 20
    for statement in statements:
        assert document.text[statement.start : statement.end] == statement.text
    texts = [statement.text for statement in statements]
    assert not any("Details" in text or "|" in text for text in texts)
    assert "Einsätze und Auswirkungen" not in texts
    assert "Geopolitische Implikationen" not in texts
    assert not any(text.startswith("Nordkorea gesteht") for text in texts)


def test_the_demo_has_the_source_registry_and_label_groups(demo):
    kinds = dict(Source.objects.values_list("name", "kind"))
    assert kinds["KCNA"] == "state_media"
    assert kinds["Waleri Gerassimow"] == "military"
    assert kinds["Wolodymyr Selenskyj"] == "government"
    assert kinds["South Korean and western intelligence services"] == "intelligence"
    assert {"Russian government", "Ukrainian government", "North Korean government"} <= set(kinds)
    assert kinds["Unnamed experts"] == "expert"
    assert "Gerasimov" in Source.objects.get(name="Waleri Gerassimow").alias_list
    groups = {group.name: group for group in LabelGroup.objects.all()}
    assert groups["Bias"].required and not groups["Bias"].multiple
    assert not groups["Stance"].multiple
    assert groups["Persuasion techniques"].multiple


def test_three_demo_annotators_annotated_everything_and_disagree(demo):
    statements = Statement.objects.filter(document__project=demo).count()
    per_annotator = {
        username: Annotation.objects.filter(
            annotator__username=username, statement__document__project=demo
        ).count()
        for username in ("anna", "ben", "carla", "dora")
    }
    assert per_annotator == {"anna": statements, "ben": statements, "carla": statements, "dora": 0}
    codes_per_statement = {}
    for annotation in Annotation.objects.filter(statement__document__project=demo):
        codes_per_statement.setdefault(annotation.statement_id, set()).add(
            annotation.admiralty_code
        )
    disagreements = sum(len(codes) > 1 for codes in codes_per_statement.values())
    assert 0 < disagreements < statements


def test_running_the_demo_twice_duplicates_nothing_and_loses_nothing(demo):
    before = counts()
    changed = Annotation.objects.filter(annotator__username="anna").first()
    changed.note = "edited by anna after the first run"
    changed.save()
    load_demo()
    assert counts() == before
    changed.refresh_from_db()
    assert changed.note == "edited by anna after the first run"


@pytest.mark.parametrize(
    "username,password", [("lead", "lead-demo-2026"), ("dora", "dora-demo-2026")]
)
def test_demo_accounts_log_in_through_the_admin(demo, client, username, password):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_demo_refuses_to_run_with_debug_off(db):
    labels_erase()
    Project.objects.all().delete()
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG off"):
        call_command("demo")
    assert not Project.objects.exists()
