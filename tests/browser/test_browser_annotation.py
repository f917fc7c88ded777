"""An annotator's session in a real browser: log in, annotate two statements with
"Save and annotate next", and the database holds exactly those two annotations."""

import pytest
from django.contrib.auth import get_user_model

from annotator.models import Annotation
from tests.helpers import browser_login

pytestmark = pytest.mark.browser


def test_an_annotator_annotates_two_statements(page, live_server, transactional_demo):
    browser_login(page, live_server, "dora", "dora-demo-2026")
    page.click("#your-work a.annotate-next")
    assert "0 of" in page.inner_text("#annotation-progress")
    first_statement = page.inner_text("mark.statement")

    page.check("input[name=source_reliability][value=E]")
    page.check("input[name=info_credibility][value='4']")
    page.get_by_label("biased", exact=True).check()
    page.click("input[name=_annotate_next]")

    page.wait_for_selector("#annotation-progress")
    assert "1 of" in page.inner_text("#annotation-progress")
    second_statement = page.inner_text("mark.statement")
    assert second_statement != first_statement
    page.check("input[name=source_reliability][value=B]")
    page.check("input[name=info_credibility][value='2']")
    page.get_by_label("non-biased", exact=True).check()
    page.click("input[name=_annotate_next]")
    page.wait_for_selector("#annotation-progress")
    assert "2 of" in page.inner_text("#annotation-progress")

    dora = get_user_model().objects.get(username="dora")
    saved = Annotation.objects.filter(annotator=dora).order_by("statement__position")
    assert [(a.statement.text, a.admiralty_code) for a in saved] == [
        (first_statement, "E4"),
        (second_statement, "B2"),
    ]
    assert [sorted(label.name for label in a.labels.all()) for a in saved] == [
        ["biased"],
        ["non-biased"],
    ]
