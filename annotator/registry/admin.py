"""The registry in the admin: the Source list (leads edit it, annotators read it), and sources
made from suggested mentions in one step, from the statement list (an action) or from a
statement's page (mixed into StatementAdmin)."""

from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import PolicyAdminMixin, visible_object_or_404
from ..models import Source, Statement
from .forms import SourceFromMentionForm
from .services import mention_alias, source_create_from_mention, sources_create_from_mentions


class SourceAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "display_name", "kind", "country", "alias_preview")
    list_filter = ("kind",)
    annotator_lookups = frozenset({"kind__exact"})
    search_fields = ("name", "display_name_de", "display_name_en", "aliases", "country")

    @admin.display(description=_("display name"))
    def display_name(self, source):
        """The source's name for people, in the interface language."""
        return source.display_name

    @admin.display(description=_("aliases"))
    def alias_preview(self, source):
        return Truncator(", ".join(source.alias_list)).chars(100)


class PickerAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete answers, with each source under its picker name (its display
    name in the interface language) instead of its plain name."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Source):
            result["text"] = obj.picker_name
        return result


def picker_autocomplete_view(site: admin.AdminSite):
    """For `site.autocomplete_view`: the site's autocomplete through PickerAutocompleteJsonView."""

    def autocomplete_view(request):
        return PickerAutocompleteJsonView.as_view(admin_site=site)(request)

    return autocomplete_view


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
        sources, linked = sources_create_from_mentions(statements=queryset)
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
        alias = mention_alias(statement.suggested_mention)
        form = SourceFromMentionForm(
            request.POST or None,
            admin_site=self.admin_site,
            initial={"name": alias[:1].upper() + alias[1:], "kind": Source.Kind.OTHER},
        )
        if request.method == "POST" and form.is_valid():
            try:
                source, relinked = source_create_from_mention(
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
