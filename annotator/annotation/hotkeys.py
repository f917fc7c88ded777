"""The annotation page's hotkeys: one key per choice (reliability A–F, credibility 1–6, each
label) and per action, declared on the control with `aria-keyshortcuts` (the WAI-ARIA syntax:
key names as in KeyboardEvent.key, modifiers joined by "+").

Single keys fire only outside text fields; the actions that save carry a modifier so they also
work from the note or the source picker.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.safestring import mark_safe
from django.utils.translation import pgettext_lazy

from ..models import InfoCredibility, LabelGroup, SourceReliability
from ..vocabulary.hotkeys import hotkeys_assign
from .markup import conditional_escape, format_html, format_html_join

# The grades are typed as themselves.
GRADE_HOTKEYS = {
    "source_reliability": {grade: grade.upper() for grade in SourceReliability.values},
    "info_credibility": {grade: grade for grade in InfoCredibility.values},
}

ACTION_HOTKEYS = {
    "save_next": "Control+Enter",
    "save_draft": "Control+S",
    "skip": "X",
    "previous": "P",
    "next": "N",
    "source": "S",
    "accept_suggestion": "G",
    "guidelines": "?",
}

# Modifier keys as the keyboard labels them, in the interface language (a German keyboard
# says "Strg"); aria-keyshortcuts keeps the standard names.
KEY_NAMES = {
    "Control": pgettext_lazy("keyboard key", "Ctrl"),
    "Shift": pgettext_lazy("keyboard key", "Shift"),
    "Alt": pgettext_lazy("keyboard key", "Alt"),
}


def key_shown(shortcut: str) -> str:
    """A shortcut as shown on its control: "Control+Enter" is "Ctrl+Enter", in German
    "Strg+Enter"."""
    return "+".join(str(KEY_NAMES.get(part, part)) for part in shortcut.split("+"))


def action_keys_shown() -> dict[str, str]:
    return {action: key_shown(shortcut) for action, shortcut in ACTION_HOTKEYS.items()}


# Keys no label may take: the grades' letters and digits, and the actions' keys.
RESERVED = frozenset(
    {key for keys in GRADE_HOTKEYS.values() for key in keys.values()}
    | {key for key in ACTION_HOTKEYS.values() if "+" not in key}
)


def label_hotkeys(groups: Iterable[LabelGroup], labels=None) -> dict[int, str]:
    """A hotkey for every label of `groups` (label pk -> key), none of them twice and none
    reserved for a grade or an action: the schema's stored key, else the first free letter of
    the label's name, else a spare key (vocabulary/hotkeys.py); groups and labels in their
    order, so the keys stay put while the schema does. `labels`: {group pk: [labels]} when
    already read (default: the group's offered ones).
    """
    ordered = []
    for group in groups:
        group_labels = (
            labels[group.pk]
            if labels is not None
            else group.labels.filter(retired_at__isnull=True).order_by("position", "name")
        )
        ordered.extend((label.pk, label.hotkey, label.name) for label in group_labels)
    return hotkeys_assign(ordered, RESERVED)


class HotkeyOptionsMixin:
    """A radio or checkbox widget whose options carry their hotkey (`aria-keyshortcuts`, and
    shown next to the option) and their definition (as the label's title)."""

    hotkeys: dict[str, str] = {}
    definitions: dict[str, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = self.hotkeys.get(str(value))
        if key:
            option["attrs"]["aria-keyshortcuts"] = key
            option["hotkey"] = key
        option["definition"] = self.definitions.get(str(value), "")
        return option

    def render(self, name, value, attrs=None, renderer=None):
        """The markup of Django's multiple_input.html and input_option.html, written here
        with each option's hotkey and definition: the annotation page has dozens of options,
        and the template engine spends more on them than on the rest of the form's fields."""
        widget = self.get_context(name, value, attrs)["widget"]
        groups = format_html_join(
            "",
            "{}{}{}",
            (
                (
                    format_html("\n  <div><label>{}</label>", group) if group else "",
                    format_html_join(
                        "", "<div>\n    {}</div>", ((option_html(o),) for o in options)
                    ),
                    mark_safe("\n  </div>") if group else "",
                )
                for group, options, _index in widget["optgroups"]
            ),
        )
        return format_html(
            "<div{}{}>{}\n</div>",
            format_html(' id="{}"', widget["attrs"]["id"]) if widget["attrs"].get("id") else "",
            format_html(' class="{}"', widget["attrs"]["class"])
            if widget["attrs"].get("class")
            else "",
            groups,
        )


def attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: False leaves an attribute out, True writes its name."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def option_html(option: dict) -> str:
    """One choice: its input inside its label (the definition as its title), then its hotkey."""
    value = option["value"]
    control = format_html(
        '<input type="{}" name="{}"{}{}>\n',
        option["type"],
        option["name"],
        format_html(' value="{}"', value) if value is not None else "",
        attrs_html(option["attrs"]),
    )
    if not option["wrap_label"]:
        return format_html("{}\n", control)
    return format_html(
        "<label{}{}>{} {}</label>{}\n",
        format_html(' for="{}"', option["attrs"]["id"]) if option["attrs"].get("id") else "",
        format_html(' title="{}"', option["definition"]) if option["definition"] else "",
        control,
        conditional_escape(option["label"]),
        format_html(' <kbd class="hotkey" aria-hidden="true">{}</kbd>', option["hotkey"])
        if option.get("hotkey")
        else "",
    )


# One class per widget class, made once per process: a class made per request costs CPU on
# every form, and its type is part of the key under which fieldsets.py keeps an empty field.
_HOTKEY_WIDGETS: dict[type, type] = {}


def hotkey_widget_class(widget_class: type) -> type:
    if issubclass(widget_class, HotkeyOptionsMixin):
        return widget_class
    if widget_class not in _HOTKEY_WIDGETS:
        _HOTKEY_WIDGETS[widget_class] = type(
            f"Hotkey{widget_class.__name__}", (HotkeyOptionsMixin, widget_class), {}
        )
    return _HOTKEY_WIDGETS[widget_class]


def with_hotkeys(widget, hotkeys: dict[str, str], definitions: dict[str, str] | None = None):
    """The same widget (of this form instance) with hotkeys on its options."""
    widget.__class__ = hotkey_widget_class(type(widget))
    widget.hotkeys = hotkeys
    widget.definitions = definitions or {}
    return widget
