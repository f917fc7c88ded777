"""Settings come from the environment; production refuses to start half-configured."""

import pytest

from tests.helpers import PRODUCTION, manage


def test_debug_off_without_a_secret_key_stops_with_a_clear_message():
    result = manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_unset_debug_means_production_and_refuses_to_start_without_a_key():
    result = manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "unset means production" in result.stderr


def test_unset_debug_with_a_secret_key_runs_with_debug_off():
    code = "from django.conf import settings; print('DEBUG', settings.DEBUG)"
    result = manage(
        "shell",
        "-c",
        code,
        DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
        DJANGO_ALLOWED_HOSTS="annotation.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


@pytest.mark.parametrize(
    "key,reason",
    [
        ("short-secret", "too short"),
        ("x" * 49, "too short"),
        ("ab" * 40, "too simple"),
        ("django-insecure-" + "q1w2e3r4t5y6u7i8o9p0" * 3, "development key"),
    ],
)
def test_debug_off_with_a_weak_secret_key_stops_with_a_clear_message(key, reason):
    for debug in ("0", None):
        env = {"DJANGO_SECRET_KEY": key, **({"DJANGO_DEBUG": debug} if debug else {})}
        result = manage("check", **env)
        assert result.returncode != 0, result.stdout
        assert reason in result.stderr


def test_development_mode_is_explicit_and_needs_no_key():
    result = manage("check", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_has_no_warnings_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_demo_command_refuses_in_production():
    result = manage("demo", **PRODUCTION)
    assert result.returncode != 0
    assert "refuses to run with DJANGO_DEBUG off" in result.stderr


@pytest.mark.parametrize(
    "url,vendor",
    [("sqlite:////tmp/x.sqlite3", "sqlite3"), ("postgres://u@127.0.0.1:5432/db", "postgresql")],
)
def test_database_url_chooses_the_database(url, vendor):
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = manage("shell", "-c", code, DATABASE_URL=url, DJANGO_DEBUG="1")
    assert result.stdout.strip().endswith(vendor), result.stderr
