"""Markdown for the dataset card (templates/annotator/datasets/card.md): text from the database is
shown as written, never rendered as HTML, and no name can break out of a table cell or a code
block."""

import html
import re

from django import template

register = template.Library()


@register.filter
def md_text(value) -> str:
    """HTML in a name or description (typed by a lead, or arriving with an import) is shown as
    written, never rendered."""
    return html.escape(str(value), quote=False)


@register.filter
def md_code_block(content: str, language: str = "") -> str:
    """A fenced block longer than any run of backticks inside, so no name can close it."""
    runs = [len(run) for run in re.findall(r"`+", content)]
    fence = "`" * max([3, *(run + 1 for run in runs)])
    return f"{fence}{language}\n{content}\n{fence}"


@register.filter
def md_table(table: tuple[list[str], list[list]]) -> str:
    """(header, rows) as a Markdown table."""
    header, rows = table

    def cell(value) -> str:
        return md_text(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)
