from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = _("Source credibility")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The guard that keeps labels in use from being deleted by any path.
        from .vocabulary import guards  # noqa: F401
