"""The lead's article upload: a project, a language for articles that do not name theirs, and
one or more files (within the upload size limit)."""

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Document
from .reading import SUPPORTED_SUFFIXES
from .uploads import upload_max_bytes


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ArticleUploadForm(forms.Form):
    project = forms.ModelChoiceField(queryset=None, label=_("project"))
    language = forms.ChoiceField(
        label=_("language"),
        choices=Document._meta.get_field("language").choices,
        initial="de",
        help_text=_("For articles that do not name their language."),
    )
    files = MultipleFileField(
        label=_("files"),
        help_text=_(
            "Plain-text articles like the example article (.txt), or one article per row or "
            "record (.csv, .json, .jsonl) with the columns title, text, language, url, place, "
            "published_at, outlet, external_id."
        ),
    )

    def __init__(self, *args, projects, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["files"].widget.attrs["accept"] = ",".join(SUPPORTED_SUFFIXES)

    def clean_files(self):
        files = self.cleaned_data["files"]
        total = sum(uploaded.size for uploaded in files)
        if total > upload_max_bytes():
            raise ValidationError(
                gettext(
                    "The upload is %(size)s; at most %(limit)s per upload. Import larger "
                    "corpora with “manage.py import_articles”."
                )
                % {"size": filesizeformat(total), "limit": filesizeformat(upload_max_bytes())}
            )
        return files
