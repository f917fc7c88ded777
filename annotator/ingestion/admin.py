"""Admin pages for ingestion, mixed into the ModelAdmins in admin.py:

- ``ArticleImportAdminMixin`` (Document list): "Import articles" -> upload form -> preview of
  what would be imported (nothing written) -> "Confirm import" writes it. Between preview and
  confirm the uploaded bytes stay on the server, in a folder named by a random token that only
  the uploading user's session knows; confirm reads and checks them again.
- ``SourceFromMentionAdminMixin`` (Statements): make a suggested mention a registry Source in
  one step, from the list (action) or from the statement's page.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import roles, services
from .admin_policy import visible_object_or_404
from .importing import (
    SUPPORTED_SUFFIXES,
    ImportSummary,
    article_file_read,
    article_files_preview,
    articles_import,
)
from .models import Document, Project, Source, Statement
from .request_ids import ValidIdsAutocompleteSelect

# --- uploads kept between preview and confirm ------------------------------------------------

UPLOAD_SESSION_KEY = "article_import_uploads"
UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
CLAIMED = ".claimed"
UPLOAD_MAX_AGE = 24 * 3600  # seconds; older uploads are removed at the next upload


def upload_max_bytes() -> int:
    return getattr(settings, "ARTICLE_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def upload_root() -> Path:
    folder = getattr(settings, "ARTICLE_IMPORT_UPLOAD_DIR", None)
    return Path(folder or Path(tempfile.gettempdir()) / "annotator-article-uploads")


def upload_store(*, user_id: int, project_id: int, language: str, files: list) -> str:
    """Keep the uploaded files under a fresh random token; returns the token."""
    uploads_expire()
    token = secrets.token_urlsafe(24)
    folder = upload_root() / token
    folder.mkdir(parents=True, mode=0o700)
    for number, (_name, data) in enumerate(files):
        (folder / f"{number}.upload").write_bytes(data)
    manifest = {
        "user": user_id,
        "project": project_id,
        "language": language,
        "names": [name for name, _data in files],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return token


def upload_load(token: str, *, claim: bool = False) -> tuple[dict, list] | None:
    """The manifest and (name, bytes) of each file. With claim, the upload is taken away at
    once (an atomic rename), so a double-clicked "Confirm import" imports it only once."""
    if not UPLOAD_TOKEN.match(token):
        return None
    folder = upload_root() / token
    if claim:
        try:
            folder = folder.rename(folder.with_name(f"{token}{CLAIMED}"))
        except OSError:
            return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = [
            (name, (folder / f"{number}.upload").read_bytes())
            for number, name in enumerate(manifest["names"])
        ]
    except (OSError, ValueError, KeyError):
        return None
    finally:
        if claim:
            shutil.rmtree(folder, ignore_errors=True)
    return manifest, files


def uploads_expire() -> None:
    root = upload_root()
    if not root.is_dir():
        return
    cutoff = time.time() - UPLOAD_MAX_AGE
    for folder in root.iterdir():
        try:
            token = folder.name.removesuffix(CLAIMED)
            if UPLOAD_TOKEN.match(token) and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # removed by another worker meanwhile


# --- the upload form -------------------------------------------------------------------------


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


def summary_messages(request, summary: ImportSummary, limit: int = 10) -> None:
    level = messages.SUCCESS if summary.ok else messages.WARNING
    messages.add_message(request, level, " ".join(summary.lines()))
    for issue in summary.issues[:limit]:
        messages.error(request, gettext("Not imported: %(issue)s") % {"issue": issue})
    if len(summary.issues) > limit:
        messages.error(
            request,
            gettext("… and %(count)d more errors.") % {"count": len(summary.issues) - limit},
        )


class ArticleImportAdminMixin:
    """For DocumentAdmin. The per-model change list template adds the "Import articles" button;
    it is set here so that django-import-export, if mixed in too, extends it (it takes a
    ModelAdmin's change_list_template as its base) and the page shows both buttons."""

    change_list_template = "admin/annotator/document/change_list.html"
    articles_upload_template = "admin/annotator/document/import_articles.html"
    articles_preview_template = "admin/annotator/document/import_articles_preview.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "import-articles/",
                self.admin_site.admin_view(self.articles_upload_view),
                name="{}_{}_import_articles".format(*info),
            ),
            path(
                "import-articles/<str:token>/",
                self.admin_site.admin_view(self.articles_preview_view),
                name="{}_{}_import_articles_preview".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def has_articles_import_permission(self, request) -> bool:
        return roles.can_import(request.user)

    def changelist_view(self, request, extra_context=None):
        import_url = self.articles_url("import_articles")
        if request.GET.get("project__id__exact", "").isdigit():
            import_url += "?" + urlencode({"project": request.GET["project__id__exact"]})
        extra_context = {
            **(extra_context or {}),
            "has_articles_import_permission": self.has_articles_import_permission(request),
            "articles_import_url": import_url,
        }
        return super().changelist_view(request, extra_context)

    def articles_context(self, request, **context) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import articles"),
            **context,
        }

    def articles_upload_view(self, request):
        if not self.has_articles_import_permission(request):
            raise PermissionDenied
        projects = roles.visible_projects(request.user)
        initial = {"project": request.GET.get("project")}
        if request.method == "POST":
            form = ArticleUploadForm(request.POST, request.FILES, projects=projects)
        else:
            form = ArticleUploadForm(projects=projects, initial=initial)
        if form.is_valid():
            files = [(f.name, b"".join(f.chunks())) for f in form.cleaned_data["files"]]
            token = upload_store(
                user_id=request.user.pk,
                project_id=form.cleaned_data["project"].pk,
                language=form.cleaned_data["language"],
                files=files,
            )
            # The session names the uploads this user may preview and confirm; a token from
            # anywhere else is a 404.
            request.session[UPLOAD_SESSION_KEY] = [
                *request.session.get(UPLOAD_SESSION_KEY, [])[-9:],
                token,
            ]
            return HttpResponseRedirect(self.articles_url("import_articles_preview", token))
        context = self.articles_context(
            request,
            form=form,
            max_size=filesizeformat(upload_max_bytes()),
            media=self.media + form.media,
        )
        return TemplateResponse(request, self.articles_upload_template, context)

    def articles_url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def articles_preview_view(self, request, token: str):
        if not self.has_articles_import_permission(request):
            raise PermissionDenied
        if token not in request.session.get(UPLOAD_SESSION_KEY, []):
            raise Http404
        upload = upload_load(token, claim=request.method == "POST")
        if upload is None or upload[0]["user"] != request.user.pk:
            raise Http404(gettext("This upload has expired; please upload the files again."))
        manifest, stored = upload
        project = visible_object_or_404(request.user, Project, manifest["project"])
        files = [
            article_file_read(name=name, data=data, language=manifest["language"])
            for name, data in stored
        ]
        if request.method == "POST":
            return self.articles_confirm(request, token, project, files)
        previews = article_files_preview(project=project, files=files)
        records = [record for preview in previews for record in preview.records]
        context = self.articles_context(
            request,
            project=project,
            language=dict(Document._meta.get_field("language").choices)[manifest["language"]],
            previews=previews,
            new_count=sum(record.new for record in records),
            duplicate_count=sum(not record.new for record in records),
            failed_files=sum(bool(preview.issues) for preview in previews),
            upload_url=self.articles_url("import_articles"),
        )
        return TemplateResponse(request, self.articles_preview_template, context)

    def articles_confirm(self, request, token: str, project, files):
        request.session[UPLOAD_SESSION_KEY] = [
            known for known in request.session.get(UPLOAD_SESSION_KEY, []) if known != token
        ]
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        if "_cancel" in request.POST:
            messages.info(request, gettext("The import was cancelled; nothing was written."))
            return HttpResponseRedirect(changelist)
        summary = articles_import(project=project, files=files, files_total=len(files))
        summary_messages(request, summary)
        return HttpResponseRedirect(f"{changelist}?{urlencode({'project__id__exact': project.pk})}")


# --- sources from suggested mentions ---------------------------------------------------------


class SourceFromMentionForm(forms.Form):
    name = forms.CharField(
        label=_("name of the new source"),
        max_length=200,
        required=False,
        help_text=_("The mention becomes its first alias."),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=Source.Kind.choices, initial="other")
    existing = forms.ModelChoiceField(
        label=_("or add the mention as an alias of"),
        queryset=Source.objects.all(),
        required=False,
        help_text=_("Leave empty to create a new source."),
    )

    def __init__(self, *args, admin_site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        existing = self.fields["existing"]
        existing.widget = ValidIdsAutocompleteSelect(
            Statement._meta.get_field("suggested_source"), admin_site, choices=existing.choices
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("existing") and not cleaned.get("name", "").strip():
            raise ValidationError(gettext("Name the new source, or choose an existing one."))
        return cleaned


class SourceFromMentionAdminMixin:
    """For StatementAdmin: the action and the statement page's button."""

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/source-from-mention/",
                self.admin_site.admin_view(self.source_from_mention_view),
                name="annotator_statement_source_from_mention",
            ),
        ]
        return custom + super().get_urls()

    def has_add_source_permission(self, request) -> bool:
        return roles.can_edit_sources(request.user)

    @admin.display(description=_("registry source from the mention"))
    def source_from_mention_link(self, statement):
        if not statement.pk or not statement.suggested_mention.strip():
            return "—"
        url = reverse("admin:annotator_statement_source_from_mention", args=[statement.pk])
        return format_html(
            '<a class="button" href="{}">{}</a>', url, gettext("Create source from this mention")
        )

    @admin.action(
        description=_("Create sources from suggested mentions"), permissions=["add_source"]
    )
    def sources_create_from_mentions(self, request, queryset):
        sources, linked = services.sources_create_from_mentions(statements=queryset)
        if not sources:
            messages.warning(
                request,
                gettext(
                    "None of the selected statements has a suggested mention without a "
                    "registry source."
                ),
            )
            return
        messages.success(
            request,
            ngettext(
                "%(count)d source created or given a new alias (%(names)s); %(linked)d "
                "statements now suggest it.",
                "%(count)d sources created or given a new alias (%(names)s); %(linked)d "
                "statements now suggest one of them.",
                len(sources),
            )
            % {
                "count": len(sources),
                "names": ", ".join(source.name for source in sources),
                "linked": linked,
            },
        )

    def source_from_mention_view(self, request, object_id: str):
        if not self.has_add_source_permission(request):
            raise PermissionDenied
        statement = visible_object_or_404(
            request.user,
            Statement.objects.select_related("document", "suggested_source"),
            object_id,
        )
        if not self.has_change_permission(request, statement):
            raise PermissionDenied
        if not statement.suggested_mention.strip():
            raise Http404(gettext("This statement has no suggested mention."))
        alias = services.mention_alias(statement.suggested_mention)
        form = SourceFromMentionForm(
            request.POST or None,
            admin_site=self.admin_site,
            initial={"name": alias[:1].upper() + alias[1:], "kind": Source.Kind.OTHER},
        )
        if request.method == "POST" and form.is_valid():
            try:
                source, relinked = services.source_create_from_mention(
                    statement=statement,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    source=form.cleaned_data["existing"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    gettext(
                        "“%(mention)s” is an alias of the source “%(source)s”; this statement "
                        "and %(count)d others now suggest it. Complete the source below."
                    )
                    % {"mention": alias, "source": source.name, "count": relinked},
                )
                return HttpResponseRedirect(
                    reverse("admin:annotator_source_change", args=[source.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Create a source from a mention"),
            "statement": statement,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/annotator/statement/source_from_mention.html", context
        )
