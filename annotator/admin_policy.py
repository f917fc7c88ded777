"""The admin side of the permission policy (roles.py).

`PolicyAdminMixin` is mixed into every ModelAdmin and inline of the site: ours, and Django's
(users, groups) and django-axes' (login records), re-registered below. Permissions, querysets,
list lookups, searches, orderings, `_to_field` and autocomplete all ask roles; for anybody but a
lead, a list answers only the lookups its ModelAdmin names in `annotator_lookups`, and any other
lookup is a 400 (DisallowedModelAdminLookup), never a filtered list. The project filters offer
only the projects the user may see.
"""

from __future__ import annotations

# Django's and django-axes' admins register their models when imported: import them before
# `register_with_policy` replaces them with subclasses that ask roles.
import axes.admin  # noqa: F401
import django.contrib.auth.admin  # noqa: F401
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OrderBy, QuerySet, Subquery
from django.db.models.expressions import Col
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import Project
from .request_ids import (
    ValidIdsAutocompleteSelect,
    ValidIdsAutocompleteSelectMultiple,
    ValidIdsModelMultipleChoiceField,
    is_valid_id,
    lookup_values_valid,
    valid_ids,
)


def expression_reaches_labels(model, expression) -> bool:
    """Does a computed column (an annotation of the list's queryset) read somebody's labels?"""
    if isinstance(expression, F):
        return roles.path_reaches_labels(model, expression.name)
    if isinstance(expression, Col):
        return roles.model_label(expression.target.model) in roles.LABEL_MODELS
    if isinstance(expression, Subquery | Exists):
        inner = expression.query.model
        if roles.model_label(inner) in roles.LABEL_MODELS:
            return True
    return any(
        expression_reaches_labels(model, source)
        for source in expression.get_source_expressions()
        if source is not None
    )


def ordering_reaches_labels(queryset: QuerySet, item) -> bool:
    if isinstance(item, OrderBy):
        return expression_reaches_labels(queryset.model, item.expression)
    if not isinstance(item, str):
        return expression_reaches_labels(queryset.model, item)
    name = item.lstrip("-")
    if name in ("?", "pk"):
        return False
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return expression_reaches_labels(queryset.model, annotation)
    return roles.path_reaches_labels(queryset.model, name)


class PolicyChangeList(ChangeList):
    def get_filters(self, request):
        self.refuse_impossible_dates(request)
        filters = super().get_filters(request)  # refuses the lookups a non-lead may not use
        for lookup, values in self.get_filters_params().items():
            # "abc" or a number beyond the column: the admin's "invalid filter" page, not a 500.
            if not lookup_values_valid(self.model, lookup, values):
                raise IncorrectLookupParameters(lookup)
        return filters

    def refuse_impossible_dates(self, request) -> None:
        """The date hierarchy builds a date from its parameters; a year beyond 9999 would be
        an OverflowError (a 500) instead of the admin's "invalid filter" page."""
        if not self.date_hierarchy:
            return
        limits = {"year": 9999, "month": 12, "day": 31}
        for part, highest in limits.items():
            key = f"{self.date_hierarchy}__{part}"
            for value in self.get_filters_params().get(key, []):
                if not self.model_admin.lookup_allowed(key, value, request):
                    continue  # refused with a 400 by get_filters
                if not (value.isdigit() and 1 <= int(value) <= highest):
                    raise IncorrectLookupParameters(key)

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if roles.is_lead(request.user):
            return ordering
        # `?o=` picks list columns; a column sorted by somebody's labels would reveal them.
        return [item for item in ordering if not ordering_reaches_labels(queryset, item)]


def visible_object_or_404(user, source, object_id):
    """The object (of a model or queryset) a custom view works on: 404 when the user may not
    see it, and for an id that cannot be one ("abc", 99999999999999999999)."""
    queryset = roles.visible(user, source)
    if not is_valid_id(queryset.model, object_id):
        raise Http404
    return get_object_or_404(queryset, pk=object_id)


class UserProjectFilter(admin.SimpleListFilter):
    """Filter by project, offering only the projects the user belongs to."""

    title = _("project")
    parameter_name = "project"
    project_lookup = "statement__document__project"

    def lookups(self, request, model_admin):
        return [(project.pk, project.name) for project in roles.visible_projects(request.user)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not is_valid_id(Project, self.value()):
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(**{self.project_lookup: self.value()})


class DocumentProjectFilter(UserProjectFilter):
    project_lookup = "document__project"


FORMS_AT_MOST = 200  # forms in one inline or list_editable formset


class PolicyAdminMixin:
    """Every question the admin asks about a user is answered by roles.py."""

    # The list lookups (query-string parameters) that non-leads may use; everything else,
    # including lookups through relations, is refused with a 400.
    annotator_lookups: frozenset[str] = frozenset()

    def has_module_permission(self, request) -> bool:
        return roles.may_use(request.user, self.model)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.may(request.user, roles.VIEW, self.model, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return roles.may(request.user, roles.ADD, self.model)

    def has_change_permission(self, request, obj=None) -> bool:
        return roles.may(request.user, roles.CHANGE, self.model, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.may(request.user, roles.DELETE, self.model, obj)

    def get_queryset(self, request):
        return roles.visible(request.user, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        # A model the user may not open is a 403 whatever the id; an object they may not see
        # (or an id that is none) is simply not there: a 404, not the admin's redirect with a
        # "does not exist" message.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if request is not None and roles.is_lead(request.user):
            return super().lookup_allowed(lookup, value, request)
        return lookup in self.annotator_lookups

    def to_field_allowed(self, request, to_field) -> bool:
        if roles.is_lead(request.user):
            return super().to_field_allowed(request, to_field)
        return to_field in (self.opts.pk.name, self.opts.pk.attname)

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if roles.is_lead(request.user):
            return fields
        return [
            name for name in fields if not roles.path_reaches_labels(self.model, name.lstrip("^=@"))
        ]

    def get_changelist(self, request, **kwargs):
        return PolicyChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidIdsAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidIdsAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", ValidIdsModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # Django builds as many forms as a posted TOTAL_FORMS asks for, up to 1,000 more than the
    # formset's maximum: a crafted number would make one request build 2,000 forms.
    def get_formset(self, request, obj=None, **kwargs):  # inlines
        kwargs.setdefault("max_num", FORMS_AT_MOST)
        kwargs.setdefault("absolute_max", FORMS_AT_MOST)
        return super().get_formset(request, obj, **kwargs)

    def get_changelist_formset(self, request, **kwargs):  # list_editable
        at_most = max(FORMS_AT_MOST, self.list_max_show_all)
        kwargs.setdefault("max_num", at_most)
        kwargs.setdefault("absolute_max", at_most)
        return super().get_changelist_formset(request, **kwargs)

    def response_action(self, request, queryset):
        # Django filters by the ticked ids as posted; "abc" or a huge number would be a 500.
        posted = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ids = valid_ids(self.model, posted)
        if ids != posted:
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, ids)
        return super().response_action(request, queryset)


def register_with_policy(site: admin.AdminSite) -> None:
    """Replace every ModelAdmin registered by another app with a subclass that asks roles."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, PolicyAdminMixin):
            continue
        admin_class = type(model_admin)
        policy_class = type(
            admin_class.__name__, (PolicyAdminMixin, admin_class), {"__module__": __name__}
        )
        site.unregister(model)
        site.register(model, policy_class)
