"""Helpers shared by the tests (fixtures stay in conftest.py; factories in factories.py): the
named users, annotations saved through the service, the annotation form's data, the demo, the
browser login, the production environment for subprocesses, and the independent reference the
agreement figures are checked against."""

from __future__ import annotations

import difflib
import math
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

from annotator.agreement import statistics
from annotator.annotation.services import annotation_save
from annotator.demo.loading import demo_load
from annotator.labelling import project_label_groups
from annotator.models import (
    Annotation,
    GoldLabel,
    Label,
    LabelGroup,
    LabelRevision,
    Project,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-password-2026"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The demo's data, as the installed package ships it; the example article is also in fixtures/.
DEMO_DATA = Path(str(files("annotator.demo") / "data"))
EXAMPLE_ARTICLE = DEMO_DATA / "articles" / "000_f2846f6686cc43ba.txt"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def skip_unless_available(reason: str) -> None:
    """Skip on a developer's laptop; in CI (CI=true) a missing service is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: this test must run in CI)")
    pytest.skip(reason)


def make_user(username: str, group: str | None):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=group is not None
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def labels_erase() -> None:
    """What only a test may do: drop every annotation, gold label and revision without a trace
    (the models protect them from cascades), so projects, users and vocabularies can go."""

    LabelRevision.objects.all().delete()
    GoldLabel.objects.all().delete()
    Annotation.objects.all().delete()


def load_demo() -> Project:
    # The test runner turns DEBUG off; the demo (rightly) refuses to run without it.
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
        return demo_load().project


def label(group_name: str, label_name: str):

    return Label.objects.get(group__name=group_name, name=label_name)


def group_field(group_name: str) -> str:

    return f"label_group_{LabelGroup.objects.get(name=group_name).pk}"


def annotation_submit(
    statement,
    user,
    *,
    reliability="C",
    credibility="3",
    source=None,
    mention="",
    note="",
    labels=None,
):
    """A submitted annotation saved through the service (history and gold labels included)."""

    annotation = Annotation(
        statement=statement,
        annotator=user,
        source=source,
        source_mention=mention,
        source_reliability=reliability,
        info_credibility=credibility,
        note=note,
    )
    return annotation_save(
        annotation=annotation,
        labels=labels if labels is not None else [label("Bias", "non-biased")],
        changed_by=user,
    )


def annotation_form_data(**overrides) -> dict:
    """A valid POST of the annotation form: no source, C3, non-biased."""
    data = {
        "source": "",
        "source_mention": "",
        "source_reliability": "C",
        "info_credibility": "3",
        group_field("Bias"): label("Bias", "non-biased").pk,
        group_field("Stance"): "",
        "note": "",
        "_annotate_next": "Save and annotate next",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def browser_login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


# --- subprocesses in production mode -------------------------------------------------------

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "annotation.example.org",
}


def manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the agreement figures' independent reference -----------------------------------------

RELIABILITY_ORDER = list("ABCDE")
CREDIBILITY_ORDER = list("12345")


def submitted(project, **filters):
    return (
        Annotation.objects.filter(
            statement__document__project=project, status=Annotation.Status.SUBMITTED, **filters
        )
        .select_related("annotator")
        .prefetch_related("labels__group")
    )


def field_value(annotation, key):
    """The value of one field as the page should read it (None = missing)."""
    if key == "source":
        return annotation.source_id or "no source"
    if key == "source_reliability":
        return None if annotation.source_reliability == "F" else annotation.source_reliability
    if key == "info_credibility":
        return None if annotation.info_credibility == "6" else annotation.info_credibility
    group_name, _, label_name = key.partition(": ")
    names = {lab.name for lab in annotation.labels.all() if lab.group.name == group_name}
    if label_name:
        return label_name in names
    if LabelGroup.objects.get(name=group_name).multiple:
        return frozenset(names)
    return next(iter(names), "none")


def level_of(key):
    if key in ("source_reliability", "info_credibility"):
        return "ordinal"
    group_name, _, label_name = key.partition(": ")
    if key != "source" and not label_name and LabelGroup.objects.get(name=group_name).multiple:
        return "masi"
    return "nominal"


def order_of(key):
    return {"source_reliability": RELIABILITY_ORDER, "info_credibility": CREDIBILITY_ORDER}.get(key)


def reference_ratings(annotations, key):
    return [(a.statement_id, a.annotator_id, field_value(a, key)) for a in annotations]


def reference_alpha(annotations, key):
    return statistics.krippendorff_alpha(
        reference_ratings(annotations, key), level_of(key), order_of(key)
    )


def all_field_keys(project=None):
    """The agreement fields of the demo project's schema."""
    project = project or Project.objects.get(name__startswith="Demo:")
    keys = ["source", "source_reliability", "info_credibility"]
    for group in project_label_groups(project):
        keys.append(group.name)
        if group.multiple:
            keys += [f"{group.name}: {lab.name}" for lab in group.labels.all()]
    return keys


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


def annotation_add_url(statement) -> str:
    """The annotation form of `statement` (the admin's add view)."""
    return reverse("admin:annotator_annotation_add") + f"?statement={statement.pk}"


def assert_same_page(served: str, reference: str) -> None:
    """`served` equals the template's `reference`; on failure the diff between them."""
    difference = difflib.unified_diff(
        reference.splitlines(), served.splitlines(), "template", "served", lineterm="", n=1
    )
    assert served == reference, "\n".join(difference)
