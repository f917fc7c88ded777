"""The columns of the admin's import and export (django-import-export widgets): names in,
objects out; an unknown name is a row error with its reason, never a crash."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import MultipleObjectsReturned
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from import_export import widgets

from ..models import Document, Label, Statement
from ..vocabulary.selectors import label_find, label_group_find
from .selection import timestamp


class NameWidget(widgets.ForeignKeyWidget):
    """A foreign key written as a readable name (`field`); unknown names are row errors."""

    def __init__(self, model, field: str, noun: str):
        super().__init__(model, field)
        self.noun = noun

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(str(value).strip(), row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"Unknown {self.noun} “{value}”.") from None
        except MultipleObjectsReturned:
            raise ValueError(f"“{value}” names more than one {self.noun}.") from None


class DocumentWidget(widgets.ForeignKeyWidget):
    """A document as its external id (or its title without one), within the row's project."""

    def __init__(self):
        super().__init__(Document, "title")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        value = str(value).strip()
        project = (row or {}).get("project")
        if not project:
            raise ValueError("The “project” column is needed to find the document.")
        documents = Document.objects.filter(project__name=project)
        matches = list(documents.filter(external_id=value)[:2]) or list(
            documents.filter(title=value)[:2]
        )
        if not matches:
            raise ValueError(f"No document “{value}” in project “{project}”.")
        if len(matches) > 1:
            raise ValueError(f"Several documents are titled “{value}”: use the external id.")
        return matches[0]

    def render(self, value, obj=None, **kwargs):
        return (value.external_id or value.title) if value else ""


class StatementWidget(widgets.ForeignKeyWidget):
    """A statement as its position (this column) in the row's project and document."""

    def __init__(self):
        super().__init__(Statement, "position")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            raise ValueError("A position is needed to find the statement.")
        document = DocumentWidget().clean((row or {}).get("document"), row)
        if document is None:
            raise ValueError("The “document” column is needed to find the statement.")
        try:
            return Statement.objects.select_related("document").get(
                document=document, position=int(value)
            )
        except (Statement.DoesNotExist, ValueError):
            raise ValueError(f"No statement at position {value} in “{document}”.") from None

    def render(self, value, obj=None, **kwargs):
        return value.position if value else ""


class LabelsWidget(widgets.ManyToManyWidget):
    """Labels written as “group key: label key” items separated by “;”, e.g.
    “bias: biased; persuasion-techniques: doubt; persuasion-techniques: flag-waving”. On
    import a group or label not found by its key is looked up by its name in either language
    (files exported before keys existed: “Bias: biased”)."""

    def __init__(self):
        super().__init__(Label, separator=";", field="key")

    def clean(self, value, row=None, **kwargs):
        labels = []
        for item in str(value or "").split(self.separator):
            if not item.strip():
                continue
            group_written, _colon, label_written = item.partition(":")
            group = label_group_find(group_written.strip())
            label = label_find(group, label_written.strip()) if group else None
            if label is None:
                raise ValueError(f"Unknown label “{item.strip()}” (write “group key: label key”).")
            labels.append(label)
        return labels

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        labels = sorted(
            value.all(), key=lambda label: (label.group.position, label.group.key, label.position)
        )
        return f"{self.separator} ".join(f"{label.group.key}: {label.key}" for label in labels)


class IsoDateTimeWidget(widgets.Widget):
    """A moment as UTC ISO 8601 with microseconds (as the dataset export writes it), so a
    re-import finds it unchanged."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        moment = value if isinstance(value, datetime) else parse_datetime(str(value).strip())
        if moment is None:
            raise ValueError(f"“{value}” is not a date and time (2026-03-01T12:00:00Z).")
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def render(self, value, obj=None, **kwargs):
        return timestamp(value) or ""


def username_widget(noun: str) -> NameWidget:
    return NameWidget(get_user_model(), get_user_model().USERNAME_FIELD, noun)
