"""A label group becomes single choice (in one project's schema, or the group's own choice
where projects follow it) only where no annotation or gold label holds several of its labels:
every path that sets it (the project's schema inline, the label group's form, the admin's
imports of schemas and of label groups, the shell) is refused with a message naming how many
hold several, and nothing changes."""

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import CheckboxInput, NullBooleanSelect
from django.urls import reverse

from annotator.adjudication.services import gold_label_decide
from annotator.datasets.resources import FORMATS
from annotator.models import (
    Annotation,
    GoldLabel,
    LabelGroup,
    Project,
    ProjectLabelGroup,
    SchemaChange,
)
from tests.factories import DocumentFactory, ProjectFactory
from tests.helpers import annotation_submit, label

GROUP = "Persuasion techniques"
CSV = next(str(index) for index, fmt in enumerate(FORMATS) if fmt().get_title() == "csv")
SEVERAL = [label_name for label_name in ("doubt", "flag-waving")]


def holding_several(project) -> tuple[int, int]:
    """Counted here one by one, apart from the code under test."""

    def several(labelling) -> bool:
        return labelling.labels.filter(group__name=GROUP).count() > 1

    annotations = Annotation.objects.filter(statement__document__project=project)
    gold_labels = GoldLabel.objects.filter(statement__document__project=project)
    return sum(map(several, annotations)), sum(map(several, gold_labels))


@pytest.fixture
def several_given(demo, annotator, lead):
    """In the demo project an annotation and a gold label hold two persuasion techniques."""
    demo.annotators.add(annotator)
    statement = DocumentFactory(project=demo).statements.first()
    two = [label(GROUP, name) for name in SEVERAL]
    annotation_submit(statement, annotator, labels=[label("Bias", "biased"), *two])
    gold = GoldLabel(statement=statement, source_reliability="C", info_credibility="3")
    gold_label_decide(gold=gold, labels=[label("Bias", "biased"), *two], decided_by=lead)
    annotations, gold_labels = holding_several(demo)
    assert annotations >= 1 and gold_labels >= 1
    return annotations, gold_labels


def as_posted(page) -> dict:
    """The page's forms (the object's and its inlines') as a browser sends them unchanged."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for bound in form:
            value, widget = bound.value(), bound.field.widget
            if isinstance(widget, NullBooleanSelect):
                data[bound.html_name] = widget.format_value(value)
            elif isinstance(widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [getattr(item, "pk", item) for item in value]
            elif value is not None:
                data[bound.html_name] = getattr(value, "pk", value)
    return data


def schema_inline_post(client, project, multiple: str, language: str = "en"):
    url = reverse("admin:annotator_project_change", args=[project.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    data = as_posted(page)
    entry = ProjectLabelGroup.objects.get(project=project, group__name=GROUP)
    index = next(
        name.split("-")[1]
        for name, value in data.items()
        if name.startswith("schema_entries-") and name.endswith("-id") and value == entry.pk
    )
    data[f"schema_entries-{index}-multiple"] = multiple
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


def expected_message(annotations: int, gold_labels: int) -> str:
    return (
        f"{annotations} annotation{'s' if annotations != 1 else ''} and "
        f"{gold_labels} gold label{'s' if gold_labels != 1 else ''}"
    )


# --- the project's schema inline ------------------------------------------------------------


def test_the_schema_inline_refuses_single_choice_and_says_how_many_hold_several(
    demo, several_given, lead, client_for
):
    changes = SchemaChange.objects.count()
    response = schema_inline_post(client_for(lead), demo, "false")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"“{GROUP}” cannot become single choice in “{demo.name}”" in text
    assert expected_message(*several_given) in text
    entry = ProjectLabelGroup.objects.get(project=demo, group__name=GROUP)
    assert entry.multiple is None and entry.group.multiple is True
    assert SchemaChange.objects.count() == changes


def test_the_refusal_reads_in_german(demo, several_given, lead, client_for):
    annotations, gold_labels = several_given
    response = schema_inline_post(client_for(lead), demo, "false", language="de")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"„{GROUP}“ kann in „{demo.name}“ nicht zur Einfachauswahl werden" in text
    assert f"{annotations} Annotation" in text and f"{gold_labels} Gold-Label" in text
    assert ProjectLabelGroup.objects.get(project=demo, group__name=GROUP).multiple is None


def test_the_schema_inline_makes_a_group_single_choice_where_nobody_holds_several(
    demo, several_given, lead, client_for
):
    fresh = ProjectFactory(name="Fresh")
    assert holding_several(fresh) == (0, 0)
    response = schema_inline_post(client_for(lead), fresh, "false")
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert ProjectLabelGroup.objects.get(project=fresh, group__name=GROUP).multiple is False
    assert ProjectLabelGroup.objects.get(project=demo, group__name=GROUP).multiple is None


# --- the label group's own choice -------------------------------------------------------------


def label_group_post(client, group: LabelGroup):
    url = reverse("admin:annotator_labelgroup_change", args=[group.pk])
    data = as_posted(client.get(url))
    data.pop("multiple", None)  # the box unticked
    return client.post(url, data)


def test_the_label_group_form_refuses_single_choice_and_says_how_many_hold_several(
    demo, several_given, lead, client_for
):
    group = LabelGroup.objects.get(name=GROUP)
    following = Project.objects.all()
    annotations = sum(holding_several(project)[0] for project in following)
    gold_labels = sum(holding_several(project)[1] for project in following)
    response = label_group_post(client_for(lead), group)
    assert response.status_code == 200
    text = response.content.decode()
    assert f"“{GROUP}” cannot become single choice" in text
    assert expected_message(annotations, gold_labels) in text
    group.refresh_from_db()
    assert group.multiple is True


def test_a_project_that_makes_the_group_multiple_choice_itself_keeps_it(
    demo, several_given, lead, client_for
):
    """Only the projects that follow the group's choice count; the holder keeps its own."""
    ProjectLabelGroup.objects.filter(project=demo, group__name=GROUP).update(multiple=True)
    others = Project.objects.exclude(pk=demo.pk)
    assert all(holding_several(project) == (0, 0) for project in others)
    group = LabelGroup.objects.get(name=GROUP)
    response = label_group_post(client_for(lead), group)
    assert response.status_code == 302, response.content.decode()[-3000:]
    group.refresh_from_db()
    assert group.multiple is False


# --- the imports ------------------------------------------------------------------------------


def upload(client, model: str, headers: list[str], rows: list[list]):
    content = tablib.Dataset(*rows, headers=headers).export("csv").encode()
    return client.post(
        reverse(f"admin:annotator_{model}_import"),
        {"resource": "0", "format": CSV, "import_file": SimpleUploadedFile("s.csv", content)},
    )


def test_the_schema_import_refuses_single_choice_and_writes_nothing(
    demo, several_given, lead, client_for
):
    fresh = ProjectFactory(name="Fresh", schema=[])
    headers = ["project", "group", "position", "required", "multiple", "retired_at"]
    rows = [
        ["Fresh", "topic", "0", "1", "", ""],
        [demo.name, "persuasion-techniques", "2", "0", "0", ""],
    ]
    page = upload(client_for(lead), "projectlabelgroup", headers, rows)
    assert page.status_code == 200
    assert "confirm_form" not in page.context
    text = page.content.decode()
    assert f"cannot become single choice in “{demo.name}”" in text
    assert expected_message(*several_given) in text
    assert ProjectLabelGroup.objects.get(project=demo, group__name=GROUP).multiple is None
    assert not ProjectLabelGroup.objects.filter(project=fresh).exists()


def test_the_label_group_import_refuses_single_choice_and_writes_nothing(
    demo, several_given, lead, client_for
):
    group = LabelGroup.objects.get(name=GROUP)
    headers = ["name", "description", "multiple", "required", "position"]
    rows = [[group.name, "changed", "0", "0", str(group.position)]]
    page = upload(client_for(lead), "labelgroup", headers, rows)
    assert "confirm_form" not in page.context
    assert f"“{GROUP}” cannot become single choice" in page.content.decode()
    group.refresh_from_db()
    assert group.multiple is True and group.description != "changed"


# --- the shell and the services -----------------------------------------------------------------


def test_no_save_makes_the_group_single_choice_where_several_are_held(demo, several_given):
    entry = ProjectLabelGroup.objects.get(project=demo, group__name=GROUP)
    entry.multiple = False
    with pytest.raises(ValidationError, match="cannot become single choice"):
        entry.save()
    group = LabelGroup.objects.get(name=GROUP)
    group.multiple = False
    with pytest.raises(ValidationError, match="cannot become single choice"):
        group.save()
    assert LabelGroup.objects.get(name=GROUP).multiple is True
    entry.refresh_from_db()
    assert entry.multiple is None
    entry.required = True  # other changes to the entry stay possible
    entry.save()
