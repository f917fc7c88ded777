from django.apps import AppConfig
from django.contrib.admin.apps import SimpleAdminConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AnnotatorConfig(AppConfig):
    # The app's configuration for "annotator" in INSTALLED_APPS: this module holds the
    # admin's too (and imports Django's), so the choice is said, not inferred.
    default = True
    name = "annotator"
    verbose_name = _("Source credibility")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The guard that keeps labels in use from being deleted by any path.
        from .vocabulary import guards  # noqa: F401


def admin_modules_checked(app_configs, **kwargs):
    """The admin's checks over every ModelAdmin: the admin modules are imported first (the
    checks run in no fixed order, so the URL check cannot be relied on to have done it)."""
    from django.contrib import admin
    from django.contrib.admin.checks import check_admin_app

    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    """The admin, its modules imported when the URLs are (config/urls.py), not at start-up:
    about half of a management command's start-up went into importing every admin.py (and
    with them numpy, openpyxl and import-export), which no command but the server needs."""

    def ready(self) -> None:
        from django.contrib.admin.checks import check_dependencies

        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(admin_modules_checked, checks.Tags.admin)
