"""The annotation page's own parts written in Python: the statement box above the form (the
errors, the statement in its paragraph, the suggestion, the action buttons with their hotkeys,
the guidelines panel) and the annotator's submit row, with the markup, translations and
escaping the template's blocks had (`{% translate %}` of a literal is not escaped, a
`{% blocktranslate %}`'s values are). Through the template engine these two blocks cost more
CPU than the rest of the page's own template; tests/annotation/test_statement_box.py renders
the page both ways and compares them.
"""

from django.template.defaultfilters import linebreaks_filter
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .markup import conditional_escape, format_html, format_html_join


def trusted(translation: str) -> SafeString:
    """`{% translate "…" %}`: a literal's translation is the template's own text, not escaped
    (gettext called on each literal, so that makemessages finds it)."""
    return mark_safe(translation)


def statement_box_html(context: dict) -> SafeString:
    """The form_top block: what the annotator reads before choosing."""
    statement = context.get("statement")
    return format_html(
        "\n{}\n{}\n",
        errors_html(context["adminform"].form),
        box_html(context) if statement else "",
    )


def box_html(context: dict) -> SafeString:
    return format_html(
        '\n<div class="statement-box" id="statement-box">\n  {}\n{}  {}\n  {}\n  {}\n</div>\n{}',
        progress_html(context.get("progress")),
        meta_html(context),
        label_history_html(context),
        suggestion_html(context["statement"]),
        actions_html(context),
        guidelines_html(context),
    )


def errors_html(form) -> SafeString:
    if not form.errors:
        return mark_safe("")
    field_errors = ((field.label, error) for field in form for error in field.errors)
    return format_html(
        '\n<ul class="errorlist annotation-errors" id="error-summary" role="alert">\n  {}\n'
        "  {}\n</ul>\n",
        format_html_join("", "<li>{}</li>", ((error,) for error in form.non_field_errors())),
        format_html_join("", "<li>{}: {}</li>", field_errors),
    )


def progress_html(progress) -> SafeString:
    if not progress:
        return mark_safe("")
    done = gettext("%(done)s of %(total)s done") % {
        "done": conditional_escape(str(progress.done)),
        "total": conditional_escape(str(progress.total)),
    }
    return format_html(
        '<span class="annotation-progress" id="annotation-progress">{}</span>', mark_safe(done)
    )


def meta_html(context: dict) -> SafeString:
    statement, project = context["statement"], context["project"]
    document = statement.document
    return format_html(
        '  <div class="meta">{} · {}{} · {} {}</div>\n'
        '  <p class="paragraph" id="paragraph" data-offset="{}" title="{}">{}</p>\n',
        project.name,
        document.title,
        format_html(" · {}", document.place) if document.place else "",
        trusted(gettext("statement")),
        str(statement.position + 1),
        str(context["paragraph_start"]),
        trusted(gettext("Select the words naming the source to fill “source as written”.")),
        context["statement_context"],
    )


def label_history_html(context: dict) -> SafeString:
    original = context.get("original")
    if not (original and context.get("can_view_label_history")):
        return mark_safe("")
    return format_html(
        '\n  <div class="meta"><a id="label-history" href="{}?kind__exact=annotation&amp;'
        'object_id={}">{}</a></div>\n  ',
        reverse("admin:annotator_labelrevision_changelist"),
        str(original.pk),
        trusted(gettext("Label history: every change, before and after")),
    )


def suggestion_html(statement) -> SafeString:
    if not statement.suggested_mention:
        return format_html(
            '\n  <div class="meta" id="suggestion">{}</div>\n  ',
            trusted(gettext("No attribution found: possibly the author's own voice.")),
        )
    shown = (
        statement.suggested_source
        or statement.suggested_mention_resolved
        or statement.suggested_mention
    )
    resolved = ""
    if statement.suggested_mention_resolved:
        resolved = format_html(
            ' <span id="suggestion-resolved">({})</span>',
            mark_safe(
                gettext("resolved from the pronoun “%(pronoun)s”")
                % {"pronoun": conditional_escape(statement.suggested_mention)}
            ),
        )
    cue = ""
    if statement.suggested_cue:
        cue = format_html(" ({}: “{}”)", trusted(gettext("cue")), statement.suggested_cue)
    return format_html(
        '\n  <div class="meta" id="suggestion">{}: <strong>{}</strong>{}{}</div>\n  ',
        trusted(gettext("Suggested source")),
        str(shown),
        resolved,
        cue,
    )


def neighbour_html(context: dict, side: str, element_id: str, message: str) -> SafeString:
    neighbour = context["neighbours"].get(side)
    if not neighbour:
        return mark_safe("")
    return format_html(
        '<a class="button" id="{}" href="{}?statement={}" aria-keyshortcuts="{}">{} '
        '<kbd aria-hidden="true">{}</kbd></a>',
        element_id,
        context["add_url"],
        str(neighbour.pk),
        context["hotkeys"][side],
        trusted(message),
        context["keys_shown"][side],
    )


def button_html(context: dict, element_id: str, action: str, message: str, extra="") -> str:
    return format_html(
        '<button type="button" class="button" id="{}" aria-keyshortcuts="{}"{}>{} '
        '<kbd aria-hidden="true">{}</kbd></button>',
        element_id,
        context["hotkeys"][action],
        extra,
        trusted(message),
        context["keys_shown"][action],
    )


def actions_html(context: dict) -> SafeString:
    if not context["is_own_annotation"]:
        return mark_safe("")
    statement = context["statement"]
    start, end = context["suggested_span"] or (None, None)
    accept = format_html(
        '\n      data-source-id="{}" data-source-name="{}"\n      data-mention="{}" '
        'data-start="{}" data-end="{}"',
        str(statement.suggested_source_id or ""),
        context["suggested_source_name"],
        statement.suggested_mention,
        "" if start is None else str(start),
        "" if end is None else str(end),
    )
    buttons = (
        neighbour_html(context, "previous", "previous-statement", gettext("Previous")),
        neighbour_html(context, "next", "next-statement", gettext("Next")),
        button_html(
            context, "accept-suggestion", "accept_suggestion", gettext("Accept suggestion"), accept
        ),
        button_html(context, "focus-source", "source", gettext("Choose source")),
        button_html(
            context,
            "toggle-guidelines",
            "guidelines",
            gettext("Guidelines"),
            mark_safe(' aria-controls="guidelines-panel"'),
        ),
    )
    return format_html(
        '\n  <div class="annotation-actions" id="annotation-actions">\n    {}\n    {}\n    {}\n'
        "    {}\n    {}\n"
        '    <span class="autosave-status" id="autosave-status" role="status" '
        'aria-live="polite" data-saved="{}" data-failed="{}"></span>\n  </div>\n  ',
        *buttons,
        trusted(gettext("Draft saved automatically")),
        trusted(gettext("Not saved automatically: save as draft to see why")),
    )


def guidelines_html(context: dict) -> SafeString:
    project = context["project"]
    guidelines = linebreaks_filter(project.guidelines, autoescape=True) or "—"
    return format_html(
        '<details class="guidelines-panel" id="guidelines-panel">\n  <summary>{}</summary>\n'
        '  <div class="guidelines-text">{}</div>\n  <dl class="definitions">\n{}\n  </dl>\n'
        "</details>\n",
        mark_safe(
            gettext("Guidelines (version %(version)s) and definitions")
            % {"version": conditional_escape(project.guidelines_version)}
        ),
        guidelines,
        context["label_definitions"],
    )


def submit_row_html(context: dict) -> SafeString:
    """The annotator's buttons (the submit_buttons_bottom block), for their own annotation."""
    keys, shown = context["hotkeys"], context["keys_shown"]
    skip = ""
    if context["may_skip"]:
        skip = format_html(
            '\n  <span class="skip-group">\n    <input type="submit" value="{} · {}" '
            'name="_skip" id="skip-button" aria-keyshortcuts="{}" formnovalidate>\n'
            '    <label for="{}">{}</label> {}\n  </span>\n  ',
            trusted(gettext("Skip")),
            shown["skip"],
            keys["skip"],
            context["adminform"].form["skip_reason"].id_for_label,
            trusted(gettext("reason")),
            context["adminform"].form["skip_reason"],
        )
    return format_html(
        '\n<div class="submit-row annotation-submit" id="annotation-submit">\n'
        '  <input type="submit" value="{} · {}" class="default" name="_annotate_next" '
        'aria-keyshortcuts="{}">\n'
        '  <input type="submit" value="{} · {}" name="_save_draft" aria-keyshortcuts="{}">\n'
        '  {}\n  <input type="submit" value="{}" name="_continue">\n</div>\n{}\n',
        trusted(gettext("Save and annotate next")),
        shown["save_next"],
        keys["save_next"],
        trusted(gettext("Save as draft")),
        shown["save_draft"],
        keys["save_draft"],
        skip,
        trusted(gettext("Save and continue editing")),
        mark_safe('<div id="autosave" data-enabled="1" hidden></div>')
        if context["may_autosave"]
        else "",
    )
