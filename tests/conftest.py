"""Shared test set-up: the named users of every test (two annotators, a lead, an outsider) and
the demo project, plus the rule that a browser or PostgreSQL test never silently skips in CI."""

import os

import pytest
from django.contrib import admin
from django.db import connection, connections

from annotator.models import Project
from annotator.roles import ANNOTATORS_GROUP, LEADS_GROUP

from .helpers import (
    ARTIFACTS,
    CHROMIUM,
    FAST_HASHERS,
    load_demo,
    make_user,
    skip_unless_available,
)

# The admin's modules, as config/urls.py loads them (they are not imported at start-up:
# annotator.apps.AdminConfig): tests that read the admin's registry when they are collected
# need them before the first request.
admin.autodiscover()


def pytest_collection_modifyitems(config, items):
    """Transactional tests restore the rows the migrations made; tests marked `postgres`
    belong to the PostgreSQL pass (DATABASE_URL=postgres://...), and the SQLite pass
    deselects them (and those using `postgres_only`) rather than reporting them as skipped."""
    for item in items:
        if {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())):
            # A flush empties the tables; without this the roles (groups created by a
            # migration) would be gone for the tests that follow.
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
    if connection.vendor == "postgresql":
        return

    def needs_postgres(item) -> bool:
        return bool(item.get_closest_marker("postgres")) or "postgres_only" in getattr(
            item, "fixturenames", ()
        )

    deselected = [item for item in items if needs_postgres(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not needs_postgres(item)]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        skip_unless_available("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo once into the test database; each test then runs inside a transaction
    that is rolled back. (Transactional tests run last and load it again themselves.)"""
    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def transactional_demo(django_db_serialized_rollback, transactional_db) -> Project:
    """The demo in a database whose transactions really commit (for the live server and for
    threads). Serialized rollback restores the roles the migrations created after each flush."""
    return load_demo()


@pytest.fixture
def demo(db) -> Project:
    """The demo project: the example article annotated by anna, ben and carla; dora's queue full."""
    return Project.objects.filter(name__startswith="Demo:").first() or load_demo()


@pytest.fixture
def annotator(db):
    return make_user("alice", ANNOTATORS_GROUP)


@pytest.fixture
def second_annotator(db):
    return make_user("bob", ANNOTATORS_GROUP)


@pytest.fixture
def lead(db):
    return make_user("lena", LEADS_GROUP)


@pytest.fixture
def outsider(db):
    """Staff, but neither annotator nor lead of any project."""
    return make_user("otto", ANNOTATORS_GROUP)


@pytest.fixture
def project(demo, annotator, second_annotator, lead):
    """The demo project with alice and bob as annotators (each with a full queue)."""
    demo.annotators.add(annotator, second_annotator)
    return demo


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- the browser ---------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(request, live_server):
    """A Chromium page (Playwright driving the system's Chromium); a screenshot on failure."""
    if not os.path.exists(CHROMIUM):
        skip_unless_available(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_unless_available("playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="en-GB", accept_downloads=True)
        browser_page = context.new_page()
        browser_page.set_default_timeout(15_000)
        yield browser_page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            os.makedirs(ARTIFACTS, exist_ok=True)
            browser_page.screenshot(
                path=os.path.join(ARTIFACTS, f"{request.node.name}.png"), full_page=True
            )
        context.close()
        browser.close()
        # While Playwright's context is open this thread has a running event loop, so Django
        # keeps the connections opened in it apart from the thread's own (asgiref's Local acts
        # as a context variable then). Close them here, or one stays open past the session
        # and the test database cannot be dropped.
        connections.close_all()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing takes a quarter second per password; tests create many users.
    settings.PASSWORD_HASHERS = FAST_HASHERS
