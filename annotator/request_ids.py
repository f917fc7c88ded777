"""Ids that arrive in a request (a URL, a filter, a posted form) are checked before they reach
a query: "abc" or 99999999999999999999 is a 404 or a form error, never a 500 (SQLite cannot
bind an integer beyond 64 bits, PostgreSQL refuses it; Django lets both through in `__in`).
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.db.models.constants import LOOKUP_SEP


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


# Lookups that compare a column with the value as it is (a transform such as __year does not).
COMPARING_LOOKUPS = {"exact", "iexact", "in", "gt", "gte", "lt", "lte"}


def lookup_values_valid(model: type[models.Model], lookup: str, values: list[str]) -> bool:
    """Can every value of a list lookup (`project__id__in=1,2`) be held by the column it is
    compared with? Lookups that are no field path are left to whoever reads them."""
    field, operator = None, "exact"
    for part in lookup.split(LOOKUP_SEP):
        if field is not None and not field.is_relation:
            operator = part
            break
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            if field is None:
                return True
            operator = part
            break
        if field.is_relation:
            model = field.related_model
    if field is None or operator not in COMPARING_LOOKUPS:
        return True
    if field.is_relation:
        field = field.target_field if field.many_to_one or field.one_to_one else model._meta.pk
    items = [item for value in values for item in value.split(",")] if operator == "in" else values
    return all(is_valid_value(field, item) for item in items)


def is_valid_id(model: type[models.Model], value) -> bool:
    return is_valid_value(model._meta.pk, value)


def valid_ids(model: type[models.Model], values: list) -> list:
    return [value for value in values if is_valid_id(model, value)]


class ValidIdsModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids the column cannot hold with the field's own "not a valid value" message."""

    def _check_values(self, value):
        opts = self.queryset.model._meta
        field = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
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
