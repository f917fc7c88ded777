"""Logging in: brute force is slowed (django-axes), and production cookies are secure."""

import pytest

from .test_configuration import PRODUCTION, manage

LOGIN = "/admin/login/?next=/admin/"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_from_that_address(client, annotator):
    from .conftest import PASSWORD

    for _ in range(5):
        response = attempt(client, annotator.username, "wrong-password")
    assert response.status_code in (403, 429)
    # Even the right password is refused now: the lock holds for the cool-off period.
    locked = attempt(client, annotator.username, PASSWORD)
    assert locked.status_code in (403, 429)
    assert "locked" in locked.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_a_few_mistakes_do_not_lock(client, annotator):
    from .conftest import PASSWORD

    for _ in range(3):
        assert attempt(client, annotator.username, "wrong-password").status_code == 200
    response = attempt(client, annotator.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(annotator.pk)


@pytest.mark.parametrize(
    "setting",
    ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"],
)
def test_production_cookies_are_secure(setting):
    code = f"from django.conf import settings; print(settings.{setting})"
    result = manage("shell", "-c", code, **PRODUCTION)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr
