"""The session store (annotator/sessions.py): Django's database sessions, read by SQL of its
own. A signed-in user stays signed in; an expired, unknown or deleted session signs nobody in."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.helpers import PASSWORD

LOGIN = "/admin/login/?next=/admin/"


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_a_login_keeps_the_user_signed_in_on_the_next_requests(client, annotator):
    response = client.post(LOGIN, {"username": annotator.username, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(client) and signed_in(client)
    assert client.session["_auth_user_id"] == str(annotator.pk)


def test_an_expired_session_signs_nobody_in(client, annotator):
    client.force_login(annotator)
    assert signed_in(client)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_deleted_or_unknown_session_signs_nobody_in(client, annotator):
    client.force_login(annotator)
    Session.objects.all().delete()
    assert not signed_in(client)
    client.cookies["sessionid"] = "x" * 32  # a key that was never issued
    assert not signed_in(client)
    client.cookies["sessionid"] = "' OR '1'='1"
    assert not signed_in(client)
