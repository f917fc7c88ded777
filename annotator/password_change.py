"""The admin's password change, throttled like the login: a wrong old password counts as a
failed login for that username and address (django-axes), and a locked pair is refused even
with the right old password. Otherwise whoever finds an unlocked session could guess the
password there without limit."""

from django.contrib import admin
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth import authenticate
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse


class ThrottledPasswordChangeForm(AdminPasswordChangeForm):
    def __init__(self, user, *args, request: HttpRequest | None = None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        # Through the authentication backends, so django-axes counts the failure (and refuses
        # a locked username and address before the password is even compared).
        checked = authenticate(
            self.request, username=self.user.get_username(), password=old_password
        )
        if checked is None or checked.pk != self.user.pk:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class ThrottledPasswordChangeView(PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


def password_change(request: HttpRequest):
    """The admin's own password change page, with the throttled form."""
    request.current_app = admin.site.name
    return ThrottledPasswordChangeView.as_view(
        success_url=reverse("admin:password_change_done"),
        extra_context=admin.site.each_context(request),
    )(request)


password_change_view = admin.site.admin_view(password_change)
