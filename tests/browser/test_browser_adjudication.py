"""A lead's session in a real browser: from the project list to the agreement page (heatmap
shown), on to the disagreement queue, settling the worst disagreement, and the gold label is in
the database."""

import pytest
from django.contrib.auth import get_user_model

from annotator.adjudication.queue import disagreement_queue
from annotator.models import GoldLabel, LabelRevision, Statement
from tests.browser.selection import SELECT_WORD
from tests.helpers import browser_login, load_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_live(transactional_db):
    return load_demo()


def test_a_lead_goes_from_agreement_to_a_gold_label(page, live_server, demo_live):
    worst = disagreement_queue(project=demo_live)[0]
    browser_login(page, live_server, "lead", "lead-demo-2026")
    page.goto(f"{live_server.url}/admin/annotator/project/")
    row = page.locator("tr", has_text=demo_live.name)  # the demo's second project is listed too
    row.get_by_role("link", name="Agreement", exact=True).click()

    page.wait_for_selector("table.heatmap")
    assert page.locator("table.heatmap").first.is_visible()
    assert "anna" in page.inner_text("table.heatmap >> nth=0")
    background = page.locator("table.heatmap td:not(.diagonal)").first.get_attribute("style")
    assert "hsl(" in background
    assert page.locator('#fields tr[data-field="source_reliability"] td.alpha').inner_text()

    page.get_by_role("link", name="Settle disagreements").click()
    page.wait_for_selector("#disagreements")
    page.click("#adjudicate-first")
    page.wait_for_selector("#gold-form")
    names = page.locator("#annotations thead th.annotator").all_inner_texts()
    assert [name.lower() for name in names] == ["anna", "ben", "carla"]
    page.check("input[name=source_reliability][value=D]")
    # Where the annotators have no majority the form starts empty: the lead decides.
    page.check("input[name=info_credibility][value='4']")
    page.get_by_label("non-biased", exact=True).check()
    page.fill("textarea[name=rationale]", "Two of three read it as not usually reliable.")
    page.click("input[name=_save_next]")
    page.wait_for_selector(".messagelist")
    assert "Gold label" in page.inner_text(".messagelist")

    gold = GoldLabel.objects.get(statement_id=worst.statement_id)
    lead = get_user_model().objects.get(username="lead")
    assert (gold.source_reliability, gold.method, gold.decided_by) == ("D", "adjudicated", lead)
    assert gold.rationale == "Two of three read it as not usually reliable."
    assert LabelRevision.objects.filter(kind="gold", object_id=gold.pk).exists()
    # On to the next disagreement.
    assert f"/disagreements/{worst.statement_id}/" not in page.url
    assert "/disagreements/" in page.url


def test_a_lead_selects_the_source_as_written_on_the_adjudication_page(
    page, live_server, demo_live
):
    statement = Statement.objects.select_related("document").get(
        pk=disagreement_queue(project=demo_live)[0].statement_id
    )
    browser_login(page, live_server, "lead", "lead-demo-2026")
    page.goto(
        f"{live_server.url}/admin/annotator/project/{demo_live.pk}/disagreements/{statement.pk}/"
    )
    page.wait_for_selector("#gold-form")
    paragraph = page.inner_text("#paragraph")
    word = paragraph.split()[1]
    assert page.evaluate(SELECT_WORD, word)
    assert page.input_value("#id_source_mention") == word
    start = int(page.input_value("#id_source_mention_start"))
    end = int(page.input_value("#id_source_mention_end"))
    for name in ("source_reliability", "info_credibility"):
        if not page.locator(f"input[name={name}]:checked").count():
            page.locator(f"input[name={name}]").first.check()
    page.click("input[name=_save_next]")
    page.wait_for_selector(".messagelist")

    gold = GoldLabel.objects.get(statement=statement)
    assert (gold.source_mention_start, gold.source_mention_end) == (start, end)
    assert statement.document.text[start:end] == word == gold.source_mention
