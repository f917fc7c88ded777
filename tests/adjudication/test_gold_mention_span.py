"""The mention's span on the adjudication page: selected words in the paragraph are stored with
the gold label, offsets that are not the words written are refused, and a span posted back
beside a mention typed since is dropped rather than stored wrong."""

from annotator.adjudication.queue import disagreement_queue
from annotator.models import GoldLabel, Statement
from tests.adjudication.test_adjudication import adjudicate_url, gold_post_data


def disputed_statement(project) -> Statement:
    return Statement.objects.select_related("document").get(
        pk=disagreement_queue(project=project)[0].statement_id
    )


def first_word_span(statement) -> tuple[str, int, int]:
    word = statement.text.split()[0]
    return word, statement.start, statement.start + len(word)


def post_selection(client, project, statement, mention: str, start: int, end: int):
    """The adjudication form as shown, posted with a selection's mention and offsets."""
    form = client.get(adjudicate_url(project, statement)).context["form"]
    data = gold_post_data(
        form, source_mention=mention, source_mention_start=start, source_mention_end=end
    )
    return client.post(adjudicate_url(project, statement), data)


def test_the_form_carries_the_span_as_hidden_fields(client_for, demo, lead):
    statement = disputed_statement(demo)
    response = client_for(lead).get(adjudicate_url(demo, statement))
    page = response.content.decode()
    assert 'id="paragraph"' in page and "mention_span.js" in page
    assert 'type="hidden" name="source_mention_start"' in page


def test_selected_words_are_stored_with_the_gold_label(client_for, demo, lead):
    statement = disputed_statement(demo)
    client = client_for(lead)
    word, start, end = first_word_span(statement)
    assert post_selection(client, demo, statement, word, start, end).status_code == 302
    gold = GoldLabel.objects.get(statement=statement)
    assert (gold.source_mention, gold.source_mention_start, gold.source_mention_end) == (
        word,
        start,
        end,
    )
    assert statement.document.text[start:end] == word


def test_offsets_that_are_not_the_words_written_are_refused(client_for, demo, lead):
    statement = disputed_statement(demo)
    client = client_for(lead)
    word, start, end = first_word_span(statement)
    response = post_selection(client, demo, statement, word, start + 1, end)
    assert response.status_code == 200
    assert "no longer matches the selected words" in str(response.context["form"].errors)
    assert not GoldLabel.objects.filter(statement=statement).exists()


def test_a_mention_typed_beside_the_span_shown_keeps_no_span(client_for, demo, lead):
    statement = disputed_statement(demo)
    client = client_for(lead)
    word, start, end = first_word_span(statement)
    post_selection(client, demo, statement, word, start, end)
    # The page shows the stored span; without its script, typing leaves the offsets as shown.
    form = client.get(adjudicate_url(demo, statement)).context["form"]
    assert (form["source_mention_start"].value(), form["source_mention_end"].value()) == (
        start,
        end,
    )
    data = gold_post_data(form, source_mention="nach Angaben von Beobachtern")
    assert client.post(adjudicate_url(demo, statement), data).status_code == 302
    gold = GoldLabel.objects.get(statement=statement)
    assert gold.source_mention == "nach Angaben von Beobachtern"
    assert (gold.source_mention_start, gold.source_mention_end) == (None, None)
