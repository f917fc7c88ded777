"""Showing agreement figures: undefined values as a dash, never as "nan"."""

import math

from django import template

register = template.Library()


def undefined(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@register.filter
def figure(value, digits: int = 3) -> str:
    """0.84962 -> "0.850"; nan -> "—"."""
    return "—" if undefined(value) else f"{float(value):.{int(digits)}f}"


@register.filter
def percent(value) -> str:
    return "—" if undefined(value) else f"{100 * float(value):.0f}%"


@register.filter
def interval(values) -> str:
    low, high = values
    if undefined(low) or undefined(high):
        return "—"
    return f"[{low:.2f}, {high:.2f}]"


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def count(value) -> str:
    """Coincidence counts are whole numbers except where a statement has 3+ values."""
    if undefined(value) or value == 0:
        return "·"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
