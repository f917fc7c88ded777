from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from annotator.password_change import password_change_view

# Here rather than at start-up (annotator.apps.AdminConfig): only what serves pages needs them.
admin.autodiscover()

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Before the admin's own URLs: the same page, with a wrong old password throttled as a login.
    path("admin/password_change/", password_change_view),
    path("admin/", admin.site.urls),
]

# 403 and 404 in the admin's look, with a way back.
handler403 = "annotator.error_pages.permission_denied"
handler404 = "annotator.error_pages.page_not_found"
