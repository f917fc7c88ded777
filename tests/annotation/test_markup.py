"""The form's own format_html (annotation/markup.py) writes exactly what Django's writes, for
every kind of value the form passes, and marks it safe."""

import pytest
from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from annotator.annotation import markup


class Marked:
    def __html__(self):
        return "<i>marked</i>"


VALUES = [
    "plain",
    "<script>alert('x')</script> & \"quotes\"",
    "",
    mark_safe("<b>safe</b>"),
    gettext_lazy("Save and annotate next"),
    12,
    3.5,
    None,
    Marked(),
    "Umlaute äöü · “quotes”",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_escaped_as_django_escapes_it(value):
    ours = markup.format_html('<p title="{}">{}</p>', value, value)
    assert ours == django_html.format_html('<p title="{}">{}</p>', value, value)
    assert isinstance(ours, SafeString)
    named = markup.format_html('<a href="{url}">{}</a>', value, url=value)
    assert named == django_html.format_html('<a href="{url}">{}</a>', value, url=value)
    assert markup.conditional_escape(value) == django_html.conditional_escape(value)


def test_a_join_is_written_as_djangos():
    rows = [(value, index) for index, value in enumerate(VALUES)]
    for separator in ("\n", "<br>", mark_safe("<br>")):
        ours = markup.format_html_join(separator, "<li>{} {}</li>", rows)
        assert ours == django_html.format_html_join(separator, "<li>{} {}</li>", rows)
        assert isinstance(ours, SafeString)
