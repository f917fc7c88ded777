"""The annotation form's fieldsets, written in Python with the markup of the admin's
`admin/includes/fieldset.html` (the classes, ids and labels its styles, its scripts and the
page's own rely on).

The annotator opens this page hundreds of times a day, and through the template engine its
dozen fields cost more CPU than everything else the request does. Only the editable form is
written here; a page with read-only fields (a lead reading an annotation) keeps the admin's
template.
"""

from django import forms
from django.contrib.admin.helpers import AdminField, AdminForm, Fieldline, Fieldset
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as django_catalogue

from ..models.languages import interface_language
from .hotkeys import HotkeyOptionsMixin, attrs_html
from .markup import conditional_escape, format_html, format_html_join
from .renderer import NothingChosenAutocompleteMixin


def fieldsets_html(adminform: AdminForm) -> SafeString:
    return format_html_join(
        "\n",
        "{}",
        ((fieldset_html(fieldset, index),) for index, fieldset in enumerate(adminform)),
    )


def fieldset_html(fieldset: Fieldset, index: int) -> SafeString:
    heading_id = f"fieldset-0-{index}-heading"
    heading = ""
    if fieldset.name:
        heading = format_html(
            '{}<h2 id="{}" class="fieldset-heading">{}</h2>{}\n',
            mark_safe("<details><summary>") if fieldset.is_collapsible else "",
            heading_id,
            fieldset.name,
            mark_safe("</summary>") if fieldset.is_collapsible else "",
        )
    return format_html(
        '<fieldset class="module aligned {}"{}>\n{}{}{}{}</fieldset>',
        fieldset.classes,
        format_html(' aria-labelledby="{}"', heading_id) if fieldset.name else "",
        heading,
        format_html('<div class="description">{}</div>\n', mark_safe(fieldset.description))
        if fieldset.description
        else "",
        format_html_join("", "{}", ((line_html(line),) for line in fieldset)),
        mark_safe("</details>\n") if fieldset.name and fieldset.is_collapsible else "",
    )


def line_html(line: Fieldline) -> SafeString:
    fields = list(line)
    single = len(fields) == 1
    errors = line_errors(line) if single else ""
    classes = ["form-row"]
    if errors:
        classes.append("errors")
    if not line.has_visible_field:
        classes.append("hidden")
    classes += [f"field-{field.field.name}" for field in fields if field.field.name]
    return format_html(
        '<div class="{}">\n{}{}{}</div>\n',
        " ".join(classes),
        errors if single else mark_safe('<div class="flex-container form-multiline">'),
        format_html_join("", "{}", ((field_html(field, single),) for field in fields)),
        "" if single else mark_safe("</div>\n"),
    )


def line_errors(line: Fieldline) -> SafeString:
    """Fieldline.errors, rendering only the fields that have errors."""
    return mark_safe(
        "\n".join(
            line.form[name].errors.as_ul() if line.form[name].errors else ""
            for name in line.fields
            if name not in line.readonly_fields
        ).strip("\n")
    )


# The choice fields (the grades, the label groups) of a form shown empty are the same markup on
# every statement of a project, and writing their dozens of options was the largest part of
# this module's CPU: kept per process under a key made of everything the markup is written
# from (the choices, hotkeys, definitions, label, help text, attributes, value and language),
# so that a changed schema, label, hotkey or language is a new key, never a stale page.
EMPTY_CHOICES_KEPT = 256
_empty_choices: dict[tuple, SafeString] = {}


def field_html(field: AdminField, single: bool) -> SafeString:
    key = empty_choices_key(field, single) or source_picker_key(field, single)
    if key is None:
        return written_field_html(field, single)
    html = _empty_choices.get(key)
    if html is None:
        if len(_empty_choices) >= EMPTY_CHOICES_KEPT:
            _empty_choices.clear()
        html = _empty_choices[key] = written_field_html(field, single)
    return html


def empty_choices_key(field: AdminField, single: bool) -> tuple | None:
    """The key of a hotkeyed choice field shown with nothing chosen, or None for any other."""
    bound = field.field
    widget = bound.field.widget
    if not isinstance(widget, HotkeyOptionsMixin) or bound.form.is_bound or bound.errors:
        return None
    if not isinstance(widget.choices, list | tuple):
        return None  # choices still a query
    value = bound.value()
    if value not in (None, "", []):
        return None
    return (
        *field_key(field, single),
        type(widget),
        tuple(value) if isinstance(value, list) else value,
        tuple(sorted(widget.attrs.items())),
        tuple((choice, str(label)) for choice, label in widget.choices),
        tuple(widget.hotkeys.items()),
        tuple(widget.definitions.items()),
    )


# The source picker (the admin's wrapper with its links, the autocomplete's select and its
# attributes) was the costliest field left, at ~0.9 ms per form: it is the same markup for every
# statement that suggests the same source (or none), so it is kept too, under the key below.
def source_picker_key(field: AdminField, single: bool) -> tuple | None:
    """The key of the source picker of a form shown unbound, with nothing chosen or with a
    source the page read already (NothingChosenAutocompleteMixin.known_choices), or None."""
    bound = field.field
    wrapper = bound.field.widget
    picker = getattr(wrapper, "widget", None)
    if not isinstance(picker, NothingChosenAutocompleteMixin) or not isinstance(
        wrapper, RelatedFieldWidgetWrapper
    ):
        return None
    form = bound.form
    if form.is_bound or bound.errors:
        return None
    value = bound.value()
    chosen = "" if value in bound.field.empty_values else str(value)
    if chosen and not picker.known_choice({chosen}):
        return None  # the picker would read it: not kept
    return (
        *field_key(field, single),
        type(form),  # made once per schema, language and role (form_classes.py)
        type(picker),
        wrapper.can_add_related,
        wrapper.can_change_related,
        wrapper.can_delete_related,
        wrapper.can_view_related,
        tuple(sorted(picker.attrs.items())),
        chosen,
        # The chosen source's name as the picker lists it: a renamed source is a new key.
        bound.field.label_from_instance(picker.known_choices[chosen]) if chosen else "",
    )


def field_key(field: AdminField, single: bool) -> tuple:
    """What any kept field's markup is written from besides its widget: the language, its
    place in the fieldset, its names, texts and the form's options."""
    bound = field.field
    form = bound.form
    return (
        get_language(),
        single,
        field.is_first,
        bound.html_name,
        bound.auto_id,
        str(bound.label),
        str(bound.help_text),
        bound.field.required,
        bound.field.disabled,
        form.use_required_attribute,
        form.label_suffix,
        bound.field.label_suffix,
        getattr(form, "required_css_class", None),
    )


def written_field_html(field: AdminField, single: bool) -> SafeString:
    bound = field.field
    classes = ["flex-container"]
    if not single:
        classes += ["fieldBox", f"field-{bound.name}"]
        if bound.errors:
            classes.append("errors")
        if bound.is_hidden:
            classes.append("hidden")
    if field.is_checkbox:
        classes.append("checkbox-row")
    label, control = label_html(field), str(bound)
    help_text = ""
    if bound.help_text:
        help_text = format_html(
            '<div class="help{}"{}>\n<div>{}</div>\n</div>\n',
            " hidden" if bound.is_hidden else "",
            format_html(' id="{}_helptext"', bound.id_for_label) if bound.id_for_label else "",
            mark_safe(bound.help_text),
        )
    return format_html(
        '<div>\n{}<div class="{}">\n{}\n</div>\n{}</div>\n',
        "" if single or not bound.errors else bound.errors.as_ul(),
        " ".join(classes),
        format_html("{}{}", control, label)
        if field.is_checkbox
        else format_html("{}\n{}", label, control),
        help_text,
    )


def label_html(field: AdminField) -> SafeString:
    """AdminField.label_tag, without its template (django/forms/label.html)."""
    bound = field.field
    classes = []
    if field.is_checkbox:
        classes.append("vCheckboxLabel")
    if bound.field.required:
        classes.append("required")
    if not field.is_first:
        classes.append("inline")
    attrs = {"class": " ".join(classes)} if classes else {}
    contents = conditional_escape(bound.label)
    suffix = "" if field.is_checkbox else label_suffix(bound)
    # The punctuation after which no suffix is added, as Django's own catalogue translates it
    # (not a message of this project's).
    if suffix and contents and contents[-1] not in django_catalogue(":?.!"):
        contents = format_html("{}{}", contents, suffix)
    widget = bound.field.widget
    id_ = widget.attrs.get("id") or bound.auto_id
    if not id_:
        return contents
    id_for_label = widget.id_for_label(id_)
    if id_for_label:
        attrs["for"] = id_for_label
    if bound.field.required and hasattr(bound.form, "required_css_class"):
        attrs["class"] = " ".join(filter(None, [attrs.get("class"), bound.form.required_css_class]))
    return format_html("<label{}>{}</label>", attrs_html(attrs), contents)


def label_suffix(bound: forms.BoundField) -> str:
    if bound.field.label_suffix is not None:
        return bound.field.label_suffix
    return bound.form.label_suffix


# The definitions panel is the same on every form of a schema: kept per process under a key of
# the texts it is written from (each name and description in both languages, and the interface
# language that picks one), so that an edited label or another language is a new key.
DEFINITIONS_KEPT = 64
_definitions: dict[tuple, SafeString] = {}
BILINGUAL_FIELDS = ("name", "name_de", "name_en", "description", "description_de", "description_en")


def definitions_html(definitions: list[tuple]) -> SafeString:
    """The guidelines panel's list of each group and its labels with their definitions (as
    selectors.label_definitions gives them), written here for the same reason as the
    fieldsets: dozens of labels on every form."""
    key = definitions_key(definitions)
    html = _definitions.get(key)
    if html is None:
        if len(_definitions) >= DEFINITIONS_KEPT:
            _definitions.clear()
        html = _definitions[key] = written_definitions_html(definitions)
    return html


def definitions_key(definitions: list[tuple]) -> tuple:
    def texts(item) -> tuple:
        return tuple(getattr(item, name) for name in BILINGUAL_FIELDS)

    return (
        interface_language(),
        tuple(
            (texts(group), tuple(texts(label) for label in labels)) for group, labels in definitions
        ),
    )


def written_definitions_html(definitions: list[tuple]) -> SafeString:
    return format_html_join(
        "\n",
        "<dt>{}</dt>{}\n{}",
        (
            (
                group.display_name,
                format_html("<dd>{}</dd>", group.display_description)
                if group.display_description
                else "",
                format_html_join("", "{}", ((label_definition_html(label),) for label in labels)),
            )
            for group, labels in definitions
        ),
    )


def label_definition_html(label) -> SafeString:
    description = label.display_description
    return format_html(
        "<dd><strong>{}</strong>{}</dd>",
        label.display_name,
        format_html(": {}", description) if description else "",
    )
