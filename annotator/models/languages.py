"""Texts written in German and in English (label groups, labels, sources' display names,
project guidelines): `localized` picks the one of the interface language."""

from django.utils.text import slugify
from django.utils.translation import get_language

LANGUAGES = ("de", "en")


def interface_language() -> str:
    language = (get_language() or "en").split("-")[0]
    return language if language in LANGUAGES else "en"


def localized(obj, field: str, fallback: str = "") -> str:
    """`field` in the interface language (`name_de` in German), else in the other language,
    else the object's own `fallback` field (the name it is known by; default: `field`)."""
    language = interface_language()
    ordered = (language, *(other for other in LANGUAGES if other != language))
    for code in ordered:
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return getattr(obj, fallback or field, "") or ""


def unique_key(name: str, taken: set[str], max_length: int = 100) -> str:
    """A slug of `name` not in `taken` ("bias", "bias-2", …)."""
    base = slugify(name)[: max_length - 4] or "key"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key
