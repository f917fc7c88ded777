"""The annotator's loop by keyboard alone, in a real browser: every key pressed is read from a
control's `aria-keyshortcuts`, no element is ever clicked. Enter on a choice saves nothing, fast
typing in the source picker saves the source typed, and the page fits 1366×768. Selecting words
in the paragraph fills "source as written" with their exact offsets, and a new statement is
saved as a draft automatically while working."""

import pytest
from django.contrib.auth import get_user_model

from annotator.models import Annotation, Label
from tests.browser.selection import SELECT_WORD
from tests.helpers import browser_login

pytestmark = pytest.mark.browser


def playwright_key(shortcut: str) -> str:
    """An aria-keyshortcuts value as Playwright's key name ("Control+Enter", "e", "Shift+K")."""
    *modifiers, key = shortcut.split("+")
    if len(key) == 1 and key.isalpha() and "Shift" not in modifiers:
        key = key.lower()
    return "+".join([*modifiers, key])


def press(page, selector: str) -> None:
    """Press the declared hotkey of the control `selector` (on the page's body, not typing)."""
    shortcut = page.get_attribute(selector, "aria-keyshortcuts")
    assert shortcut, f"{selector} declares no hotkey"
    page.keyboard.press(playwright_key(shortcut))


def label_input(name: str) -> str:
    label = Label.objects.get(name=name)
    return f"input[value='{label.pk}'][name=label_group_{label.group_id}]"


def statement_number(page) -> int:
    meta = page.inner_text("#statement-box .meta")
    return int(meta.rsplit(" ", 1)[-1])


def mine(user, number: int) -> Annotation | None:
    return Annotation.objects.filter(annotator=user, statement__position=number - 1).first()


def open_queue(page, live_server, project) -> None:
    page.goto(f"{live_server.url}/admin/annotator/project/{project.pk}/annotate/")
    page.wait_for_selector("#annotation-progress")


def wait_for_statement(page, number: int) -> None:
    page.wait_for_function(
        "n => document.querySelector('#statement-box .meta')?.innerText.endsWith(' ' + n)",
        arg=number,
    )


def test_keyboard_only_annotate_skip_draft_go_back_and_edit(page, live_server, transactional_demo):
    dora = get_user_model().objects.get(username="dora")
    browser_login(page, live_server, "dora", "dora-demo-2026")
    open_queue(page, live_server, transactional_demo)
    first = statement_number(page)

    # Annotate: one key per group, one to save.
    press(page, "input[name=source_reliability][value=E]")
    press(page, "input[name=info_credibility][value='4']")
    press(page, label_input("biased"))
    press(page, "input[name=_annotate_next]")
    wait_for_statement(page, first + 1)
    saved = mine(dora, first)
    assert (saved.status, saved.admiralty_code) == ("submitted", "E4")
    assert [label.name for label in saved.labels.all()] == ["biased"]
    assert saved.guidelines_version == transactional_demo.guidelines_version

    # Skip: the next statement comes, the skipped one goes to the end of the queue.
    page.select_option("select[name=skip_reason]", "unclear")
    press(page, "input[name=_skip]")
    wait_for_statement(page, first + 2)
    skipped = mine(dora, first + 1)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "unclear")

    # A draft with one grade: saved without complaint, and the queue moves on.
    press(page, "input[name=source_reliability][value=B]")
    press(page, "input[name=_save_draft]")
    wait_for_statement(page, first + 3)
    draft = mine(dora, first + 2)
    assert (draft.status, draft.source_reliability, draft.info_credibility) == ("draft", "B", "")

    # Back to the draft, finish it.
    press(page, "#previous-statement")
    wait_for_statement(page, first + 2)
    assert page.is_checked("input[name=source_reliability][value=B]")
    press(page, "input[name=info_credibility][value='2']")
    press(page, label_input("non-biased"))
    press(page, "input[name=_annotate_next]")
    page.wait_for_function(
        "n => !document.querySelector('#statement-box .meta')?.innerText.endsWith(' ' + n)",
        arg=first + 2,
    )
    draft.refresh_from_db()
    assert (draft.status, draft.admiralty_code) == ("submitted", "B2")

    # Back to the first one and change a grade.
    current = statement_number(page)
    while current > first:
        press(page, "#previous-statement")
        current -= 1
        wait_for_statement(page, current)
    press(page, "input[name=source_reliability][value=C]")
    press(page, "input[name=_annotate_next]")
    page.wait_for_function(
        "n => !document.querySelector('#statement-box .meta')?.innerText.endsWith(' ' + n)",
        arg=first,
    )
    saved.refresh_from_db()
    assert (saved.admiralty_code, saved.version) == ("C4", 2)


def test_enter_on_a_choice_saves_nothing(page, live_server, transactional_demo):
    dora = get_user_model().objects.get(username="dora")
    browser_login(page, live_server, "dora", "dora-demo-2026")
    open_queue(page, live_server, transactional_demo)
    url = page.url
    press(page, "input[name=source_reliability][value=A]")
    press(page, "input[name=info_credibility][value='1']")
    press(page, label_input("biased"))  # a complete annotation: Enter would have saved it
    page.keyboard.press("Enter")
    page.focus(label_input("biased"))
    page.keyboard.press("Enter")
    page.wait_for_timeout(800)
    assert page.url == url
    assert not Annotation.objects.filter(annotator=dora, status="submitted").exists()


def test_fast_typing_in_the_source_picker_saves_the_source_typed(
    page, live_server, transactional_demo
):
    dora = get_user_model().objects.get(username="dora")
    browser_login(page, live_server, "dora", "dora-demo-2026")
    open_queue(page, live_server, transactional_demo)
    first = statement_number(page)
    press(page, "#focus-source")
    page.wait_for_selector(".select2-search__field")
    page.keyboard.type("Gera")  # no delay: faster than the picker's requests
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#select2-id_source-container')"
        "?.textContent.includes('Gerassimow')"
    )
    press(page, "input[name=source_reliability][value=B]")
    press(page, "input[name=info_credibility][value='3']")
    press(page, label_input("non-biased"))
    press(page, "input[name=_annotate_next]")
    wait_for_statement(page, first + 1)
    assert mine(dora, first).source.name == "Waleri Gerassimow"


def test_the_form_fits_one_screen(page, live_server, transactional_demo):
    browser_login(page, live_server, "dora", "dora-demo-2026")
    page.set_viewport_size({"width": 1366, "height": 768})
    open_queue(page, live_server, transactional_demo)
    for selector in ("mark.statement", "#id_source_reliability", "#id_info_credibility"):
        assert page.locator(selector).first.is_visible()
    bottom = page.evaluate(
        "() => document.querySelector('#annotation-submit').getBoundingClientRect().bottom"
    )
    assert bottom <= 768
    assert page.evaluate("document.documentElement.scrollHeight") <= 768
    page.set_viewport_size({"width": 800, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_selected_words_become_the_source_as_written_with_their_offsets(
    page, live_server, transactional_demo
):
    dora = get_user_model().objects.get(username="dora")
    browser_login(page, live_server, "dora", "dora-demo-2026")
    open_queue(page, live_server, transactional_demo)
    number = statement_number(page)
    paragraph = page.inner_text("#paragraph")
    word = "KCNA" if "KCNA" in paragraph else paragraph.split()[1]
    assert page.evaluate(SELECT_WORD, word)
    assert page.input_value("#id_source_mention") == word
    start = int(page.input_value("#id_source_mention_start"))
    end = int(page.input_value("#id_source_mention_end"))

    press(page, "input[name=source_reliability][value=C]")
    press(page, "input[name=info_credibility][value='3']")
    page.keyboard.press("Escape")
    press(page, "input[name=_save_draft]")
    page.wait_for_function(
        "n => !document.querySelector('#statement-box .meta')?.innerText.endsWith(' ' + n)",
        arg=number,
    )
    saved = Annotation.objects.get(annotator=dora, statement__position=number - 1)
    text = saved.statement.document.text
    assert (saved.source_mention_start, saved.source_mention_end) == (start, end)
    assert text[start:end] == word == saved.source_mention


def test_a_new_statement_is_saved_as_a_draft_while_working(page, live_server, transactional_demo):
    dora = get_user_model().objects.get(username="dora")
    browser_login(page, live_server, "dora", "dora-demo-2026")
    open_queue(page, live_server, transactional_demo)
    number = statement_number(page)
    press(page, "input[name=source_reliability][value=D]")
    page.wait_for_function("() => document.getElementById('autosave-status').textContent !== ''")
    draft = Annotation.objects.get(annotator=dora, statement__position=number - 1)
    assert (draft.status, draft.source_reliability) == ("draft", "D")
    # Finishing it afterwards is no conflict with the automatic save.
    press(page, "input[name=info_credibility][value='5']")
    press(page, label_input("biased"))
    press(page, "input[name=_annotate_next]")
    page.wait_for_function(
        "n => !document.querySelector('#statement-box .meta')?.innerText.endsWith(' ' + n)",
        arg=number,
    )
    draft.refresh_from_db()
    assert draft.info_credibility == "5"
