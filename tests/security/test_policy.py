"""The permission policy is one module with one idiom, and nothing goes around it: every
ModelAdmin asks it, no other code checks a permission or a group, every relation of every model
is classified (a new one fails here until somebody decides what it reveals), and what an
annotator may filter, search and sort by never passes through somebody's labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from annotator import roles
from annotator.admin import SourceAdmin
from annotator.admin_policy import PolicyAdminMixin
from annotator.models import Project, Source
from tests.security.world import SECRET_PREFIX, listed_pks, probes_count, relations

APP = Path(apps.get_app_config("annotator").path)

# Every relation of every model of the app, of the user and of every model in the admin, by
# what following it reveals. "labels": somebody's annotations, gold labels or label history.
CLASSIFIED_RELATIONS = {
    ("annotator.annotation", "annotator"): "accounts",
    ("annotator.annotation", "flag_resolution"): "labels",
    ("annotator.flagresolution", "annotation"): "labels",
    ("annotator.flagresolution", "resolved_by"): "accounts",
    ("annotator.annotation", "labels"): "vocabulary",
    ("annotator.annotation", "source"): "vocabulary",
    ("annotator.annotation", "statement"): "structure",
    ("annotator.annotatorprogress", "annotator"): "accounts",
    ("annotator.annotatorprogress", "current_document"): "structure",
    ("annotator.annotatorprogress", "project"): "structure",
    ("annotator.document", "project"): "structure",
    ("annotator.document", "statements"): "structure",
    ("annotator.goldlabel", "decided_by"): "accounts",
    ("annotator.job", "created_by"): "accounts",
    ("annotator.job", "project"): "structure",
    ("annotator.goldlabel", "labels"): "vocabulary",
    ("annotator.goldlabel", "source"): "vocabulary",
    ("annotator.goldlabel", "statement"): "structure",
    ("annotator.label", "annotations"): "labels",
    ("annotator.label", "goldlabels"): "labels",
    ("annotator.label", "group"): "vocabulary",
    ("annotator.labelgroup", "labels"): "vocabulary",
    ("annotator.labelrevision", "annotator"): "accounts",
    ("annotator.labelrevision", "changed_by"): "accounts",
    ("annotator.labelrevision", "statement"): "structure",
    ("annotator.project", "annotators"): "accounts",
    ("annotator.openstatement", "document"): "structure",
    ("annotator.openstatement", "project"): "structure",
    ("annotator.openstatement", "statement"): "structure",
    ("annotator.project", "documents"): "structure",
    ("annotator.project", "jobs"): "structure",
    ("annotator.projectprogress", "project"): "structure",
    ("annotator.project", "schema_changes"): "vocabulary",
    ("annotator.project", "schema_entries"): "vocabulary",
    ("annotator.projectlabelgroup", "group"): "vocabulary",
    ("annotator.projectlabelgroup", "project"): "structure",
    ("annotator.labelgroup", "project_entries"): "vocabulary",
    ("annotator.schemachange", "changed_by"): "accounts",
    ("annotator.schemachange", "project"): "structure",
    ("auth.user", "schema_changes"): "accounts",
    ("annotator.source", "annotations"): "labels",
    ("annotator.source", "goldlabels"): "labels",
    ("annotator.source", "suggested_statements"): "structure",
    ("annotator.statement", "annotations"): "labels",
    ("annotator.statement", "document"): "structure",
    ("annotator.statement", "gold"): "labels",
    ("annotator.statement", "revisions"): "labels",
    ("annotator.statement", "suggested_source"): "vocabulary",
    ("auth.group", "permissions"): "accounts",
    ("auth.group", "user"): "accounts",
    ("auth.user", "annotations"): "labels",
    ("auth.user", "annotator_projects"): "structure",
    ("auth.user", "gold_labels"): "labels",
    ("auth.user", "groups"): "accounts",
    ("auth.user", "jobs"): "structure",
    ("auth.user", "logentry"): "accounts",
    ("auth.user", "user_permissions"): "accounts",
    ("axes.accessattempt", "expiration"): "login records",
}


def classified_models() -> set:
    return (
        set(apps.get_app_config("annotator").get_models())
        | set(admin.site._registry)
        | {get_user_model()}
    )


def test_every_relation_is_classified():
    found = {
        (model._meta.label_lower, relation.name): relation.related_model
        for model in classified_models()
        for relation in relations(model)
    }
    assert set(found) == set(CLASSIFIED_RELATIONS), (
        "Classify each new relation in CLASSIFIED_RELATIONS (and check that no annotator list "
        f"reaches somebody's labels through it): {set(found) ^ set(CLASSIFIED_RELATIONS)}"
    )
    for key, related_model in found.items():
        is_labels = roles.model_label(related_model) in roles.LABEL_MODELS
        assert (CLASSIFIED_RELATIONS[key] == "labels") == is_labels, key


def test_every_model_admin_and_inline_asks_the_policy():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, PolicyAdminMixin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, PolicyAdminMixin), (model, inline)


def test_every_model_has_a_place_in_the_policy():
    """A new model stays closed (superusers only) until the policy says who sees which rows."""
    for model in apps.get_app_config("annotator").get_models():
        label = model._meta.label_lower
        assert label in roles.LEAD_ACCESS, label
        if label != "annotator.goldlabel":  # gold labels: no row for annotators, by design
            assert label in roles.ANNOTATOR_ROWS, label
    assert set(roles.ANNOTATOR_ACCESS) <= set(roles.ANNOTATOR_ROWS)


# Outside roles.py, nothing may ask for a permission, a group or the superuser flag itself.
OTHER_IDIOMS = re.compile(
    r"has_perms?\(|\bperms\.|is_superuser|\.groups\.filter|user_permissions|\bis_staff\b"
)


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(APP))
        for p in [*APP.rglob("*.py"), *APP.rglob("*.html")]
        # The policy itself, and the demo that creates staff accounts.
        if "migrations" not in p.parts
        and p.relative_to(APP).as_posix() not in ("roles.py", "demo/loading.py")
    ),
)
def test_no_other_module_decides_who_may_do_what(path):
    text = (APP / path).read_text(encoding="utf-8")
    assert not OTHER_IDIOMS.findall(text), path
    assert "import is_lead" not in text, path


# --- what an annotator filters, searches and sorts by ----------------------------------------


def annotator_request(user, query: str = ""):
    request = RequestFactory().get(f"/admin/?{query}")
    request.user = user
    return request


def annotator_admins(user):
    request = annotator_request(user)
    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if model_admin.has_view_permission(request)
    ]


def test_no_search_field_of_an_annotators_list_reaches_labels(world):
    for model_admin in annotator_admins(world.alice):
        configured = model_admin.search_fields
        offered = model_admin.get_search_fields(annotator_request(world.alice))
        assert list(offered) == list(configured), model_admin
        for name in offered:
            assert not roles.path_reaches_labels(model_admin.model, name.lstrip("^=@")), name
            probes_count("policy: search fields of annotator lists checked")


def test_every_list_filter_an_annotator_sees_works_and_nothing_else_is_allowed(world):
    """Every allowlisted lookup belongs to a filter the annotator is offered, every offered
    choice answers 200 with rows she may see, and no filter follows a path through labels."""
    client = world.client("annotator")
    for model_admin in annotator_admins(world.alice):
        opts = model_admin.model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        response = client.get(url)
        assert response.status_code == 200, url
        offered = set()
        for spec in response.context["cl"].filter_specs:
            offered |= set(spec.expected_parameters())
            for choice in spec.choices(response.context["cl"]):
                choice_response = client.get(url + choice["query_string"])
                probes_count("policy: list filter choices clicked as annotator")
                assert choice_response.status_code == 200, (url, choice["query_string"])
                visible = roles.visible(world.alice, model_admin.model)
                assert set(listed_pks(choice_response)) <= set(visible.values_list("pk", flat=True))
            field_path = getattr(spec, "field_path", None)
            if field_path:
                assert not roles.path_reaches_labels(model_admin.model, field_path)
        allowed = set(model_admin.annotator_lookups)
        assert allowed <= offered, (url, allowed - offered)


class LeakySourceAdmin(SourceAdmin):
    """What a careless change could add: search and sort sources by people's labels."""

    search_fields = ("name", "annotations__note")
    list_display = ("name", "annotation_note")

    @admin.display(ordering="annotations__source_reliability")
    def annotation_note(self, source):
        return ""


def test_a_search_field_or_column_through_labels_is_dropped_for_annotators(world):
    site = admin.AdminSite(name="probe")
    site.register(Source, LeakySourceAdmin)
    source_admin = site._registry[Source]
    secret = f"{SECRET_PREFIX}-annotation-note"
    with_secret = set(
        Source.objects.filter(annotations__note=secret).values_list("name", flat=True)
    )
    assert "KCNA" in with_secret
    for user, expected in ((world.alice, set()), (world.lead, with_secret)):
        request = annotator_request(user, f"q={secret}")
        response = source_admin.changelist_view(request)
        assert {s.name for s in response.context_data["cl"].queryset} == expected
    for user, kept in ((world.alice, False), (world.lead, True)):
        changelist = source_admin.get_changelist_instance(annotator_request(user))
        column = changelist.list_display.index("annotation_note")
        request = annotator_request(user, f"o={column}")
        ordering = source_admin.get_changelist_instance(request).get_ordering(
            request, Source.objects.all()
        )
        assert ("annotations__source_reliability" in ordering) is kept, user


def test_project_leads_is_gone():
    assert "leads" not in {f.name for f in Project._meta.get_fields()}
