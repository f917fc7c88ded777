"""Logging in: brute force is slowed (django-axes), and production cookies are secure."""

import pytest

from tests.helpers import PASSWORD, PRODUCTION, manage

LOGIN = "/admin/login/?next=/admin/"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_from_that_address(client, annotator):

    for _ in range(5):
        response = attempt(client, annotator.username, "wrong-password")
    assert response.status_code in (403, 429)
    # Even the right password is refused now: the lock holds for the cool-off period.
    locked = attempt(client, annotator.username, PASSWORD)
    assert locked.status_code in (403, 429)
    assert "locked" in locked.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_a_few_mistakes_do_not_lock(client, annotator):

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


# --- behind a proxy: the client's address, not the proxy's --------------------------------

PROXY = "10.0.0.1"


def attempt_from(client, username, password, *, forwarded_for=None, remote=PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def lock_out(client, username, **where):
    for _ in range(5):
        response = attempt_from(client, username, "wrong-password", **where)
    assert response.status_code in (403, 429)


def test_behind_one_proxy_a_locked_client_does_not_lock_the_others(client, lead, settings):

    settings.TRUSTED_PROXY_COUNT = 1
    lock_out(client, lead.username, forwarded_for="203.0.113.5")
    assert attempt_from(
        client, lead.username, PASSWORD, forwarded_for="203.0.113.5"
    ).status_code in (
        403,
        429,
    )
    # The lead, from another address behind the same proxy, still logs in.
    response = attempt_from(client, lead.username, PASSWORD, forwarded_for="198.51.100.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(lead.pk)


def test_behind_one_proxy_a_spoofed_leftmost_address_does_not_escape_the_lock(
    client, lead, settings
):

    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; whatever the client sent stays on the left.
    for number in range(5):
        attempt_from(client, lead.username, "wrong", forwarded_for=f"192.0.2.{number}, 203.0.113.5")
    response = attempt_from(
        client, lead.username, PASSWORD, forwarded_for="192.0.2.99, 203.0.113.5"
    )
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_behind_two_proxies_the_second_address_from_the_right_is_the_client(client, lead, settings):

    settings.TRUSTED_PROXY_COUNT = 2
    lock_out(client, lead.username, forwarded_for="203.0.113.5, 10.0.0.9")
    # Another client behind the same two proxies is not locked.
    response = attempt_from(client, lead.username, PASSWORD, forwarded_for="198.51.100.7, 10.0.0.9")
    assert response.status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, lead, settings):

    settings.TRUSTED_PROXY_COUNT = 0
    for number in range(5):
        attempt_from(client, lead.username, "wrong", forwarded_for=f"192.0.2.{number}")
    # A fresh X-Forwarded-For does not make a fresh client: the address is REMOTE_ADDR.
    response = attempt_from(client, lead.username, PASSWORD, forwarded_for="198.51.100.99")
    assert response.status_code in (403, 429)
    # Another real address (REMOTE_ADDR) is not locked.
    response = attempt_from(client, lead.username, PASSWORD, remote="10.9.9.9")
    assert response.status_code == 302


# --- the password change form is throttled too ---------------------------------------------

PASSWORD_CHANGE = "/admin/password_change/"


def change_password(client, old, new="a-brand-new-password-2026"):
    return client.post(
        PASSWORD_CHANGE, {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_wrong_old_passwords_lock_the_password_change_form(client, annotator):

    client.force_login(annotator)
    for _ in range(4):
        response = change_password(client, "wrong-old-password")
        assert response.status_code == 200
        assert "old password was entered incorrectly" in response.content.decode()
    locked = change_password(client, "wrong-old-password")
    assert locked.status_code in (403, 429)
    # Even the right old password is refused now, and the password is unchanged.
    assert change_password(client, PASSWORD).status_code in (403, 429)
    annotator.refresh_from_db()
    assert annotator.check_password(PASSWORD)
    # The login of that user from that address is locked as well: the same failures count.
    client.logout()
    assert attempt(client, annotator.username, PASSWORD).status_code in (403, 429)


def test_the_right_old_password_changes_it(client, annotator):

    client.force_login(annotator)
    assert change_password(client, "wrong-old-password").status_code == 200
    response = change_password(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/password_change/done/"
    annotator.refresh_from_db()
    assert annotator.check_password("a-brand-new-password-2026")


def test_the_password_change_page_needs_a_login(client):
    response = client.get(PASSWORD_CHANGE)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
