"""A suggested mention that matches no registry Source: leads make it a Source in one step, the
matching statements are re-linked, and later imports use the alias learnt that way."""

import pytest
from django.core.exceptions import ValidationError

from annotator.ingestion.services import document_create
from annotator.models import Document, Project, Source, Statement
from annotator.registry.selectors import source_index_build
from annotator.registry.services import source_create_from_mention


@pytest.fixture
def imports(db) -> Project:
    return Project.objects.create(name="Imports")


def imported(project: Project, title: str, text: str) -> Document:
    document, created = document_create(
        project=project,
        title=title,
        text=text,
        language="de",
        source_index=source_index_build(),
    )
    assert created
    return document


def statement(fragment: str) -> Statement:
    return Statement.objects.select_related("suggested_source").get(text__contains=fragment)


@pytest.fixture
def isw(imports) -> list[Statement]:
    imported(imports, "Eins", "Die Denkfabrik ISW berichtete, dass die Front stabil sei.")
    imported(imports, "Zwei", "Nach Angaben der Denkfabrik ISW rückten die Truppen vor.")
    imported(imports, "Drei", "Ein Sprecher des Kremls sagte, alles laufe nach Plan.")
    imported(imports, "Vier", "Der Kreml erklärte, alles laufe nach Plan.")
    return [statement("berichtete"), statement("rückten")]


def test_a_mention_without_a_registry_source_is_still_suggested_as_text(isw):
    assert [(s.suggested_mention, s.suggested_source) for s in isw] == [
        ("Die Denkfabrik ISW", None),
        ("der Denkfabrik ISW", None),
    ]


def test_creating_the_source_relinks_every_statement_with_a_matching_mention(isw):
    source, relinked = source_create_from_mention(statement=isw[0])
    assert (source.name, source.kind, source.alias_list) == (
        "Denkfabrik ISW",
        Source.Kind.OTHER,
        ["Denkfabrik ISW"],
    )
    assert statement("berichtete").suggested_source == source
    assert statement("rückten").suggested_source == source
    assert relinked == 1
    assert statement("Der Kreml").suggested_source.name == "Russian government"


def test_later_imports_use_the_learnt_alias(imports, isw):
    source, _ = source_create_from_mention(
        statement=isw[1], name="Institute for the Study of War", kind=Source.Kind.NGO
    )
    assert source.alias_list == ["Denkfabrik ISW"]
    imported(imports, "Fünf", "Laut der Denkfabrik ISW ist die Lage ernst.")
    assert statement("Lage ernst").suggested_source == source


def test_the_mention_can_become_an_alias_of_an_existing_source(imports, demo):
    imported(imports, "Pjöngjang", "Pjöngjangs Staatsagentur meldete einen großen Erfolg.")
    kcna = Source.objects.get(name="KCNA")
    source, _ = source_create_from_mention(statement=statement("großen Erfolg"), source=kcna)
    assert source == kcna and "Pjöngjangs Staatsagentur" in kcna.alias_list
    assert Source.objects.get(name="KCNA").alias_list == kcna.alias_list
    assert statement("großen Erfolg").suggested_source == kcna


def test_a_longer_learnt_alias_takes_over_matching_statements_only(isw):
    spokesman = statement("Sprecher")
    assert spokesman.suggested_source.name == "Russian government"  # via the alias "Kreml"
    source, _ = source_create_from_mention(statement=spokesman, name="Kremlsprecher")
    assert source.alias_list == ["Sprecher des Kremls"]
    assert statement("Sprecher").suggested_source == source
    assert statement("Der Kreml").suggested_source.name == "Russian government"


def test_a_statement_without_a_mention_cannot_make_a_source(imports):
    imported(imports, "Ohne", "Das Wetter ist schön.")
    with pytest.raises(ValidationError):
        source_create_from_mention(statement=statement("Wetter"))


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_action_creates_sources_for_the_selected_statements(client_for, lead, isw):
    selected = [*isw, statement("Der Kreml")]
    response = client_for(lead).post(
        "/admin/annotator/statement/",
        {"action": "sources_create_from_mentions", "_selected_action": [s.pk for s in selected]},
        follow=True,
    )
    assert "1 source created or given a new alias (Denkfabrik ISW); 2 statements" in (
        response.content.decode()
    )
    source = Source.objects.get(name="Denkfabrik ISW")
    assert {statement("berichtete").suggested_source, statement("rückten").suggested_source} == {
        source
    }
    assert statement("Der Kreml").suggested_source.name == "Russian government"


def test_the_statement_page_creates_the_source_in_one_step(client_for, lead, isw):
    client = client_for(lead)
    page = client.get(f"/admin/annotator/statement/{isw[0].pk}/change/").content.decode()
    form_url = f"/admin/annotator/statement/{isw[0].pk}/source-from-mention/"
    assert f'href="{form_url}"' in page
    form = client.get(form_url)
    assert form.status_code == 200 and 'value="Denkfabrik ISW"' in form.content.decode()
    response = client.post(form_url, {"name": "ISW", "kind": "ngo", "existing": ""})
    source = Source.objects.get(name="ISW")
    assert response["Location"] == f"/admin/annotator/source/{source.pk}/change/"
    assert (source.kind, source.alias_list) == ("ngo", ["Denkfabrik ISW"])
    assert statement("rückten").suggested_source == source


def test_annotators_cannot_create_sources_from_mentions(client_for, annotator, isw):
    client = client_for(annotator)
    url = f"/admin/annotator/statement/{isw[0].pk}/source-from-mention/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "ISW", "kind": "other"}).status_code == 403
    assert not Source.objects.filter(name="ISW").exists()
