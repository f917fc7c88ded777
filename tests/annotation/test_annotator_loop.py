"""The annotator's loop on the server: drafts without required fields, skips with a reason (the
lead's flags), the queue's order, the mention span kept exact, seconds and guidelines version
stored, the automatic save, and the hotkeys' assignment."""

import re
import time

import pytest
from django.core import signing
from django.urls import reverse

from annotator.annotation.forms import OPENED_SALT
from annotator.annotation.hotkeys import ACTION_HOTKEYS, RESERVED, label_hotkeys
from annotator.annotation.selectors import annotation_queue, next_statement
from annotator.annotation.services import annotation_save
from annotator.ingestion.services import document_create
from annotator.labelling import label_groups_offered
from annotator.models import Annotation, GoldLabel, Label, LabelGroup, Statement
from tests.helpers import (
    annotation_add_url,
    annotation_form_data,
    annotation_submit,
    group_field,
    label,
)


def annotate_url(project) -> str:
    return reverse("admin:annotator_project_annotate", args=[project.pk])


def test_a_draft_saves_whatever_is_filled_in(client_for, project, annotator):
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    data = annotation_form_data(
        source_reliability="B", info_credibility="", _annotate_next=None, _save_draft="1"
    )
    data[group_field("Bias")] = ""  # a required group, left empty
    response = client.post(annotation_add_url(first), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Annotation.objects.get(statement=first, annotator=annotator)
    assert (draft.status, draft.source_reliability, draft.info_credibility) == ("draft", "B", "")
    assert draft.submitted_at is None
    # "Annotate next" serves the next untouched statement, not the draft.
    follow = client.get(response["Location"])
    assert follow["Location"].endswith(f"?statement={first.pk + 1}") or (
        f"statement={first.pk}" not in follow["Location"]
    )
    asked = client.get(annotate_url(project) + "?drafts=1")
    assert asked["Location"] == reverse("admin:annotator_annotation_change", args=[draft.pk])


def test_submitting_still_requires_every_field(client_for, project, annotator):
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    response = client.post(annotation_add_url(first), annotation_form_data(info_credibility=""))
    assert response.status_code == 200
    page = response.content.decode()
    # The error at the top of the form, and the values kept.
    assert 'id="error-summary"' in page
    assert page.index('id="error-summary"') < page.index('id="statement-box"')
    assert 'value="C" class="radiolist" required id="id_source_reliability_2" checked' in (
        page
    ) or ('value="C"' in page and "checked" in page)
    assert not Annotation.objects.filter(annotator=annotator).exists()


def test_a_skip_goes_to_the_end_of_the_queue_and_reaches_the_lead(
    client_for, project, annotator, lead
):
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    data = annotation_form_data(
        source_reliability="", info_credibility="", _annotate_next=None, _skip="1"
    )
    data["skip_reason"] = "segmentation"
    response = client.post(annotation_add_url(first), data)
    assert response.status_code == 302
    skipped = Annotation.objects.get(statement=first, annotator=annotator)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "segmentation")
    queue = list(annotation_queue(project=project, user=annotator))
    assert queue[-1] == first and first not in queue[:-1]
    assert next_statement(project=project, user=annotator) != first
    # Everything else submitted: the skipped statement comes back.
    for statement in queue[:-1]:
        annotation_submit(statement, annotator)
    assert next_statement(project=project, user=annotator) == first

    page = client_for(lead).get(reverse("admin:annotator_project_change", args=[project.pk]))
    text = page.content.decode()
    assert 'class="flag"' in text and "segmentation error" in text
    assert first.text[:60] in text


def test_the_mention_span_is_kept_exact(client_for, project, annotator):
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    word = first.text.split()[0].strip(",.")
    start = first.start + first.text.index(word)
    wrong = annotation_form_data(
        source_mention="KCNA", source_mention_start=start, source_mention_end=start + len(word)
    )
    response = client.post(annotation_add_url(first), wrong)
    assert response.status_code == 200
    assert "no longer matches the selected words" in response.content.decode()
    assert not Annotation.objects.filter(annotator=annotator).exists()

    outside = annotation_form_data(
        source_mention=word, source_mention_start=start, source_mention_end=start + 10**6
    )
    assert client.post(annotation_add_url(first), outside).status_code == 200
    assert not Annotation.objects.filter(annotator=annotator).exists()

    right = annotation_form_data(
        source_mention=word, source_mention_start=start, source_mention_end=start + len(word)
    )
    assert client.post(annotation_add_url(first), right).status_code == 302
    saved = Annotation.objects.get(annotator=annotator)
    assert first.document.text[saved.source_mention_start : saved.source_mention_end] == word


def test_seconds_and_guidelines_version_are_stored(client_for, project, annotator):
    project.guidelines_version = "2.1"
    project.save()
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    opened = signing.dumps(int(time.time()) - 42, salt=OPENED_SALT)
    response = client.post(annotation_add_url(first), annotation_form_data(opened=opened))
    assert response.status_code == 302
    saved = Annotation.objects.get(annotator=annotator, statement=first)
    assert 42 <= saved.seconds_spent <= 60
    assert saved.guidelines_version == "2.1"
    # A forged time counts nothing.
    second = next_statement(project=project, user=annotator)
    client.post(annotation_add_url(second), annotation_form_data(opened="12345"))
    assert Annotation.objects.get(statement=second, annotator=annotator).seconds_spent == 0


def test_the_automatic_save_keeps_a_draft_and_never_unsubmits(client_for, project, annotator):
    client = client_for(annotator)
    first = next_statement(project=project, user=annotator)
    data = annotation_form_data(info_credibility="", _annotate_next=None, _autosave="1")
    response = client.post(annotation_add_url(first), data)
    assert response.status_code == 200
    answer = response.json()
    draft = Annotation.objects.get(annotator=annotator)
    assert answer["saved"] and answer["version"] == draft.version and draft.status == "draft"
    submitted = annotation_submit(next_statement(project=project, user=annotator), annotator)
    change = reverse("admin:annotator_annotation_change", args=[submitted.pk])
    response = client.post(change, {**data, "seen_version": submitted.version})
    assert response.status_code == 409
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_every_choice_and_action_declares_a_hotkey(client_for, project, annotator):
    client = client_for(annotator)
    page = client.get(
        annotation_add_url(next_statement(project=project, user=annotator))
    ).content.decode()
    for grade in "ABCDEF":
        assert f'value="{grade}"' in page
        assert f'aria-keyshortcuts="{grade}"' in page
    # The project's schema: a group of the vocabulary outside it is not on the page.
    offered = label_groups_offered(project)
    for label_object in Label.objects.filter(group__in=offered, retired_at__isnull=True):
        assert f'value="{label_object.pk}"' in page
    keys = label_hotkeys(offered)
    # The first statement of the document has no previous one.
    actions = {name: key for name, key in ACTION_HOTKEYS.items() if name != "previous"}
    for key in {*keys.values(), *actions.values()}:
        assert f'aria-keyshortcuts="{key}"' in page


@pytest.mark.parametrize("language, shown", [("en", "Ctrl+Enter"), ("de", "Strg+Enter")])
def test_modifier_keys_are_shown_as_the_keyboard_labels_them(
    client_for, project, annotator, language, shown
):
    statement = next_statement(project=project, user=annotator)
    page = client_for(annotator).get(annotation_add_url(statement), HTTP_ACCEPT_LANGUAGE=language)
    page = page.content.decode()
    save_next = re.search(r'<input type="submit" value="([^"]*)"[^>]*name="_annotate_next"', page)
    assert save_next.group(1).endswith(f" · {shown}")
    assert 'name="_annotate_next" aria-keyshortcuts="Control+Enter"' in page


def test_label_hotkeys_are_unique_and_leave_grades_and_actions_alone(db):
    group = LabelGroup.objects.create(name="Many", multiple=True)
    for number in range(20):
        Label.objects.create(group=group, name=f"label {number}", position=number)
    keys = label_hotkeys(LabelGroup.objects.order_by("position", "name"))
    assert len(set(keys.values())) == len(keys)
    assert not set(keys.values()) & RESERVED
    # Every label of the schema has one, while there are keys left.
    assert set(keys) == set(
        Label.objects.filter(retired_at__isnull=True).values_list("pk", flat=True)
    )
    assert label_hotkeys(LabelGroup.objects.order_by("position", "name")) == keys


def test_the_lead_reads_labels_under_their_groups(client_for, project, annotator, lead):
    statement = next_statement(project=project, user=annotator)
    annotation = annotation_submit(statement, annotator, labels=[label("Bias", "biased")])
    page = client_for(lead).get(reverse("admin:annotator_annotation_change", args=[annotation.pk]))
    text = page.content.decode()
    assert "<strong>Bias:</strong> biased" in text
    assert "Label group" not in text


def test_my_annotations_list_is_readable(client_for, project, annotator):
    statement = next_statement(project=project, user=annotator)
    annotation_submit(statement, annotator, reliability="E", credibility="2")
    page = client_for(annotator).get(reverse("admin:annotator_annotation_changelist"))
    text = page.content.decode()
    assert re.search(rf'class="field-statement_number"><a [^>]*>{statement.position + 1}</a>', text)
    assert "E2" in text and "non-biased" in text
    assert f"{statement.pk} / {annotator.pk}" not in text
    assert f"{statement.document_id}#" not in text


@pytest.mark.parametrize("status", [403, 404])
def test_error_pages_look_like_the_admin_with_a_way_back(client_for, project, annotator, status):
    client = client_for(annotator)
    url = (
        reverse("admin:annotator_labelrevision_changelist")
        if status == 403
        else "/admin/annotator/annotation/999999/change/"
    )
    response = client.get(url)
    assert response.status_code == status
    text = response.content.decode()
    assert 'id="error-back"' in text and 'id="site-name"' in text
    assert "URLconf" not in text


def test_annotate_next_is_offered_only_to_annotators_of_the_project(
    client_for, project, annotator, lead
):
    annotate = annotate_url(project)
    changelist = reverse("admin:annotator_project_changelist")
    assert annotate in client_for(annotator).get(changelist).content.decode()
    assert annotate not in client_for(lead).get(changelist).content.decode()


def unanimous_with_span(project, annotators) -> tuple[Statement, int]:
    """A new statement both annotators submit alike, "KCNA" selected: (statement, its start)."""
    document, _ = document_create(
        project=project,
        title="Zweiter Artikel",
        text="Laut KCNA rückten Truppen vor. Das ist alles.",
        language="de",
    )
    project.annotations_per_statement = 2
    project.save()
    statement = document.statements.get(position=0)
    start = document.text.index("KCNA")
    for user in annotators:
        annotation_save(
            annotation=Annotation(
                statement=statement,
                annotator=user,
                source_mention="KCNA",
                source_mention_start=start,
                source_mention_end=start + 4,
                source_reliability="D",
                info_credibility="3",
            ),
            labels=[label("Bias", "non-biased")],
            changed_by=user,
        )
    return statement, start


def test_a_unanimous_gold_label_takes_the_selected_span(project, annotator, second_annotator):
    statement, start = unanimous_with_span(project, (annotator, second_annotator))
    gold = GoldLabel.objects.get(statement=statement)
    assert gold.method == "unanimous"
    assert (gold.source_mention, gold.source_mention_start, gold.source_mention_end) == (
        "KCNA",
        start,
        start + 4,
    )


def test_a_lead_rewriting_the_gold_mention_drops_its_span(
    client_for, project, annotator, second_annotator, lead
):
    statement, _start = unanimous_with_span(project, (annotator, second_annotator))
    gold = GoldLabel.objects.get(statement=statement)
    assert gold.source_mention_start is not None
    url = reverse("admin:annotator_goldlabel_change", args=[gold.pk])
    form = client_for(lead).get(url).context["adminform"].form
    data = {
        key: value
        for key, value in {**form.initial, "source_mention": "die Agentur KCNA"}.items()
        if value is not None
    }
    data["seen_version"] = gold.version
    data[group_field("Bias")] = label("Bias", "non-biased").pk
    response = client_for(lead).post(url, {**data, "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    gold.refresh_from_db()
    assert gold.source_mention == "die Agentur KCNA"
    assert gold.source_mention_start is None and gold.source_mention_end is None


def test_a_mention_typed_over_the_suggestion_keeps_no_stale_span(client_for, project, annotator):
    statement = (
        Statement.objects.filter(document__project=project)
        .exclude(suggested_mention="")
        .exclude(suggested_mention_start=None)
        .order_by("position")
        .first()
    )
    start = statement.start + statement.suggested_mention_start
    end = statement.start + statement.suggested_mention_end
    # The page offered the suggestion's span; without the script it is posted back unchanged.
    data = annotation_form_data(
        source_mention="typed by hand", source_mention_start=start, source_mention_end=end
    )
    response = client_for(annotator).post(annotation_add_url(statement), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Annotation.objects.get(statement=statement, annotator=annotator)
    assert saved.source_mention == "typed by hand"
    assert (saved.source_mention_start, saved.source_mention_end) == (None, None)


def definitions_panel(page: str) -> str:
    return re.search(r'<dl class="definitions">(.*?)</dl>', page, re.S).group(1)


def test_the_definitions_panel_follows_an_edited_label_and_the_language(
    client_for, project, annotator
):
    """The panel is kept per process between forms: an edited definition or another interface
    language is shown on the next form, never the panel kept before."""
    client = client_for(annotator)
    url = annotation_add_url(next_statement(project=project, user=annotator))
    biased = label("Bias", "biased")
    before = definitions_panel(client.get(url).content.decode())
    assert client.get(url).content.decode().count(before) == 1  # the same panel again
    biased.description_en = "Leans <one> way & hides the other."
    biased.save()
    edited = definitions_panel(client.get(url).content.decode())
    assert edited != before
    assert "Leans &lt;one&gt; way &amp; hides the other." in edited
    biased.description_de = "Einseitig."
    biased.save()
    german = definitions_panel(client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert "Einseitig." in german and "Leans" not in german
