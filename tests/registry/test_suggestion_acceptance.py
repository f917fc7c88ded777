"""How often annotators accepted the import's attribution suggestions, on the project's page."""

from annotator.models import Annotation, Source, Statement
from annotator.registry.selectors import Share, suggestion_acceptance


def expected_figures(project) -> dict:
    """The same figures, counted one annotation at a time."""
    figures = {"accepted": [0, 0], "no_source_kept": [0, 0], "mention_sourced": [0, 0]}
    per_source: dict[str, list[int]] = {}
    submitted = Annotation.objects.filter(
        statement__document__project=project, status=Annotation.Status.SUBMITTED
    ).select_related("statement__suggested_source")
    for annotation in submitted:
        statement = annotation.statement
        if statement.suggested_source_id is not None:
            accepted = annotation.source_id == statement.suggested_source_id
            figures["accepted"][0] += accepted
            figures["accepted"][1] += 1
            counts = per_source.setdefault(statement.suggested_source.name, [0, 0])
            counts[0] += accepted
            counts[1] += 1
        elif statement.suggested_mention:
            figures["mention_sourced"][0] += annotation.source_id is not None
            figures["mention_sourced"][1] += 1
        else:
            figures["no_source_kept"][0] += annotation.source_id is None
            figures["no_source_kept"][1] += 1
    return {
        **{key: Share(*value) for key, value in figures.items()},
        "per_source": {name: Share(*value) for name, value in per_source.items()},
    }


def test_the_acceptance_figures_on_the_demo(demo):
    acceptance = suggestion_acceptance(project=demo)
    expected = expected_figures(demo)
    assert acceptance.accepted == expected["accepted"]
    assert acceptance.no_source_kept == expected["no_source_kept"]
    assert acceptance.mention_sourced == expected["mention_sourced"]
    assert dict(acceptance.per_source) == expected["per_source"]
    # Three demo annotators submitted every statement; they follow the suggestions.
    suggested = Statement.objects.filter(document__project=demo, suggested_source__isnull=False)
    assert acceptance.accepted.total == 3 * suggested.count() > 0
    assert acceptance.accepted.percent > 80
    assert acceptance.no_source_kept.part == acceptance.no_source_kept.total > 0
    totals = [share.total for _name, share in acceptance.per_source]
    assert totals == sorted(totals, reverse=True)


def test_a_changed_choice_changes_the_figures_and_drafts_do_not_count(demo):
    before = suggestion_acceptance(project=demo).accepted
    annotation = Annotation.objects.filter(
        statement__document__project=demo,
        statement__suggested_source__isnull=False,
        source=Source.objects.get(name="KCNA"),
    ).first()
    annotation.source = None
    annotation.save()
    assert suggestion_acceptance(project=demo).accepted == Share(before.part - 1, before.total)
    annotation.status = Annotation.Status.DRAFT
    annotation.save()
    assert suggestion_acceptance(project=demo).accepted == Share(before.part - 1, before.total - 1)


def test_leads_see_the_figures_on_the_project_page_and_annotators_do_not(
    client_for, project, lead, annotator
):
    acceptance = suggestion_acceptance(project=project)
    url = f"/admin/annotator/project/{project.pk}/change/"
    html = client_for(lead).get(url).content.decode()
    assert 'id="suggestion-acceptance"' in html
    share = acceptance.accepted
    assert f"{share.percent}% ({share.part} of {share.total})" in html
    assert "KCNA" in html
    html = client_for(annotator).get(url).content.decode()
    assert 'id="suggestion-acceptance"' not in html
