"""The annotation form's widgets written in Python: the markup of Django's own widget templates
(input.html and the inputs that include it, textarea.html, select.html, select_option.html;
stripped, as Django's renderer strips it), for the form the annotator opens hundreds of times
a day. Through the template engine its hidden fields, text fields and the two selects cost
more CPU than the rest of the form's fields; any other template (the source picker's wrapper,
error lists) is still rendered by Django's templates. tests/annotation/test_form_renderer.py
compares both, widget by widget.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from .hotkeys import attrs_html

# The templates that are nothing but django/forms/widgets/input.html.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "hidden", "text", "number", "email", "url", "password")
)

OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def input_html(widget: dict) -> SafeString:
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        format_html(' value="{}"', str(widget["value"])) if widget["value"] is not None else "",
        attrs_html(widget["attrs"]),
    )


def textarea_html(widget: dict) -> SafeString:
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        attrs_html(widget["attrs"]),
        widget["value"] or "",
    )


def option_html(option: dict) -> SafeString:
    return format_html(
        '<option value="{}"{}>{}</option>\n',
        str(option["value"]),
        attrs_html(option["attrs"]),
        option["label"],
    )


def select_html(widget: dict) -> SafeString | None:
    """None for options of another template than Django's (a widget of its own)."""
    if any(
        option.get("template_name") != OPTION_TEMPLATE
        for _name, options, _index in widget["optgroups"]
        for option in options
    ):
        return None
    groups = format_html_join(
        "",
        "{}{}{}",
        (
            (
                format_html('\n  <optgroup label="{}">', name) if name else "",
                format_html_join("", "\n  {}", ((option_html(option),) for option in options)),
                mark_safe("\n  </optgroup>") if name else "",
            )
            for name, options, _index in widget["optgroups"]
        ),
    )
    return format_html(
        '<select name="{}"{}>{}\n</select>', widget["name"], attrs_html(widget["attrs"]), groups
    )


WRITERS = {
    "django/forms/widgets/textarea.html": textarea_html,
    "django/forms/widgets/select.html": select_html,
    **dict.fromkeys(INPUT_TEMPLATES, input_html),
}


class AnnotationFormRenderer(DjangoTemplates):
    """Django's default form renderer, with the widgets above written in Python. One instance
    per process (RENDERER): each keeps its own template engine."""

    def render(self, template_name, context, request=None):
        writer = WRITERS.get(template_name)
        widget = context.get("widget")
        html = None
        if (
            writer is not None
            and widget is not None
            and widget.get("template_name") == template_name
        ):
            html = writer(widget)
        if html is None:
            return super().render(template_name, context, request=request)
        return html


RENDERER = AnnotationFormRenderer()
