"""The permission matrix: every URL of the admin (read from the admin itself, every ModelAdmin's
get_urls included), opened with real ids by each role (anonymous, annotator alice, lead,
superuser), with the expected status; and no response to alice ever contains a text of labels
she may not see (conftest.secrets_plant).

A URL added later is in the matrix at once: what an annotator may open is listed below, and
everything else must answer her 403 or 404.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.security.world import admin_routes, objects_of, probes_count

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
    # A project's schema, read-only: the groups of the projects the annotator works in.
    "annotator_projectlabelgroup_changelist",
    "annotator_projectlabelgroup_change",
    "annotator_projectlabelgroup_history",
}
# A schema is edited on its project's page; the list of schema entries is for import and export.
SCHEMA_LIST_REFUSED = {"annotator_projectlabelgroup_add": 403}
# Logging in and out are not pages of the matrix.
NOT_PAGES = {"login", "logout"}
# No model has a page on a site of its own: "view on site" is a 404 for everybody.
NO_SITE = {"view_on_site": 404}
# What a lead is refused, by design (besides GET on the POST-only "process_import" URLs).
LEAD_REFUSED = {
    **NO_SITE,
    **SCHEMA_LIST_REFUSED,
    # Annotations are added from one's own queue; the lead is not an annotator of the project.
    "annotator_annotation_add": 403,
    "annotator_project_annotate": 403,
    # The label history is written by the tool, never by hand.
    "annotator_labelrevision_add": 403,
    "annotator_labelrevision_delete": 403,
    # An upload preview that does not exist.
    "annotator_document_import_articles_preview": 404,
    # The world's job failed: it has no file to download; retrying takes POST only.
    "annotator_job_download": 404,
    "annotator_job_retry": 405,
    # Resolving a flag takes POST only.
    "annotator_project_resolve_flag": 405,
    # Jobs are started from their pages (an export, an import), never added or edited by hand.
    "annotator_job_add": 403,
    "annotator_job_delete": 403,
    # Accounts and login records are for superusers; leads may look users up (read-only).
    "auth_user_add": 403,
    "auth_user_delete": 403,
    "auth_user_password_change": 403,
    **{f"auth_group_{view}": 403 for view in ("changelist", "add", "change", "delete", "history")},
    **{
        f"axes_{model}_{view}": 403
        for model in ("accessattempt", "accesslog", "accessfailurelog")
        for view in ("changelist", "add", "change", "delete", "history")
    },
}
# Nobody adds login records or label history by hand, not even a superuser.
SUPERUSER_REFUSED = {
    **NO_SITE,
    **SCHEMA_LIST_REFUSED,
    "annotator_annotation_add": 403,
    "annotator_project_annotate": 403,
    "annotator_labelrevision_add": 403,
    "annotator_labelrevision_delete": 403,
    "annotator_document_import_articles_preview": 404,
    "annotator_job_download": 404,
    "annotator_job_retry": 405,
    "annotator_project_resolve_flag": 405,
    "annotator_job_add": 403,
    "axes_accessattempt_add": 403,
    "axes_accesslog_add": 403,
    "axes_accessfailurelog_add": 403,
}
ROUTES = [route for route in admin_routes() if route.name not in NOT_PAGES]


def matrix_urls(world) -> list[tuple[str, str]]:
    objects = objects_of(world.project)
    return [(route.name, route.real_url(objects)) for route in ROUTES]


def test_the_matrix_covers_every_custom_view():
    names = {route.name for route in ROUTES}
    for custom in (
        "annotator_project_annotate",
        "annotator_project_resolve_flag",
        "annotator_project_agreement",
        "annotator_project_agreement_sources",
        "annotator_project_disagreements",
        "annotator_project_adjudicate",
        "annotator_project_export_dataset",
        "annotator_document_import_articles",
        "annotator_document_import_articles_preview",
        "annotator_statement_source_from_mention",
        "auth_user_password_change",
    ):
        assert custom in names


def test_anonymous_visitors_are_sent_to_the_login_everywhere(world):
    client = world.client("anonymous")
    for name, url in matrix_urls(world):
        response = client.get(url)
        probes_count("permission matrix: requests")
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name


def test_annotator_a_opens_only_what_is_theirs_and_never_sees_others_labels(world):
    client = world.client("annotator")
    for name, url in matrix_urls(world):
        response = client.get(url)
        probes_count("permission matrix: requests")
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
        assert not any(secret in body for secret in world.secrets), (name, url)


@pytest.mark.parametrize(
    "query",
    [
        "?annotator__id__exact={bob}",
        "?annotator={bob}",
        "?q=ZQXSECRET",
        "?statement__annotations__note__contains=ZQX",
        "?_to_field=note",
        "?o=-4",
        "?source_reliability__exact=E&annotator__id__exact={bob}",
    ],
)
def test_changed_query_strings_never_reveal_others_labels(world, query):
    client = world.client("annotator")
    for url in (
        reverse("admin:annotator_annotation_changelist"),
        reverse("admin:annotator_annotation_export"),
        reverse("admin:annotator_project_export_dataset", args=[world.project.pk]),
        reverse("admin:annotator_labelrevision_changelist"),
    ):
        response = client.get(url + query.format(bob=world.bob.pk))
        probes_count("permission matrix: requests")
        body = response.content.decode(errors="replace")
        assert not any(secret in body for secret in world.secrets), (url, query)
        if "annotation/" in url and "export" not in url:
            assert response.status_code in (200, 400), (url, query)
        else:
            assert response.status_code in (403, 404), (url, query)


def assert_opens_every_page(client, world, refused: dict[str, int]) -> None:
    for name, url in matrix_urls(world):
        response = client.get(url)
        probes_count("permission matrix: requests")
        expected = 405 if name.endswith("_process_import") else refused.get(name)
        if expected:
            assert response.status_code == expected, (name, url, response.status_code)
        else:
            assert response.status_code in (200, 302), (name, url, response.status_code)


def test_a_lead_opens_every_page(world):
    assert_opens_every_page(world.client("lead"), world, LEAD_REFUSED)


def test_a_superuser_opens_every_page(world):
    assert_opens_every_page(world.client("superuser"), world, SUPERUSER_REFUSED)


def test_the_lead_sees_others_labels(world):
    response = world.client("lead").get(
        reverse("admin:annotator_annotation_change", args=[world.bobs.pk])
    )
    assert any(secret in response.content.decode() for secret in world.secrets)
