"""The two roles. Leads see and decide everything; annotators see only their own labels."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ANNOTATORS_GROUP = "Annotators"
LEADS_GROUP = "Leads"


def is_lead(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Cached on the user object: admin pages ask many times per request.
    if not hasattr(user, "_is_lead"):
        user._is_lead = user.groups.filter(name=LEADS_GROUP).exists()
    return user._is_lead
