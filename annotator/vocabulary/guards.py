"""The guards for every path that deletes a label (the shell, a cascade from its group): a label
in use is retired instead, never deleted; and for every path that makes a label group single
choice (the admin, the imports of label groups and of schemas, the shell): refused where
annotations or gold labels hold several of its labels. Connected when the app is ready
(apps.py)."""

from django.db.models import ProtectedError
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from ..models import Label, LabelGroup, ProjectLabelGroup


@receiver(pre_delete, sender=Label, dispatch_uid="label_in_use_is_not_deleted")
def label_in_use_is_not_deleted(sender, instance: Label, **kwargs) -> None:
    """Deleting a label would silently strip it from every annotation that has it (the rows of
    the many-to-many table go with it): a label in use is retired instead, never deleted."""
    from .selectors import labels_in_use  # here: every command imports this module at start

    if labels_in_use(Label.objects.filter(pk=instance.pk)).exists():
        raise ProtectedError(
            f"The label “{instance}” is in use by annotations or gold labels: retire it "
            "(labels_delete_or_retire) instead of deleting it.",
            {instance},
        )


@receiver(pre_save, sender=LabelGroup, dispatch_uid="label_group_single_choice_fits")
@receiver(pre_save, sender=ProjectLabelGroup, dispatch_uid="schema_entry_single_choice_fits")
def single_choice_fits_the_labels_given(sender, instance, raw: bool = False, **kwargs) -> None:
    """The forms check first and show the message; this catches the paths without a form of
    ours (the imports raise the ValidationError as a row's error and write nothing)."""
    from .services import choice_change_check  # here: every command imports this module

    if not raw:  # fixtures load the rows as they were
        choice_change_check(instance)
