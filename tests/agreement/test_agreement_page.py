"""The lead's agreement page, through real HTTP: every field's alpha as annotator.agreement
computes it from the same annotations (read here independently, straight from the ORM), F and
6 treated as missing, the filters, the heatmap, the per-source view, and who may see it."""

import math
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.adjudication.services import gold_label_decide
from annotator.agreement import statistics as agreement
from annotator.annotation.services import annotation_save
from annotator.models import Annotation, Document, GoldLabel, Source, Statement
from tests.helpers import (
    CREDIBILITY_ORDER,
    RELIABILITY_ORDER,
    all_field_keys,
    field_value,
    label,
    level_of,
    make_user,
    reference_alpha,
    same,
    submitted,
)


def agreement_url(project, **query):
    url = reverse("admin:annotator_project_agreement", args=[project.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    return url


def shown_alpha(html: str, key: str) -> str:
    match = re.search(
        rf'data-field="{re.escape(key)}">.*?<td class="number alpha">(.*?)</td>', html, re.S
    )
    assert match, key
    return unescape(match.group(1))


# --- the page ------------------------------------------------------------------------------


def test_every_field_shows_the_alpha_agreement_py_computes(client_for, demo, lead):
    response = client_for(lead).get(agreement_url(demo))
    assert response.status_code == 200
    html = response.content.decode()
    report = response.context["report"]
    figures = {f.field.key: f for f in report.fields}
    figures.update({lab.field.key: lab for f in report.fields for lab in f.labels})
    annotations = list(submitted(demo))
    assert set(figures) == set(all_field_keys())
    for key in all_field_keys():
        expected = reference_alpha(annotations, key)
        assert same(figures[key].alpha, expected), key
        assert shown_alpha(html, key) == ("—" if math.isnan(expected) else f"{expected:.3f}")
        assert figures[key].field.level == level_of(key)
    assert figures["source_reliability"].units == 21
    assert figures["Persuasion techniques"].field.level == "masi"
    assert "Krippendorff" in html and "Cohen" in html


def test_the_interval_brackets_alpha_and_warnings_explain_untrustworthy_figures(
    client_for, demo, lead
):
    report = client_for(lead).get(agreement_url(demo)).context["report"]
    reliability = next(f for f in report.fields if f.field.key == "source_reliability")
    low, high = reliability.ci95
    assert low <= reliability.alpha <= high
    # 21 statements: too few to trust, and said so.
    assert any("too few" in warning for warning in reliability.warnings)
    labels = next(f for f in report.fields if f.field.key == "Persuasion techniques").labels
    never_chosen = [f for f in labels if math.isnan(f.alpha)]
    assert never_chosen and all("Undefined" in f.warnings[0] for f in never_chosen)
    dominated = [f for f in labels if f.top_share > 0.9 and not math.isnan(f.alpha)]
    assert all(any("dominating" in w for w in f.warnings) for f in dominated)


def test_f_and_6_are_missing_not_a_sixth_grade(client_for, demo, lead):
    annotations = list(submitted(demo))
    assert any(a.source_reliability == "F" for a in annotations)
    client = client_for(lead)
    report = client.get(agreement_url(demo)).context["report"]
    reliability = next(f for f in report.fields if f.field.key == "source_reliability")
    tables = {table.field.key: table for table in report.confusion}
    assert "F" not in tables["source_reliability"].names
    assert "6" not in tables["info_credibility"].names
    assert reliability.field.categories == RELIABILITY_ORDER
    as_a_grade = agreement.krippendorff_alpha(
        [(a.statement_id, a.annotator_id, a.source_reliability) for a in annotations],
        "ordinal",
        order=list("ABCDEF"),
    )
    assert not same(reliability.alpha, as_a_grade)

    # F -> E: the missing values become grades, and alpha changes with them.
    Annotation.objects.filter(source_reliability="F").update(source_reliability="E")
    changed = client.get(agreement_url(demo)).context["report"]
    after = next(f for f in changed.fields if f.field.key == "source_reliability")
    assert not same(after.alpha, reliability.alpha)
    assert same(after.alpha, reference_alpha(list(submitted(demo)), "source_reliability"))
    assert after.values > reliability.values


def test_drafts_do_not_count(client_for, demo, lead):
    client = client_for(lead)
    before = client.get(agreement_url(demo)).context["report"].data.n_rows
    Annotation.objects.filter(pk=submitted(demo).first().pk).update(status="draft")
    assert client.get(agreement_url(demo)).context["report"].data.n_rows == before - 1


def test_annotator_filter_computes_on_those_annotators_only(client_for, demo, lead):
    anna, ben = (demo.annotators.get(username=name) for name in ("anna", "ben"))
    response = client_for(lead).get(agreement_url(demo, annotator=[anna.pk, ben.pk]))
    report = response.context["report"]
    assert [user.username for user in report.data.coders] == ["anna", "ben"]
    assert len(report.pairs) == 1
    annotations = list(submitted(demo, annotator__in=[anna, ben]))
    for figure in report.fields:
        assert same(figure.alpha, reference_alpha(annotations, figure.field.key))
    assert "carla" not in response.content.decode().split('id="heatmaps"')[1]


def test_date_range_filters_on_submission(client_for, demo, lead):
    anna = demo.annotators.get(username="anna")
    submitted(demo, annotator=anna).update(submitted_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
    client = client_for(lead)
    recent = client.get(agreement_url(demo, submitted_from=["2026-01-01"])).context["report"]
    assert {user.username for user in recent.data.coders} == {"ben", "carla"}
    old = client.get(agreement_url(demo, submitted_to=["2025-12-31"]))
    report = old.context["report"]
    assert [user.username for user in report.data.coders] == ["anna"]
    assert report.pairs == [] and all(math.isnan(f.alpha) for f in report.fields)
    assert "Undefined: no statement has two or more values" in old.content.decode()
    window = agreement_url(demo, submitted_from=["2025-03-01"], submitted_to=["2025-03-01"])
    assert client.get(window).context["report"].data.n_rows == 21


def test_document_filter(client_for, demo, lead, annotator):
    other = Document.objects.create(
        project=demo, title="Second", text="One. Two.", language="en", content_hash="second"
    )
    statement = Statement.objects.create(document=other, position=0, text="One.", start=0, end=4)
    annotation_save(
        annotation=Annotation(
            statement=statement, annotator=annotator, source_reliability="A", info_credibility="1"
        ),
        labels=[label("Bias", "biased")],
        changed_by=annotator,
    )
    client = client_for(lead)
    assert client.get(agreement_url(demo)).context["report"].data.n_rows == 64
    first = demo.documents.exclude(pk=other.pk).get()
    response = client.get(agreement_url(demo, document=[first.pk]))
    assert response.context["report"].data.n_rows == 63
    assert f'<option value="{first.pk}" selected>' in response.content.decode()
    assert client.get(agreement_url(demo, document=[other.pk])).context["report"].data.n_rows == 1


def test_heatmap_shows_cohens_kappa_weighted_for_the_grades(client_for, demo, lead):
    response = client_for(lead).get(agreement_url(demo))
    report = response.context["report"]
    names = [user.username for user in report.data.coders]
    by_annotator = {}
    for annotation in submitted(demo):
        by_annotator.setdefault(annotation.annotator.username, {})[annotation.statement_id] = (
            annotation
        )
    for pair in report.pairs:
        first, second = by_annotator[names[pair.first]], by_annotator[names[pair.second]]
        common = sorted(set(first) & set(second))
        assert pair.units == len(common)
        for key, weights, labels in (
            ("source_reliability", "linear", RELIABILITY_ORDER),
            ("info_credibility", "linear", CREDIBILITY_ORDER),
            ("Bias", None, None),
            ("source", None, None),
        ):
            a = [field_value(first[s], key) for s in common]
            b = [field_value(second[s], key) for s in common]
            if labels is None:
                labels = sorted({str(v) for v in a + b})
                a, b = [str(v) for v in a], [str(v) for v in b]
            expected = agreement.cohen_kappa(a, b, weights=weights, labels=labels)
            assert same(pair.kappa[key], expected), (names[pair.first], names[pair.second], key)
    html = response.content.decode()
    assert html.count('<table class="heatmap"') == len(report.heatmaps) == 5
    assert "background: hsl(" in html


def test_annotator_accuracy_against_gold(client_for, demo, lead):
    statements = list(Statement.objects.filter(document__project=demo).order_by("position")[:4])
    for statement in statements:
        gold_label_decide(
            gold=GoldLabel(statement=statement, source_reliability="E", info_credibility="5"),
            labels=[label("Bias", "biased")],
            decided_by=lead,
        )
    report = client_for(lead).get(agreement_url(demo)).context["report"]
    for row in report.annotators:
        own = [a for a in submitted(demo, annotator=row.user) if a.statement in statements]
        assert row.gold_units == len(own) == 4
        hits = sum(a.source_reliability == "E" for a in own)
        assert row.accuracy["source_reliability"] == pytest.approx(hits / 4)
        biased = sum(field_value(a, "Bias") == "biased" for a in own)
        assert row.accuracy["Bias"] == pytest.approx(biased / 4)
        assert row.units == 21


def test_the_page_takes_a_fixed_number_of_queries(client_for, demo, lead, annotator):
    """One query for the annotations (labels aggregated into the row), none per statement."""
    client = client_for(lead)
    client.get(agreement_url(demo))  # warm caches (content types, sessions)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(agreement_url(demo)).status_code == 200
        return len(captured)

    before = queries()
    for statement in demo.documents.get().statements.all():
        annotation_save(
            annotation=Annotation(
                statement=statement,
                annotator=annotator,
                source_reliability="C",
                info_credibility="3",
            ),
            labels=[label("Bias", "non-biased")],
            changed_by=annotator,
        )
    assert queries() == before <= 16


# --- the per-source view -------------------------------------------------------------------


def test_per_source_view_shows_grades_code_and_agreement(client_for, demo, lead):
    response = client_for(lead).get(
        reverse("admin:annotator_project_agreement_sources", args=[demo.pk])
    )
    assert response.status_code == 200
    kcna = Source.objects.get(name="KCNA")
    profiles = {p.name: p for p in response.context["profiles"]}
    profile = profiles["KCNA"]
    on_kcna = list(submitted(demo, source=kcna))
    assert profile.annotations == len(on_kcna) > 0
    assert profile.statements == len({a.statement_id for a in on_kcna})
    grades = {grade: count for grade, count, _ in profile.reliability}
    assert grades == {g: sum(a.source_reliability == g for a in on_kcna) for g in "ABCDEF"}
    codes = [a.admiralty_code for a in on_kcna]
    assert profile.code == max(set(codes), key=codes.count) == "E5"
    assert same(profile.reliability_agreement.alpha, reference_alpha(on_kcna, "source_reliability"))
    html = response.content.decode()
    assert "<strong>E5</strong>" in html
    assert list(profiles)[-1].startswith("— no source")


# --- who may see it ------------------------------------------------------------------------


def lead_urls(project):
    statement = Statement.objects.filter(document__project=project).first()
    return [
        reverse("admin:annotator_project_agreement", args=[project.pk]),
        reverse("admin:annotator_project_agreement_sources", args=[project.pk]),
        reverse("admin:annotator_project_disagreements", args=[project.pk]),
        reverse("admin:annotator_project_adjudicate", args=[project.pk, statement.pk]),
    ]


def test_annotators_and_outsiders_get_403_on_every_lead_page(
    client_for, project, annotator, outsider
):
    for user in (annotator, outsider, project.annotators.get(username="anna")):
        client = client_for(user)
        for url in lead_urls(project):
            assert client.get(url).status_code == 403, (user, url)
        statement = Statement.objects.filter(document__project=project).first()
        post = client.post(
            reverse("admin:annotator_project_adjudicate", args=[project.pk, statement.pk]),
            {"source_reliability": "A", "info_credibility": "1", "method": "adjudicated"},
        )
        assert post.status_code == 403
        assert not GoldLabel.objects.exists()


def test_anonymous_users_are_sent_to_the_login(client, demo):
    for url in lead_urls(demo):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_leads_get_every_page(client_for, demo, lead):
    client = client_for(lead)
    for url in lead_urls(demo):
        assert client.get(url).status_code == 200, url


def test_a_permission_ticked_by_hand_opens_no_lead_page(client_for, demo):
    """The role decides (roles.py), not a single permission given to somebody outside it."""
    analyst = make_user("ana", None)
    analyst.is_staff = True
    analyst.save()
    analyst.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_agreement", "adjudicate"])
    )
    client = client_for(analyst)
    for url in lead_urls(demo):
        assert client.get(url).status_code == 403, url


def test_the_project_list_and_page_link_to_agreement_for_leads_only(
    client_for, project, lead, annotator
):
    url = reverse("admin:annotator_project_agreement", args=[project.pk])
    lead_client = client_for(lead)
    assert url in lead_client.get(reverse("admin:annotator_project_changelist")).content.decode()
    change = reverse("admin:annotator_project_change", args=[project.pk])
    assert url in lead_client.get(change).content.decode()
    annotator_client = client_for(annotator)
    assert (
        url
        not in annotator_client.get(reverse("admin:annotator_project_changelist")).content.decode()
    )
    assert url not in annotator_client.get(change).content.decode()


# --- escaping ------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script>'


def test_article_text_and_names_are_escaped_everywhere(client_for, demo, lead):
    document = demo.documents.get()
    text = f"Er sagte {HOSTILE} laut <b>Quelle</b>."
    hostile_doc = Document.objects.create(
        project=demo, title=f"Titel {HOSTILE}", text=text, language="de", content_hash="h"
    )
    statement = Statement.objects.create(
        document=hostile_doc, position=0, text=text, start=0, end=len(text)
    )
    source = Source.objects.create(name=f"Evil {HOSTILE}")
    for user in demo.annotators.filter(username__in=["anna", "ben"]):
        annotation_save(
            annotation=Annotation(
                statement=statement,
                annotator=user,
                source=source if user.username == "anna" else None,
                source_mention=HOSTILE,
                source_reliability="B" if user.username == "anna" else "D",
                info_credibility="2",
                note=HOSTILE,
            ),
            labels=[label("Bias", "biased")],
            changed_by=user,
        )
    client = client_for(lead)
    pages = [*lead_urls(demo)[:3]]
    pages.append(reverse("admin:annotator_project_adjudicate", args=[demo.pk, statement.pk]))
    for url in pages:
        html = client.get(url).content.decode()
        assert HOSTILE not in html, url
        assert "<b>Quelle</b>" not in html, url
    adjudication = client.get(pages[-1]).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in adjudication
    assert document.title in client.get(pages[0]).content.decode()


def test_a_confusion_table_folds_rare_categories_into_other(client_for, demo, lead):
    """Hundreds of sources must not make a table hundreds of columns wide."""
    statements = list(Statement.objects.filter(document__project=demo).order_by("position"))
    sources = Source.objects.bulk_create(
        Source(name=f"Source {i:02d}") for i in range(len(statements))
    )
    for statement, source in zip(statements, sources, strict=True):
        submitted(demo, statement=statement).update(source=source)
    report = client_for(lead).get(agreement_url(demo)).context["report"]
    table = next(t for t in report.confusion if t.field.key == "source")
    assert len(table.names) == 12 and table.names[-1] == f"other ({len(statements) - 11})"
    assert table.collapsed == len(statements) - 11
    assert sum(total for _, _, total in table.rows) == pytest.approx(63)
    assert all(len(values) == 12 for _, values, _ in table.rows)
