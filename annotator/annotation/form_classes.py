"""The annotation form class, kept per process.

The admin makes a form class per request (modelform_factory: a form field per model field,
the source picker's widgets), 2-3 ms of CPU on every form and every save. The class is kept
under a key of everything it is made from (form_class_key), so a changed schema, group
name, language or role is a new class, never a stale one; the request's label groups and
preset values are given to each form instance (LabellingForm.__init__).
"""

from collections.abc import Callable

from django.utils.translation import get_language

from .. import roles

FORM_CLASSES_KEPT = 64
_form_classes: dict[tuple, type] = {}


def form_class_key(user, change: bool, groups: list, kwargs: dict) -> tuple:
    """The groups' fields (their rules and names in the interface language), the fields the
    admin asks for, and the user's role (the source picker's add and change links)."""
    return (
        get_language(),
        change,
        tuple(kwargs.get("fields") or ()),
        tuple(sorted(kwargs.keys())),
        roles.role_key(user),
        tuple(
            (group.pk, group.required, group.multiple, group.display_name,
             group.display_description)
            for group in groups
        ),
    )  # fmt: skip


def kept_form_class(key: tuple | None, make: Callable[[], type]) -> type:
    """The class kept under `key`, else made (and kept, unless `key` is None)."""
    form_class = _form_classes.get(key) if key is not None else None
    if form_class is None:
        form_class = make()
        if key is not None:
            if len(_form_classes) >= FORM_CLASSES_KEPT:
                _form_classes.clear()
            _form_classes[key] = form_class
    return form_class
