"""Start-up: a management command does not import the admin's modules (they are loaded with the
URLs), and a server loads them before its first request. Each case runs in a fresh Python."""

import os
import subprocess
import sys

from tests.helpers import ROOT

ADMIN_MODULES = ("annotator.admin", "annotator.annotation.admin", "import_export.admin")


def printed_by(code: str) -> list[str]:
    """The words `code` printed, run in a new interpreter with the project's settings."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def loaded_after(code: str, modules=ADMIN_MODULES) -> set[str]:
    """The `modules` among sys.modules after `code` ran in a new interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    return set(printed_by(probe))


def test_django_setup_leaves_the_admin_modules_alone():
    assert loaded_after("import django; django.setup()") == set()


def test_the_wsgi_application_loads_the_admin_before_its_first_request():
    loaded = loaded_after("import config.wsgi")
    assert {"annotator.admin", "annotator.annotation.admin"} <= loaded


def test_the_wsgi_application_sets_the_collector_for_a_server():
    """Start-up's objects frozen out of the cycle collector's reach, the young generation
    collected less often (config/wsgi.py says why)."""
    probe = "import gc, config.wsgi\nprint(gc.get_threshold()[0], gc.get_freeze_count() > 50_000)"
    assert printed_by(probe) == ["20000", "True"]


# What the export command does not need before it works: the admin's and the
# spreadsheet libraries, the statistics (numpy: only the dataset card, when it is written), the
# template engine's libraries, the migration machinery, django.contrib.postgres's fields.
UNNEEDED_BY_DATA_COMMANDS = (
    "numpy",
    "openpyxl",
    "pyarrow",
    "krippendorff",
    "somajo",
    "import_export.admin",
    "import_export.resources",
    "django.contrib.admin.templatetags.admin_list",
    "annotator.templatetags.annotator_tags",
    "django.db.migrations.autodetector",
    "django.contrib.postgres.fields",
    "annotator.datasets.xlsx",
    "annotator.vocabulary.services",
)


def test_the_export_command_starts_without_the_modules_it_does_not_use():
    """export_dataset loaded and its system checks run, as manage.py does before the export
    begins."""
    code = (
        "import django; django.setup()\n"
        "from django.core import checks\n"
        "from django.core.management import load_command_class\n"
        "command = load_command_class('annotator', 'export_dataset')\n"
        "assert not checks.run_checks(tags=command.requires_system_checks)\n"
    )
    assert loaded_after(code, UNNEEDED_BY_DATA_COMMANDS) == set()
