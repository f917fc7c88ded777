"""403 and 404 in the admin's look, with a way back: never a bare "403 Forbidden" or a page
listing the URL patterns. Only what the admin's header needs is read (its title, the user)."""

from django.contrib import admin
from django.http import HttpResponseForbidden, HttpResponseNotFound
from django.template.loader import render_to_string


def error_page(request, template: str) -> str:
    context = admin.site.each_context(request)
    # No sidebar: it would list the models of the page that was refused.
    context["is_nav_sidebar_enabled"] = False
    return render_to_string(template, context, request=request)


def permission_denied(request, exception=None):
    return HttpResponseForbidden(error_page(request, "admin/annotator/403.html"))


def page_not_found(request, exception=None):
    return HttpResponseNotFound(error_page(request, "admin/annotator/404.html"))
