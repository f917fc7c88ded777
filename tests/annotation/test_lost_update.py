"""Lost updates: two tabs of one annotator, or two leads, editing the same annotation or gold
label. The second save meets a newer version: nothing is overwritten, the form comes back
with both versions side by side, and saving it again keeps the second version on purpose."""

import pytest
from django.urls import reverse

from annotator.adjudication.services import gold_label_decide
from annotator.annotation.services import annotation_save
from annotator.models import Annotation, GoldLabel, Statement
from annotator.revisions import LabellingConflict
from tests.helpers import annotation_form_data, annotation_submit, group_field, label, make_user


def form_post_data(form, **overrides) -> dict:
    """A form as the browser sends it, from the values it shows."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value in (None, ""):
            if field.required and getattr(field, "choices", None):
                value = next(c[0] for c in field.choices if c[0] not in ("", None))
            else:
                continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def annotation(project, annotator) -> Annotation:
    statement = Statement.objects.filter(document__project=project).first()
    return annotation_submit(statement, annotator, note="first")


def test_every_save_increments_the_version(annotation, annotator):
    assert annotation.version == 1
    annotation.note = "second"
    annotation_save(annotation=annotation, labels=[label("Bias", "biased")], changed_by=annotator)
    annotation.refresh_from_db()
    assert annotation.version == 2


def test_a_save_with_a_stale_version_is_refused_by_the_service(annotation, annotator):
    stale = Annotation.objects.get(pk=annotation.pk)
    annotation.note = "tab A"
    annotation_save(
        annotation=annotation,
        labels=[label("Bias", "non-biased")],
        changed_by=annotator,
        expected_version=1,
    )
    stale.note = "tab B"
    with pytest.raises(LabellingConflict):
        annotation_save(
            annotation=stale,
            labels=[label("Bias", "biased")],
            changed_by=annotator,
            expected_version=1,
        )
    annotation.refresh_from_db()
    assert (annotation.note, annotation.version) == ("tab A", 2)
    assert list(annotation.labels.all()) == [label("Bias", "non-biased")]


def test_two_tabs_of_one_annotator_the_second_save_shows_both_versions(
    annotation, annotator, client_for
):
    client = client_for(annotator)
    url = reverse("admin:annotator_annotation_change", args=[annotation.pk])
    tab_a = client.get(url).context["adminform"].form
    tab_b = client.get(url).context["adminform"].form
    assert tab_a["seen_version"].value() == tab_b["seen_version"].value() == 1

    saved = client.post(
        url, annotation_form_data(note="from tab A", seen_version=1, _annotate_next=None)
    )
    assert saved.status_code == 302

    conflict = client.post(
        url,
        annotation_form_data(
            note="from tab B",
            source_reliability="E",
            seen_version=1,
            **{group_field("Bias"): label("Bias", "biased").pk},
            _annotate_next=None,
        ),
    )
    assert conflict.status_code == 200
    html = conflict.content.decode()
    assert "saved in another window or tab" in html and "nothing was overwritten" in html
    assert "from tab A" in html and "from tab B" in html  # theirs and yours
    assert "C3" in html and "E3" in html
    annotation.refresh_from_db()
    assert (annotation.note, annotation.source_reliability, annotation.version) == (
        "from tab A",
        "C",
        2,
    )

    # Saving the re-rendered form again keeps tab B's version, knowingly.
    again = form_post_data(conflict.context["adminform"].form)
    assert again["seen_version"] == "2"
    assert client.post(url, again).status_code == 302
    annotation.refresh_from_db()
    assert (annotation.note, annotation.source_reliability, annotation.version) == (
        "from tab B",
        "E",
        3,
    )


@pytest.fixture
def gold(demo, lead) -> GoldLabel:
    statement = Statement.objects.filter(document__project=demo, gold__isnull=True).first()
    return gold_label_decide(
        gold=GoldLabel(statement=statement, source_reliability="B", info_credibility="2"),
        labels=[label("Bias", "biased")],
        decided_by=lead,
    )


def test_two_leads_editing_one_gold_label_in_the_admin(gold, lead, client_for, django_user_model):
    from annotator.roles import LEADS_GROUP

    second_lead = make_user("lea", LEADS_GROUP)
    assert second_lead.groups.filter(name=LEADS_GROUP).exists()
    url = reverse("admin:annotator_goldlabel_change", args=[gold.pk])
    first = client_for(lead)
    form = first.get(url).context["adminform"].form
    stale = form_post_data(form, rationale="lena's reason")

    from django.test import Client

    other = Client()
    other.force_login(second_lead)
    other_form = other.get(url).context["adminform"].form
    assert other.post(url, form_post_data(other_form, rationale="lea's reason")).status_code == 302

    conflict = first.post(url, stale)
    assert conflict.status_code == 200
    html = conflict.content.decode()
    assert "nothing was overwritten" in html
    gold.refresh_from_db()
    assert gold.rationale == "lea's reason" and gold.version == 2


def test_two_leads_adjudicating_one_statement(demo, lead, client_for):
    from django.test import Client

    from annotator.adjudication.queue import disagreement_queue
    from annotator.roles import LEADS_GROUP

    statement = Statement.objects.get(pk=disagreement_queue(project=demo)[0].statement_id)
    url = reverse("admin:annotator_project_adjudicate", args=[demo.pk, statement.pk])
    first = client_for(lead)
    stale = form_post_data(
        first.get(url).context["form"], rationale="first lead", method="adjudicated"
    )
    assert stale["seen_version"] == 0

    other = Client()
    other.force_login(make_user("lea", LEADS_GROUP))
    other_data = form_post_data(
        other.get(url).context["form"], rationale="second lead", method="adjudicated"
    )
    assert other.post(url, other_data).status_code == 302

    conflict = first.post(url, stale)
    assert conflict.status_code == 200
    assert "nothing was overwritten" in conflict.content.decode()
    assert GoldLabel.objects.get(statement=statement).rationale == "second lead"
