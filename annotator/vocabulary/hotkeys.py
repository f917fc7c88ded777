"""Hotkeys for the labels of a form: one key per label, none twice, none of the keys the page
reserves (the grades' letters and digits, the actions' keys). The one assignment both the
annotation page (annotation/hotkeys.py) and the schema (selectors.schema_hotkeys) use.

Keys are written as `aria-keyshortcuts` names: upper-case letters, digits, "Shift+X".
"""

import string

# What labels take when neither a stored key nor a letter of their name is free: the other
# letters, then the digits the credibility grades leave, then Shift with a letter.
SPARE_KEYS = (
    list(string.ascii_uppercase)
    + ["7", "8", "9", "0"]
    + [f"Shift+{c}" for c in string.ascii_uppercase]
)


def hotkeys_assign(
    labels: list[tuple[int, str | None, str]], reserved: frozenset[str] = frozenset()
) -> dict[int, str]:
    """{label id: key} for (label id, stored hotkey, name) in the form's order. A stored key
    (the schema's choice) is kept unless `reserved` or an earlier label has it; the others take
    the first free letter of their name, else the first free spare key. Labels beyond the keys
    get none (they are chosen by Tab and Space)."""
    taken = {key.upper() for key in reserved}
    keys: dict[int, str] = {}
    for pk, stored, _name in labels:
        if stored and stored.upper() not in taken:
            keys[pk] = stored.upper()
            taken.add(keys[pk])
    for pk, _stored, name in labels:
        if pk in keys:
            continue
        key = first_free(name, taken)
        if key is None:
            break
        keys[pk] = key
        taken.add(key)
    return keys


def first_free(name: str, taken: set[str]) -> str | None:
    for char in name.upper():
        if char in string.ascii_uppercase and char not in taken:
            return char
    return next((key for key in SPARE_KEYS if key not in taken), None)
