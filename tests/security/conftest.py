"""Shared set-up of the security tests (their helpers are in tests/helpers.py).

- `secret_world`: built once per test class inside a transaction that is rolled back at the end
  of the class (each test then runs in a savepoint): the demo project with annotators alice (A)
  and bob (B), bob's labels in a second project too, a gold label, and in every text field of
  every row of somebody's labels that alice may not see, a string only those rows contain.
- A count of every generated probe, printed at the end of the run.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from ..helpers import FAST_HASHERS
from .world import PROBES, SecretWorld, secret_world_build


def pytest_terminal_summary(terminalreporter):
    if not PROBES:
        return
    terminalreporter.write_sep("-", "security probes: generated cases tried")
    for kind, number in sorted(PROBES.items()):
        terminalreporter.write_line(f"{kind}: {number}")


@pytest.fixture(scope="class")
def secret_world(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        world = secret_world_build()
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def world(secret_world, db) -> SecretWorld:
    """The class's world; whatever a test changes is rolled back after it."""
    return secret_world
