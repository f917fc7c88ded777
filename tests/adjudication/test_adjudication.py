"""From disagreement to gold label: the queue (worst first, filtered), the adjudication page
pre-filled from the majority, saving with history, unanimous gold labels accepted
automatically, the "accept majority decisions" action, and a lead settling every disagreement
of the demo project through HTTP."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from annotator.adjudication.consensus import (
    GoldState,
    one_statement_votes_and_gold,
    statement_votes,
)
from annotator.adjudication.queue import QueueFilters, disagreement_queue
from annotator.adjudication.services import gold_label_decide, gold_labels_accept_majority
from annotator.annotation.services import annotation_save
from annotator.labelling_admin import label_group_field_name
from annotator.models import Annotation, GoldLabel, LabelGroup, LabelRevision, Source, Statement
from tests.factories import (
    DocumentFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
    annotated,
)
from tests.helpers import label


def queue_url(project, **query):
    url = reverse("admin:annotator_project_disagreements", args=[project.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def adjudicate_url(project, statement, query=""):
    url = reverse("admin:annotator_project_adjudicate", args=[project.pk, statement.pk])
    return f"{url}?{query}" if query else url


def raw_values(statement_id):
    """Per field, the values of the statement's submitted annotations (F and 6 included)."""
    annotations = Annotation.objects.filter(
        statement_id=statement_id, status="submitted"
    ).prefetch_related("labels")
    values = {"source": [], "source_reliability": [], "info_credibility": []}
    for annotation in annotations:
        values["source"].append(annotation.source_id)
        values["source_reliability"].append(annotation.source_reliability)
        values["info_credibility"].append(annotation.info_credibility)
        for group in LabelGroup.objects.all():
            chosen = frozenset(
                lab.pk for lab in annotation.labels.all() if lab.group_id == group.pk
            )
            values.setdefault(group.name, []).append(chosen)
    return values


def disputed_statements(project, field=None):
    statements = Statement.objects.filter(document__project=project)
    return {
        s.pk
        for s in statements
        if any(
            len(set(values)) > 1
            for key, values in raw_values(s.pk).items()
            if field is None or key == field
        )
    }


# --- the queue -----------------------------------------------------------------------------


def test_the_queue_holds_every_disagreement_worst_first(client_for, demo, lead):
    response = client_for(lead).get(queue_url(demo))
    assert response.status_code == 200
    queue = disagreement_queue(project=demo)
    assert {item.statement_id for item in queue} == disputed_statements(demo)
    scores = [item.score for item in queue]
    assert scores == sorted(scores)
    assert 0 <= scores[0] < scores[-1] <= 1
    rows = [row[1].pk for row in response.context["rows"]]
    assert rows == [item.statement_id for item in queue]
    html = response.content.decode()
    assert html.index(f'data-statement="{rows[0]}"') < html.index(f'data-statement="{rows[-1]}"')


def test_the_queue_filters_by_field_document_and_source(client_for, demo, lead):
    client = client_for(lead)
    by_field = client.get(queue_url(demo, field="source_reliability")).context["rows"]
    assert {s.pk for _, s in by_field} == disputed_statements(demo, "source_reliability")
    assert all("source reliability" in item.fields for item, _ in by_field)

    kcna = Source.objects.get(name="KCNA")
    by_source = client.get(queue_url(demo, source=kcna.pk)).context["rows"]
    on_kcna = set(Annotation.objects.filter(source=kcna).values_list("statement_id", flat=True))
    assert {s.pk for _, s in by_source} == on_kcna & disputed_statements(demo)

    document = demo.documents.get()
    assert len(client.get(queue_url(demo, document=document.pk)).context["rows"]) == len(
        disputed_statements(demo)
    )


def test_decided_statements_leave_the_queue_unless_asked_for(client_for, demo, lead):
    first = disagreement_queue(project=demo)[0]
    gold_label_decide(
        gold=GoldLabel(
            statement_id=first.statement_id, source_reliability="C", info_credibility="3"
        ),
        labels=[label("Bias", "biased")],
        decided_by=lead,
    )
    assert first.statement_id not in [i.statement_id for i in disagreement_queue(project=demo)]
    everything = disagreement_queue(project=demo, filters=QueueFilters(decided=True))
    assert first.statement_id in [i.statement_id for i in everything]


# --- the adjudication page -----------------------------------------------------------------


def test_the_page_shows_the_statement_in_context_and_every_annotation(client_for, demo, lead):
    statement = Statement.objects.get(pk=disagreement_queue(project=demo)[0].statement_id)
    response = client_for(lead).get(adjudicate_url(demo, statement))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<mark class="statement">' in html
    for name in ("anna", "ben", "carla"):
        assert f'<th scope="col" class="annotator">{name}</th>' in html
    assert 'class="minority"' in html
    assert 'id="gold-form"' in html


def test_the_gold_form_is_prefilled_from_a_two_of_three_majority(client_for, lead):
    annotators = [UserFactory(role="annotator") for _ in range(3)]
    project = ProjectFactory(annotators=annotators, annotations_per_statement=3)
    statement = DocumentFactory(project=project).statements.first()
    kcna, experts = SourceFactory(name="KCNA"), SourceFactory(name="Unnamed experts")
    biased, neutral = label("Bias", "biased"), label("Bias", "non-biased")
    annotated(statement, annotators[0], grades="E5", source=kcna, labels=[biased])
    annotated(statement, annotators[1], grades="E5", source=kcna, labels=[biased])
    annotated(statement, annotators[2], grades="B2", source=experts, labels=[neutral])
    assert len(statement_votes([statement.pk])[statement.pk]) == 3  # two of three agree
    assert disagreement_queue(project=project)[0].statement_id == statement.pk

    form = client_for(lead).get(adjudicate_url(project, statement)).context["form"]
    assert form["source"].value() == kcna.pk
    assert form["source_mention"].value() == "KCNA"
    assert (form["source_reliability"].value(), form["info_credibility"].value()) == ("E", "5")
    assert form[label_group_field_name(biased.group)].value() == biased.pk
    assert form["method"].value() == GoldLabel.Method.ADJUDICATED


def gold_post_data(form, **overrides) -> dict:
    """The form as the browser would send it with its initial values."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value in (None, ""):
            if name in ("source_reliability", "info_credibility") or field.required:
                choices = [c[0] for c in field.choices if c[0] not in ("", None)]
                value = choices[0]
            else:
                continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    data.update(overrides)
    return data


def test_saving_a_gold_label_records_it_and_its_history_then_goes_on(client_for, demo, lead):
    client = client_for(lead)
    queue = disagreement_queue(project=demo)
    statement = Statement.objects.get(pk=queue[0].statement_id)
    form = client.get(adjudicate_url(demo, statement)).context["form"]
    response = client.post(
        adjudicate_url(demo, statement),
        gold_post_data(form, source_reliability="D", rationale="Two of three; the F means unsure."),
    )
    assert response.status_code == 302
    gold = GoldLabel.objects.get(statement=statement)
    assert (gold.source_reliability, gold.method, gold.decided_by) == ("D", "adjudicated", lead)
    assert gold.rationale == "Two of three; the F means unsure."
    revision = LabelRevision.objects.get(kind="gold", object_id=gold.pk)
    assert revision.action == "created" and revision.changed_by == lead
    assert revision.after["source_reliability"] == "D"
    # On to the next disagreement, the worst one left.
    assert response["Location"] == adjudicate_url(demo, Statement(pk=queue[1].statement_id))

    # A lead can always override: the change is in the history.
    form = client.get(adjudicate_url(demo, statement)).context["form"]
    assert form["source_reliability"].value() == "D"
    client.post(adjudicate_url(demo, statement), gold_post_data(form, source_reliability="E"))
    gold.refresh_from_db()
    assert gold.source_reliability == "E"
    changed = LabelRevision.objects.get(kind="gold", object_id=gold.pk, action="changed")
    assert (changed.before["source_reliability"], changed.after["source_reliability"]) == (
        "D",
        "E",
    )


def test_the_filters_follow_the_lead_from_statement_to_statement(client_for, demo, lead):
    client = client_for(lead)
    queue = disagreement_queue(project=demo, filters=QueueFilters(field="source_reliability"))
    first = Statement.objects.get(pk=queue[0].statement_id)
    query = "field=source_reliability"
    form = client.get(adjudicate_url(demo, first, query)).context["form"]
    response = client.post(adjudicate_url(demo, first, query), gold_post_data(form))
    assert response["Location"] == adjudicate_url(demo, Statement(pk=queue[1].statement_id), query)


def test_an_invalid_gold_form_is_shown_again_with_errors(client_for, demo, lead):
    statement = Statement.objects.get(pk=disagreement_queue(project=demo)[0].statement_id)
    response = client_for(lead).post(
        adjudicate_url(demo, statement), {"source_reliability": "Z", "method": "adjudicated"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not GoldLabel.objects.filter(statement=statement).exists()


def test_a_statement_of_another_project_is_not_found(client_for, demo, lead):
    from annotator.models import Project

    other = Project.objects.create(name="Other")
    statement = Statement.objects.filter(document__project=demo).first()
    response = client_for(lead).get(adjudicate_url(other, statement))
    assert response.status_code == 404


def test_a_lead_settles_every_disagreement_of_the_demo_through_http(client_for, demo, lead):
    client = client_for(lead)
    disputed = disputed_statements(demo)
    url = queue_url(demo)
    response = client.get(url)
    next_url = reverse(
        "admin:annotator_project_adjudicate", args=[demo.pk, response.context["rows"][0][1].pk]
    )
    settled = 0
    while resolve(next_url.split("?")[0]).url_name == "annotator_project_adjudicate":
        form = client.get(next_url).context["form"]
        response = client.post(next_url, gold_post_data(form, rationale="settled"))
        assert response.status_code == 302
        next_url = response["Location"]
        settled += 1
        assert settled <= len(disputed)
    assert next_url.startswith(url)
    assert set(GoldLabel.objects.values_list("statement_id", flat=True)) == disputed
    assert len(disagreement_queue(project=demo)) == 0
    assert "No disagreement to settle" in client.get(url).content.decode()


# --- unanimous gold labels -----------------------------------------------------------------


def unanimous_statement(project):
    """A statement on which anna, ben and carla agree completely."""
    votes = statement_votes(Statement.objects.filter(document__project=project).values("pk"))
    for statement_id, statement_votes_ in sorted(votes.items()):
        if len({vote.key for vote in statement_votes_}) == 1:
            return Statement.objects.get(pk=statement_id), statement_votes_[0]
    pytest.fail("the demo has no unanimous statement")


def annotate_as(statement, user, vote, **changes):
    values = {
        "source_id": vote.source_id,
        "source_reliability": vote.source_reliability,
        "info_credibility": vote.info_credibility,
        **changes,
    }
    annotation = Annotation.objects.filter(statement=statement, annotator=user).first()
    annotation = annotation or Annotation(statement=statement, annotator=user)
    for field, value in values.items():
        setattr(annotation, field, value)
    labels = [label for label in vote_labels(vote)]
    return annotation_save(annotation=annotation, labels=labels, changed_by=user)


def vote_labels(vote):
    from annotator.models import Label

    return list(Label.objects.filter(pk__in=vote.labels))


def test_the_required_annotations_agreeing_give_a_unanimous_gold_label(demo, annotator):
    demo.annotators.add(annotator)
    statement, vote = unanimous_statement(demo)
    assert demo.annotations_per_statement == 4
    assert not GoldLabel.objects.filter(statement=statement).exists()  # 3 of 4 so far
    annotate_as(statement, annotator, vote)
    gold = GoldLabel.objects.get(statement=statement)
    assert gold.method == "unanimous" and gold.decided_by is None
    assert (gold.source_id, gold.source_reliability, gold.info_credibility) == (
        vote.source_id,
        vote.source_reliability,
        vote.info_credibility,
    )
    assert set(gold.labels.values_list("pk", flat=True)) == set(vote.labels)
    assert LabelRevision.objects.filter(kind="gold", object_id=gold.pk, action="created").exists()
    # Read with the votes after each save: the gold label's state, an automatic one.
    votes, state = one_statement_votes_and_gold(statement.pk)
    assert len(votes) == 4 and state == GoldState(gold.pk, "unanimous", None) and state.automatic

    # The fourth annotator changes their mind: the automatic gold label no longer holds.
    other = "A" if vote.source_reliability != "A" else "B"
    annotate_as(statement, annotator, vote, source_reliability=other)
    assert not GoldLabel.objects.filter(statement=statement).exists()
    assert LabelRevision.objects.filter(kind="gold", object_id=gold.pk, action="deleted").exists()


def test_a_disagreeing_fourth_annotation_gives_no_gold_label(demo, annotator):
    statement, vote = unanimous_statement(demo)
    other = "6" if vote.info_credibility != "6" else "1"
    annotate_as(statement, annotator, vote, info_credibility=other)
    assert not GoldLabel.objects.filter(statement=statement).exists()


def test_a_leads_gold_label_is_never_replaced_automatically(demo, annotator, lead):
    statement, vote = unanimous_statement(demo)
    gold_label_decide(
        gold=GoldLabel(statement=statement, source_reliability="A", info_credibility="1"),
        labels=[label("Bias", "biased")],
        decided_by=lead,
    )
    annotate_as(statement, annotator, vote)
    gold = GoldLabel.objects.get(statement=statement)
    assert (gold.method, gold.source_reliability, gold.decided_by) == ("adjudicated", "A", lead)
    assert not one_statement_votes_and_gold(statement.pk)[1].automatic


def test_the_unanimous_action_and_command_accept_complete_unanimous_statements(
    client_for, demo, lead
):
    demo.annotations_per_statement = 3
    demo.save()
    unanimous = {
        sid
        for sid, votes in statement_votes(
            Statement.objects.filter(document__project=demo).values("pk")
        ).items()
        if len({v.key for v in votes}) == 1
    }
    assert unanimous
    response = client_for(lead).post(
        reverse("admin:annotator_project_changelist"),
        {"action": "accept_unanimous_action", "_selected_action": [demo.pk]},
        follow=True,
    )
    assert f"{len(unanimous)} unanimous gold labels accepted" in response.content.decode()
    assert set(GoldLabel.objects.values_list("statement_id", flat=True)) == unanimous
    assert set(GoldLabel.objects.values_list("method", flat=True)) == {"unanimous"}
    call_command("accept_gold_labels", "--project", demo.name)  # nothing new, nothing twice
    assert GoldLabel.objects.count() == len(unanimous)


# --- majority decisions --------------------------------------------------------------------


def strict_majority_everywhere(statement_id, required):
    values = raw_values(statement_id)
    n = len(values["source"])
    half = max(n, required) / 2
    for key, column in values.items():
        group = LabelGroup.objects.filter(name=key).first()
        if group is not None and group.multiple:
            chosen = Counter(label for labels in column for label in labels)
            for lab in group.labels.all():
                if not (chosen[lab.pk] > half or n - chosen[lab.pk] > half):
                    return False
        elif Counter(column).most_common(1)[0][1] <= half:
            return False
    return True


def test_accept_majority_decisions_where_every_field_has_a_strict_majority(client_for, demo, lead):
    demo.annotations_per_statement = 3
    demo.save()
    response = client_for(lead).post(
        reverse("admin:annotator_project_changelist"),
        {"action": "accept_majority_action", "_selected_action": [demo.pk]},
        follow=True,
    )
    assert response.status_code == 200
    statements = Statement.objects.filter(document__project=demo)
    expected = {s.pk for s in statements if strict_majority_everywhere(s.pk, 3)}
    golds = {gold.statement_id: gold for gold in GoldLabel.objects.all()}
    assert set(golds) == expected
    assert 0 < len(expected) < statements.count()
    for statement_id, gold in golds.items():
        values = raw_values(statement_id)
        assert gold.source_reliability == Counter(values["source_reliability"]).most_common(1)[0][0]
        assert gold.method in ("majority", "unanimous")
        if gold.method == "majority":
            assert gold.decided_by == lead and "strict majority" in gold.rationale
    assert any(gold.method == "majority" for gold in golds.values())


def test_a_majority_the_missing_annotations_could_overturn_is_not_accepted(demo, lead):
    # Four required, three submitted: two of three is not more than half of four.
    assert demo.annotations_per_statement == 4
    created = gold_labels_accept_majority(project=demo, decided_by=lead)
    for gold in GoldLabel.objects.all():
        values = raw_values(gold.statement_id)
        assert all(
            Counter(column).most_common(1)[0][1] == 3
            for key, column in values.items()
            if key in ("source", "source_reliability", "info_credibility", "Bias", "Stance")
        )
    assert created == GoldLabel.objects.count()


def test_annotators_cannot_run_the_gold_actions(client_for, project, annotator):
    response = client_for(annotator).post(
        reverse("admin:annotator_project_changelist"),
        {"action": "accept_majority_action", "_selected_action": [project.pk]},
    )
    assert response.status_code in (200, 302, 403)
    assert not GoldLabel.objects.exists()


def test_the_accept_command_refuses_majority_without_a_lead(demo):
    with pytest.raises(CommandError, match="--lead"):
        call_command("accept_gold_labels", "--project", demo.name, "--majority")
    with pytest.raises(CommandError, match="No project named"):
        call_command("accept_gold_labels", "--project", "nope")


def test_going_on_to_the_next_disagreement_reads_no_project_wide_query(client_for, demo, lead):
    """At a few hundred thousand annotations the queue takes seconds: each decision must not
    compute it again. The queue page stores the order in the lead's session."""
    client = client_for(lead)
    client.get(queue_url(demo))
    queue = disagreement_queue(project=demo)
    first = Statement.objects.get(pk=queue[0].statement_id)
    form = client.get(adjudicate_url(demo, first)).context["form"]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(adjudicate_url(demo, first), gold_post_data(form))
    assert response["Location"] == adjudicate_url(demo, Statement(pk=queue[1].statement_id))
    project_wide = [
        q["sql"]
        for q in captured
        if '"annotator_document"."project_id"' in q["sql"] and "annotation_labels" in q["sql"]
    ]
    assert project_wide == []


def test_statements_another_lead_settled_meanwhile_are_skipped(client_for, demo, lead):
    client = client_for(lead)
    client.get(queue_url(demo))
    queue = disagreement_queue(project=demo)
    first, second, third = (Statement.objects.get(pk=queue[i].statement_id) for i in range(3))
    gold_label_decide(
        gold=GoldLabel(statement=second, source_reliability="B", info_credibility="2"),
        labels=[label("Bias", "biased")],
        decided_by=lead,
    )
    form = client.get(adjudicate_url(demo, first)).context["form"]
    response = client.post(adjudicate_url(demo, first), gold_post_data(form))
    assert response["Location"] == adjudicate_url(demo, third)
