"""Showing agreement figures: undefined values as a dash, never as "nan"; numbers in the
interface language's style ("0.780" in English, "0,780" in German; percent the same way, "85%"
and "85 %")."""

import math

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

register = template.Library()


def undefined(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@register.filter
def figure(value, digits: int = 3) -> str:
    """0.84962 -> "0.850" ("0,850" in German); nan -> "—"."""
    # Rounded as Python rounds (the figures the JSON and the command print), then localised.
    return "—" if undefined(value) else number_format(f"{float(value):.{int(digits)}f}")


def percent_text(number) -> str:
    """A whole percentage as the language writes it: "85%", "85 %"."""
    return gettext("%(number)s%%") % {"number": number_format(number, 0)}


@register.filter
def percent(value) -> str:
    """A share (0.85) as a percentage."""
    return "—" if undefined(value) else percent_text(round(100 * float(value)))


@register.filter
def percent_number(value) -> str:
    """A percentage already counted (85) in the language's style."""
    return "—" if undefined(value) else percent_text(value)


@register.filter
def interval(values) -> str:
    low, high = values
    if undefined(low) or undefined(high):
        return "—"
    return gettext("[%(low)s, %(high)s]") % {
        "low": number_format(low, 2),
        "high": number_format(high, 2),
    }


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def count(value) -> str:
    """Coincidence counts are whole numbers except where a statement has 3+ values."""
    if undefined(value) or value == 0:
        return "·"
    return number_format(value, 0 if float(value).is_integer() else 1)
