"""The shape of the app, checked from the code (the import contract in `make lint` checks who
imports whom): selectors only read, no module outgrows ~500 lines, the repeated filters live in
the QuerySets, and the package ships what an installed app needs."""

from __future__ import annotations

import ast
import importlib
import inspect
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.models import Annotation, Label, LabelGroup, Project, Statement
from tests.helpers import DEMO_DATA, ROOT

APP = Path(apps.get_app_config("annotator").path)
MODULES = sorted(p for p in APP.rglob("*.py") if "migrations" not in p.relative_to(APP).parts)
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(APP).as_posix())
def test_no_module_is_over_500_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


# --- selectors only read ---------------------------------------------------------------------

SELECTOR_MODULES = [module_name(p) for p in MODULES if p.name == "selectors.py"]


def selector_functions():
    for name in SELECTOR_MODULES:
        module = importlib.import_module(name)
        for function_name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not function_name.startswith("_"):
                yield pytest.param(function, id=f"{name}.{function_name}")


def selector_arguments(demo) -> dict:
    """A real value for every parameter name a selector takes."""
    statement = Statement.objects.filter(document__project=demo).order_by("pk").first()
    anna = demo.annotators.get(username="anna")
    return {
        "project": demo,
        "projects": Project.objects.all(),
        "user": anna,
        "statement": statement,
        "statement_id": statement.pk,
        "annotator_id": anna.pk,
        "text": statement.document.text,
        "start": statement.start,
        "end": statement.end,
        "labels": Label.objects.all(),
        "groups": LabelGroup.objects.all(),
        "labels_by_group": None,
        "items": LabelGroup.objects.all(),
        "written": "Bias",
        "group": LabelGroup.objects.get(key="bias"),
        "drafts": True,
        "resolved": True,
        "limit": 10,
        "reserved": frozenset({"s"}),
    }


def test_every_selectors_module_is_covered():
    assert len(SELECTOR_MODULES) >= 4, SELECTOR_MODULES


@pytest.mark.parametrize("selector", list(selector_functions()))
def test_a_selector_only_reads(selector, demo):
    arguments = selector_arguments(demo)
    parameters = inspect.signature(selector).parameters
    unknown = [name for name in parameters if name not in arguments]
    assert not unknown, f"give {selector.__name__}'s {unknown} a value in selector_arguments"
    with CaptureQueriesContext(connection) as queries:
        result = selector(**{name: arguments[name] for name in parameters})
        if hasattr(result, "query"):  # a QuerySet: evaluate it
            list(result)
    for query in queries.captured_queries:
        sql = prepared_statement(query["sql"]).lstrip().upper()
        assert sql.startswith(("SELECT", "WITH", "SAVEPOINT", "RELEASE")), query["sql"]


def prepared_statement(sql: str) -> str:
    """The SQL an `EXECUTE name(...)` runs (a query compiled once and prepared on
    PostgreSQL, annotator/compiled_queries.py): the statement's own, as the server keeps it."""
    if not sql.startswith("EXECUTE "):
        return sql
    name = sql.removeprefix("EXECUTE ").split("(")[0].strip()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        (statement,) = cursor.fetchone()
    return statement.split(" AS ", 1)[1]


# --- the repeated filters live in the QuerySets ----------------------------------------------


def repeated_filters(tree: ast.AST) -> list[str]:
    """Calls that say what a QuerySet already says: `.filter(status=...)` on annotations, and
    `project.annotators.filter(pk=...)`."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        keywords = {keyword.arg for keyword in node.keywords}
        if node.func.attr in ("filter", "exclude", "get") and "status" in keywords:
            found.append(f"line {node.lineno}: filters by status (use .submitted()/.drafts())")
        owner = node.func.value
        if node.func.attr == "filter" and getattr(owner, "attr", None) == "annotators":
            found.append(f"line {node.lineno}: annotators.filter (use .has_annotator())")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(APP).as_posix())
def test_repeated_filters_are_said_once_in_the_querysets(path):
    if path.parent.name == "models":
        return
    assert not repeated_filters(ast.parse(path.read_text(encoding="utf-8")))


def test_the_querysets_say_it(demo):
    anna = demo.annotators.get(username="anna")
    dora = demo.annotators.get(username="dora")
    assert list(Project.objects.has_annotator(dora)) == [demo]
    assert demo in Project.objects.has_annotator(anna)
    assert demo.has_annotator(anna)
    own = Annotation.objects.submitted().for_user(anna).in_project(demo)
    expected = Annotation.objects.filter(
        annotator=anna, status="submitted", statement__document__project=demo
    )
    assert own.exists() and set(own) == set(expected)
    assert not Annotation.objects.drafts().filter(pk__in=own).exists()


# --- what the package ships ------------------------------------------------------------------


def package_data_patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]["annotator"]


@pytest.mark.parametrize("folder", ["templates", "static", "locale", "demo/data"])
def test_the_package_ships_its_data_files(folder):
    files = [p for p in (APP / folder).rglob("*") if p.is_file() and p.suffix != ".py"]
    assert files, folder
    patterns = package_data_patterns()
    for path in files:
        relative = path.relative_to(APP).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_demo_reads_its_data_from_the_package_and_fixtures_keeps_the_article():
    from annotator.demo.loading import DATA, fixture

    assert Path(str(DATA)) == DEMO_DATA
    article = fixture("demo_project.json")["articles"][0]["file"]
    shipped = (DEMO_DATA / article).read_bytes()
    assert (ROOT / "fixtures" / article).read_bytes() == shipped
