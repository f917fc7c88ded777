"""The guard for every path that deletes a label (the shell, a cascade from its group): a label
in use is retired instead, never deleted. Connected when the app is ready (apps.py)."""

from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from ..models import Label
from .selectors import labels_in_use


@receiver(pre_delete, sender=Label, dispatch_uid="label_in_use_is_not_deleted")
def label_in_use_is_not_deleted(sender, instance: Label, **kwargs) -> None:
    """Deleting a label would silently strip it from every annotation that has it (the rows of
    the many-to-many table go with it): a label in use is retired instead, never deleted."""
    if labels_in_use(Label.objects.filter(pk=instance.pk)).exists():
        raise ProtectedError(
            f"The label “{instance}” is in use by annotations or gold labels: retire it "
            "(labels_delete_or_retire) instead of deleting it.",
            {instance},
        )
