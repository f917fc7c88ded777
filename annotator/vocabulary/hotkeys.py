"""Default hotkeys for the labels of a form: one key per label, none twice (schema_hotkeys in
selectors applies it to a project's schema)."""

from ..models.vocabulary import HOTKEYS

# Default keys, in the order labels receive them: digits first, then letters.
HOTKEY_POOL = HOTKEYS


def hotkeys_assign(
    labels: list[tuple[int, str | None]], reserved: frozenset[str] = frozenset()
) -> dict[int, str]:
    """One key per label, no key twice, none of `reserved`: (label id, stored hotkey) in the
    order of the form. A stored key is kept unless an earlier label or `reserved` has it; the
    others get the first free keys of HOTKEY_POOL. Labels beyond the pool get none."""
    taken = set(reserved)
    keys: dict[int, str] = {}
    for pk, stored in labels:
        if stored and stored not in taken:
            keys[pk] = stored
            taken.add(stored)
    free = iter(key for key in HOTKEY_POOL if key not in taken)
    for pk, _stored in labels:
        if pk not in keys:
            key = next(free, None)
            if key is None:
                break
            keys[pk] = key
    return keys
