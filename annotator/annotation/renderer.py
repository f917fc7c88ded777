"""The annotation form's widgets written in Python: the markup of Django's own widget templates
(input.html and the inputs that include it, textarea.html, select.html, select_option.html;
stripped, as Django's renderer strips it), for the form the annotator opens hundreds of times
a day. Through the template engine its hidden fields, text fields and the two selects cost
more CPU than the rest of the form's fields; any other template (the source picker's wrapper,
error lists) is still rendered by Django's templates. tests/annotation/test_form_renderer.py
compares both, widget by widget.
"""

from django import forms
from django.contrib.admin.widgets import AutocompleteMixin
from django.forms.renderers import DjangoTemplates
from django.templatetags.static import static
from django.utils.html import strip_spaces_between_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as django_catalogue

from .hotkeys import attrs_html
from .markup import conditional_escape, format_html, format_html_join

# The templates that are nothing but django/forms/widgets/input.html.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "hidden", "text", "number", "email", "url", "password")
)

OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
RELATED_WIDGET_WRAPPER = "admin/widgets/related_widget_wrapper.html"


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


# admin/widgets/related_widget_wrapper.html: the source picker and its links (change, add,
# delete, view the chosen source), each line as the template has it, in its {% spaceless %}.
RELATED_LINKS = (
    (
        "can_change_related",
        """
        <a class="related-widget-wrapper-link change-related" id="change_id_{name}"
            data-href-template="{change_related_template_url}?{url_params}"
            data-popup="yes"
            title="{title}">
            <img src="{icon}" alt="" width="24" height="24">
        </a>
        """,
        "Change selected %(model)s",
        "admin/img/icon-changelink.svg",
    ),
    (
        "can_add_related",
        """
        <a class="related-widget-wrapper-link add-related" id="add_id_{name}"
            data-popup="yes"
            href="{add_related_url}?{url_params}"
            title="{title}">
            <img src="{icon}" alt="" width="24" height="24">
        </a>
        """,
        "Add another %(model)s",
        "admin/img/icon-addlink.svg",
    ),
    (
        "can_delete_related",
        """
        <a class="related-widget-wrapper-link delete-related" id="delete_id_{name}"
            data-href-template="{delete_related_template_url}?{url_params}"
            data-popup="yes"
            title="{title}">
            <img src="{icon}" alt="" width="24" height="24">
        </a>
        """,
        "Delete selected %(model)s",
        "admin/img/icon-deletelink.svg",
    ),
    (
        "can_view_related",
        """
          <a class="related-widget-wrapper-link view-related" id="view_id_{name}"
             data-href-template="{change_related_template_url}?{view_related_url_params}"
             title="{title}">
            <img src="{icon}" alt="" width="24" height="24">
          </a>
        """,
        "View selected %(model)s",
        "admin/img/icon-viewlink.svg",
    ),
)


def related_widget_wrapper_html(context: dict) -> SafeString:
    links = ""
    if not context["is_hidden"]:
        links = strip_spaces_between_tags(
            "".join(
                format_html(
                    markup,
                    **{
                        name: context.get(name, "")
                        for name in (
                            "name",
                            "url_params",
                            "add_related_url",
                            "change_related_template_url",
                            "delete_related_template_url",
                            "view_related_url_params",
                        )
                    },
                    # As {% blocktranslate %}: the model's name escaped, not the message.
                    title=mark_safe(
                        django_catalogue(title) % {"model": conditional_escape(context["model"])}
                    ),
                    icon=static(icon),
                )
                for flag, markup, title, icon in RELATED_LINKS
                if context[flag]
            )
        ).strip()
    return format_html(
        '<div class="related-widget-wrapper" {}>\n    {}\n    \n        {}\n    \n</div>',
        ""
        if context["model_has_limit_choices_to"]
        else format_html('data-model-ref="{}"', context["model_name"]),
        context["rendered_widget"],
        mark_safe(links),
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
        if template_name == RELATED_WIDGET_WRAPPER and "rendered_widget" in context:
            return related_widget_wrapper_html(context)
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


# The admin's wrapper of a related field (the source picker) renders the widget it wraps with
# Django's default renderer (RelatedFieldWidgetWrapper.get_context passes it none): a subclass
# per widget class, made once per process, renders with RENDERER instead.
_RENDERED_HERE: dict[type, type] = {}


def rendered_here(widget):
    """The same widget (of one form instance), rendered by RENDERER when given no renderer."""
    widget_class = type(widget)
    if widget_class not in _RENDERED_HERE:
        mixins = (RenderedHereMixin,)
        if issubclass(widget_class, AutocompleteMixin):
            mixins += (NothingChosenAutocompleteMixin,)
        _RENDERED_HERE[widget_class] = type(widget_class.__name__, (*mixins, widget_class), {})
    widget.__class__ = _RENDERED_HERE[widget_class]
    return widget


class RenderedHereMixin:
    def _render(self, template_name, context, renderer=None):
        return super()._render(template_name, context, renderer or RENDERER)


class NothingChosenAutocompleteMixin:
    """The source picker lists only the chosen source (the others come by autocomplete). With
    none chosen, as on most new annotations, Django's AutocompleteMixin.optgroups still builds
    the SQL of a query for no id (`pk IN ()`, then not run): the same options without it.
    With the chosen source one the page read already (`known_choices`, {value: instance}: the
    statement's suggested source), the same option without the query that reads it again."""

    known_choices: dict = {}

    def optgroups(self, name, value, attr=None):
        chosen = {str(item) for item in value if str(item) not in self.choices.field.empty_values}
        if chosen and not self.known_choice(chosen):
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        if chosen:  # as AutocompleteMixin.optgroups writes the one option its query finds
            instance = self.known_choices[next(iter(chosen))]
            label = self.choices.field.label_from_instance(instance)
            default[1].append(self.create_option(name, instance.pk, label, chosen, len(default[1])))
        return [default]

    def known_choice(self, chosen: set[str]) -> bool:
        """One value, read already, of a field whose choices are the whole table (a filtered
        queryset might not offer it: that one asks the database)."""
        return (
            len(chosen) == 1
            and next(iter(chosen)) in self.known_choices
            and self.field.remote_field.field_name == self.field.remote_field.model._meta.pk.name
            and not self.choices.queryset.query.has_filters()
        )


# The page's scripts and styles (the admin's, the source picker's in the interface language)
# are the same on every form, and merging their lists in order cost ~0.5 ms per page: written
# once per process for each list of them (Media keeps them unmerged in _css_lists and
# _js_lists, which make the key).
MEDIA_KEPT = 64
_media_html: dict[str, SafeString] = {}


def media_html(media: forms.Media) -> SafeString:
    key = repr((media._css_lists, media._js_lists))
    html = _media_html.get(key)
    if html is None:
        if len(_media_html) >= MEDIA_KEPT:
            _media_html.clear()
        html = _media_html[key] = media.render()
    return html
