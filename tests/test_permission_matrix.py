"""The permission matrix: every admin URL and every custom view, for each role (anonymous,
annotator A, annotator B's labels as the secret, lead, superuser), with the expected status;
and no response to annotator A ever contains annotator B's labels.

The URLs are read from the admin itself, so a view added later is checked too: a new URL
must be placed in one of the sets below, or this test fails and says which one is missing.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, reverse

from annotator.models import (
    GoldLabel,
    Label,
    LabelGroup,
    LabelRevision,
    Source,
)

from .conftest import annotation_submit, label

BOB_NOTE = "BOB-SECRET-NOTE-5150"
BOB_MENTION = "BOB-SECRET-MENTION-0515"

# What an annotator may open (status 200, or a redirect for "annotate next").
ANNOTATOR_MAY_OPEN = {
    "index",
    "app_list",
    "jsi18n",
    "password_change",
    "password_change_done",
    "autocomplete",
    "annotator_project_changelist",
    "annotator_project_change",
    "annotator_project_history",
    "annotator_project_annotate",
    "annotator_annotation_changelist",
    "annotator_annotation_add",
    "annotator_source_changelist",
    "annotator_source_change",
    "annotator_source_history",
    "annotator_labelgroup_changelist",
    "annotator_labelgroup_change",
    "annotator_labelgroup_history",
    "annotator_label_changelist",
    "annotator_label_change",
    "annotator_label_history",
}
# Not pages: logging in and out, and the admin's catch-all and redirects.
NOT_PAGES = {"login", "logout", "view_on_site", None}
# What a lead is refused, by design (besides GET on the POST-only "process_import" URLs).
LEAD_REFUSED = {
    # Annotations are added from one's own queue; the lead is not an annotator of the project.
    "annotator_annotation_add": 403,
    "annotator_project_annotate": 403,
    # The label history is written by the tool, never by hand.
    "annotator_labelrevision_add": 403,
    "annotator_labelrevision_delete": 403,
    # An upload preview that does not exist.
    "annotator_document_import_articles_preview": 404,
}


def admin_routes(patterns=None, prefix=""):
    for pattern in admin.site.get_urls() if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from admin_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, prefix + str(pattern.pattern)


@pytest.fixture
def world(project, annotator, second_annotator):
    """Alice (A) and Bob (B) both annotated a statement; Bob's labels are the secret."""
    statement = project.documents.first().statements.get(position=4)
    biased = [label("Bias", "biased")]
    annotation_submit(statement, annotator, reliability="B", credibility="2", labels=biased)
    bobs = annotation_submit(
        statement,
        second_annotator,
        source=Source.objects.get(name="KCNA"),
        mention=BOB_MENTION,
        reliability="E",
        credibility="5",
        note=BOB_NOTE,
        labels=biased,
    )
    gold = GoldLabel.objects.filter(statement__document__project=project).first()
    if gold is None:
        gold = GoldLabel.objects.create(
            statement=statement, method="adjudicated", source_reliability="E", info_credibility="5"
        )
    return {
        "project": project,
        "statement": statement,
        "annotation": bobs,
        "goldlabel": gold,
        "document": project.documents.first(),
        "source": Source.objects.get(name="KCNA"),
        "label": Label.objects.first(),
        "labelgroup": LabelGroup.objects.first(),
        "labelrevision": LabelRevision.objects.filter(object_id=bobs.pk, kind="annotation").first(),
    }


def concrete_url(name: str, route: str, world: dict) -> str | None:
    """The URL of a route, with ids from the world; None for routes that take other objects."""
    model = re.match(r"annotator_([a-z]+)_", name or "")
    objects = {
        "object_id": world.get(model.group(1)) if model else None,
        "statement_id": world["statement"],
        "token": "no-such-upload",
        "app_label": "annotator",
    }
    kwargs = {}
    for parameter in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route):
        key = parameter[0] or parameter[1]
        value = objects.get(key)
        if value is None:
            return None
        kwargs[key] = getattr(value, "pk", value)
    url = reverse(f"admin:{name}", kwargs=kwargs)
    if name == "annotator_annotation_add":
        url += f"?statement={world['statement'].pk}"
    if name == "autocomplete":
        url += "?app_label=annotator&model_name=annotation&field_name=source&term=K"
    return url


def matrix_urls(world) -> list[tuple[str, str]]:
    urls = []
    for name, route in admin_routes():
        if name in NOT_PAGES or (name or "").startswith(("axes_", "auth_")):
            continue
        url = concrete_url(name, route, world)
        assert url is not None, f"the permission matrix cannot build a URL for {name} ({route})"
        urls.append((name, url))
    return urls


def test_the_matrix_covers_every_custom_view(world):
    names = {name for name, _ in matrix_urls(world)}
    for custom in (
        "annotator_project_annotate",
        "annotator_project_agreement",
        "annotator_project_disagreements",
        "annotator_project_adjudicate",
        "annotator_project_export_dataset",
        "annotator_document_import_articles",
        "annotator_statement_source_from_mention",
    ):
        assert custom in names


def test_anonymous_visitors_are_sent_to_the_login_everywhere(client, world):
    for name, url in matrix_urls(world):
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name


def test_annotator_a_opens_only_what_is_theirs_and_never_sees_bs_labels(
    client_for, annotator, world
):
    client = client_for(annotator)
    for name, url in matrix_urls(world):
        response = client.get(url)
        if name.endswith("_process_import"):
            # Takes POST only; posting is refused to annotators.
            assert response.status_code == 405, name
            response = client.post(url, {})
            assert response.status_code == 403, (name, url, response.status_code)
        elif name in ANNOTATOR_MAY_OPEN:
            assert response.status_code in (200, 302), (name, url, response.status_code)
        else:
            assert response.status_code in (403, 404), (name, url, response.status_code)
        body = response.content.decode(errors="replace")
        assert BOB_NOTE not in body and BOB_MENTION not in body, (name, url)


@pytest.mark.parametrize(
    "query",
    [
        "?annotator__id__exact={bob}",
        "?annotator={bob}",
        "?q=SECRET-NOTE",
        "?statement__annotations__note__contains=BOB",
        "?_to_field=note",
        "?o=-4",
        "?source_reliability__exact=E&annotator__id__exact={bob}",
    ],
)
def test_changed_query_strings_never_reveal_bs_labels_to_a(
    client_for, annotator, second_annotator, world, query
):
    client = client_for(annotator)
    for url in (
        reverse("admin:annotator_annotation_changelist"),
        reverse("admin:annotator_annotation_export"),
        reverse("admin:annotator_project_export_dataset", args=[world["project"].pk]),
        reverse("admin:annotator_labelrevision_changelist"),
    ):
        response = client.get(url + query.format(bob=second_annotator.pk))
        body = response.content.decode(errors="replace")
        assert BOB_NOTE not in body and BOB_MENTION not in body, (url, query)
        if "annotation/" in url and "export" not in url:
            assert response.status_code in (200, 400), (url, query)
        else:
            assert response.status_code in (403, 404), (url, query)


def assert_opens_every_page(client, world) -> None:
    for name, url in matrix_urls(world):
        response = client.get(url)
        expected = 405 if name.endswith("_process_import") else LEAD_REFUSED.get(name)
        if expected:
            assert response.status_code == expected, (name, url, response.status_code)
        else:
            assert response.status_code in (200, 302), (name, url, response.status_code)


def test_a_lead_opens_every_page(client_for, lead, world):
    assert_opens_every_page(client_for(lead), world)


def test_a_superuser_opens_every_page(client_for, world):
    superuser = get_user_model().objects.create_superuser("root", password="x-long-password")
    assert_opens_every_page(client_for(superuser), world)


def test_the_lead_sees_bs_labels(client_for, lead, world):
    client = client_for(lead)
    page = client.get(reverse("admin:annotator_annotation_change", args=[world["annotation"].pk]))
    assert BOB_NOTE in page.content.decode()
