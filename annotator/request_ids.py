"""Ids that arrive in a request (a URL, a filter, a posted form) are checked before they reach
a query: "abc" or 99999999999999999999 is a 404 or a form error, never a 500 (SQLite cannot
bind an integer beyond 64 bits, PostgreSQL refuses it; Django lets both through in `__in`).
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection, models


def is_valid_value(field: models.Field, value) -> bool:
    """Can `value` be stored in `field`'s column (the type, and the range of an integer)?"""
    try:
        python_value = field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    if python_value is None:
        return False
    if isinstance(python_value, int) and not isinstance(python_value, bool):
        try:
            low, high = connection.ops.integer_field_range(field.get_internal_type())
        except KeyError:
            return True
        return (low is None or low <= python_value) and (high is None or python_value <= high)
    return True


def is_valid_id(model: type[models.Model], value) -> bool:
    return is_valid_value(model._meta.pk, value)


def valid_ids(model: type[models.Model], values: list) -> list:
    return [value for value in values if is_valid_id(model, value)]


class ValidIdsModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids the column cannot hold with the field's own "not a valid value" message."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.get_field(key)
        for item in value:
            if not is_valid_value(field, item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super()._check_values(value)


class ValidIdsAutocompleteMixin:
    """Django's autocomplete widget looks up the posted value to show it again; a posted "abc"
    would crash the re-rendered form. Values the column cannot hold are left out."""

    def optgroups(self, name, value, attr=None):
        remote_model = self.field.remote_field.model
        to_field_name = getattr(self.field.remote_field, "field_name", None)
        to_field = remote_model._meta.get_field(to_field_name or remote_model._meta.pk.name)
        value = [item for item in value if is_valid_value(to_field, item)]
        return super().optgroups(name, value, attr)


class ValidIdsAutocompleteSelect(ValidIdsAutocompleteMixin, AutocompleteSelect):
    pass


class ValidIdsAutocompleteSelectMultiple(ValidIdsAutocompleteMixin, AutocompleteSelectMultiple):
    pass
