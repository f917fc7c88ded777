"""The lead's pages on a project, added to ProjectAdmin: agreement, agreement per source, the
disagreement queue and the adjudication of one statement; and the admin actions that accept
unanimous and majority decisions as gold labels.

Every view asks the permission policy itself (roles.can_view_agreement / can_adjudicate: leads
only); annotators and outsiders get 403, anonymous users the login.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import adjudication, agreement_data, agreement_report, roles, selectors, services
from .admin_policy import visible_object_or_404
from .models import Annotation, Document, GoldLabel, Label, LabelGroup, Project, Source, Statement
from .request_ids import ValidIdsModelMultipleChoiceField


class DateInput(forms.DateInput):
    input_type = "date"


class ManyOptionsSelect(forms.Select):
    """A select rendered in Python: Django's widget templates render each option separately,
    which for a filter over a thousand documents takes most of a second."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == chosen else "", label)
                for key, label in self.choices
            ),
        )
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(attrs), options)


class AgreementFilterForm(forms.Form):
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        required=False,
        label=_("document"),
        widget=ManyOptionsSelect,
    )
    annotator = ValidIdsModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label=_("annotators"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everybody."),
    )
    submitted_from = forms.DateField(required=False, label=_("submitted from"), widget=DateInput)
    submitted_to = forms.DateField(required=False, label=_("submitted until"), widget=DateInput)

    def __init__(self, data, *, project: Project):
        super().__init__(data)
        self.fields["document"].queryset = project.documents.only("pk", "title", "project_id")
        self.fields["annotator"].queryset = project.annotators.order_by("username")

    def filters(self) -> agreement_data.Filters:
        if not self.is_valid():
            return agreement_data.Filters()
        data = self.cleaned_data
        return agreement_data.Filters(
            document=data["document"].pk if data["document"] else None,
            annotators=tuple(user.pk for user in data["annotator"]),
            submitted_from=data["submitted_from"],
            submitted_to=data["submitted_to"],
        )


class QueueFilterForm(forms.Form):
    field = forms.ChoiceField(required=False, label=_("field"))
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        required=False,
        label=_("document"),
        widget=ManyOptionsSelect,
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(), required=False, label=_("source"), widget=ManyOptionsSelect
    )
    decided = forms.BooleanField(required=False, label=_("also statements with a gold label"))

    def __init__(self, data, *, project: Project):
        super().__init__(data)
        groups = LabelGroup.objects.order_by("position", "name").values_list("name", flat=True)
        self.fields["field"].choices = [
            ("", _("any field")),
            ("source", _("source")),
            ("source_reliability", _("source reliability")),
            ("info_credibility", _("information credibility")),
            *[(name, name) for name in groups],
        ]
        self.fields["document"].queryset = project.documents.only("pk", "title", "project_id")

    def filters(self) -> adjudication.QueueFilters:
        if not self.is_valid():
            return adjudication.QueueFilters()
        data = self.cleaned_data
        return adjudication.QueueFilters(
            field=data["field"],
            document=data["document"].pk if data["document"] else None,
            source=data["source"].pk if data["source"] else None,
            decided=data["decided"],
        )


class AgreementAdminMixin:
    """Mixed into ProjectAdmin (before admin.ModelAdmin)."""

    actions = ["accept_unanimous_action", "accept_majority_action"]

    # --- permissions ---------------------------------------------------------------------

    def has_view_agreement_permission(self, request: HttpRequest) -> bool:
        return roles.can_view_agreement(request.user)

    def has_adjudicate_permission(self, request: HttpRequest) -> bool:
        return roles.can_adjudicate(request.user)

    def lead_project(self, request: HttpRequest, object_id, permission: str) -> Project:
        # The permission first, so nobody else learns which projects exist.
        if not getattr(self, f"has_{permission}_permission")(request):
            raise PermissionDenied
        return visible_object_or_404(request.user, Project, object_id)

    # --- URLs, links -----------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/agreement/",
                view(self.agreement_view),
                name="annotator_project_agreement",
            ),
            path(
                "<int:object_id>/agreement/sources/",
                view(self.agreement_sources_view),
                name="annotator_project_agreement_sources",
            ),
            path(
                "<int:object_id>/disagreements/",
                view(self.disagreements_view),
                name="annotator_project_disagreements",
            ),
            path(
                "<int:object_id>/disagreements/<int:statement_id>/",
                view(self.adjudicate_view),
                name="annotator_project_adjudicate",
            ),
        ] + super().get_urls()

    def lead_columns(self, request: HttpRequest) -> tuple:
        return ("agreement_link",) if self.has_view_agreement_permission(request) else ()

    @admin.display(description=_("agreement"))
    def agreement_link(self, project: Project):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:annotator_project_agreement", args=[project.pk]),
            gettext("Agreement"),
            reverse("admin:annotator_project_disagreements", args=[project.pk]),
            gettext("Disagreements"),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_view_agreement_permission(request):
            context["agreement_links"] = [
                (reverse("admin:annotator_project_agreement", args=[obj.pk]), _("Agreement")),
                (
                    reverse("admin:annotator_project_agreement_sources", args=[obj.pk]),
                    _("Agreement per source"),
                ),
                (
                    reverse("admin:annotator_project_disagreements", args=[obj.pk]),
                    _("Disagreements"),
                ),
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def lead_page(self, request, project: Project, template: str, title: str, **context):
        return TemplateResponse(
            request,
            f"admin/annotator/{template}",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "project": project,
                "opts": self.model._meta,
                "agreement_url": reverse("admin:annotator_project_agreement", args=[project.pk]),
                "sources_url": reverse(
                    "admin:annotator_project_agreement_sources", args=[project.pk]
                ),
                "queue_url": reverse("admin:annotator_project_disagreements", args=[project.pk]),
                **context,
            },
        )

    # --- agreement ---------------------------------------------------------------------------

    def agreement_view(self, request: HttpRequest, object_id: int):
        project = self.lead_project(request, object_id, "view_agreement")
        form = AgreementFilterForm(request.GET or None, project=project)
        report = agreement_report.agreement_report(project=project, filters=form.filters())
        return self.lead_page(
            request,
            project,
            "agreement/report.html",
            gettext("Agreement: %(project)s") % {"project": project.name},
            form=form,
            report=report,
            names=[user.get_username() for user in report.data.coders],
            min_units=agreement_report.MIN_UNITS,
            dominant_share=agreement_report.DOMINANT_SHARE,
        )

    def agreement_sources_view(self, request: HttpRequest, object_id: int):
        project = self.lead_project(request, object_id, "view_agreement")
        form = AgreementFilterForm(request.GET or None, project=project)
        data = agreement_data.agreement_data(project=project, filters=form.filters())
        return self.lead_page(
            request,
            project,
            "agreement/sources.html",
            gettext("Agreement per source: %(project)s") % {"project": project.name},
            form=form,
            profiles=agreement_report.source_profiles(data),
            data=data,
        )

    # --- adjudication ------------------------------------------------------------------------

    def disagreements_view(self, request: HttpRequest, object_id: int):
        project = self.lead_project(request, object_id, "adjudicate")
        form = QueueFilterForm(request.GET or None, project=project)
        filters = form.filters()
        queue = adjudication.disagreement_queue(project=project, filters=filters)
        adjudication.walk_store(request.session, project, filters, queue)
        page = Paginator(queue, 50).get_page(request.GET.get("page"))
        statements = Statement.objects.select_related("document").in_bulk(
            [item.statement_id for item in page]
        )
        query = request.GET.copy()
        query.pop("page", None)
        return self.lead_page(
            request,
            project,
            "adjudication/queue.html",
            gettext("Disagreements: %(project)s") % {"project": project.name},
            form=form,
            page=page,
            rows=[(item, statements[item.statement_id]) for item in page],
            total=len(queue),
            query=query.urlencode(),
        )

    def adjudicate_view(self, request: HttpRequest, object_id: int, statement_id: int):
        project = self.lead_project(request, object_id, "adjudicate")
        statement = visible_object_or_404(
            request.user,
            Statement.objects.select_related("document", "suggested_source").filter(
                document__project=project
            ),
            statement_id,
        )
        queue_filters = QueueFilterForm(request.GET or None, project=project)
        gold = GoldLabel.objects.filter(statement=statement).first()
        form_class = adjudication.gold_form_class()
        annotations = list(
            Annotation.objects.filter(statement=statement, status=Annotation.Status.SUBMITTED)
            .select_related("annotator", "source")
            .prefetch_related(Prefetch("labels", queryset=Label.objects.select_related("group")))
            .order_by("annotator__username")
        )
        votes = adjudication.statement_votes([statement.pk]).get(statement.pk, [])
        agreed = adjudication.consensus(
            votes, project.annotations_per_statement, form_class.label_groups
        )
        instance = gold or GoldLabel(statement=statement)
        if request.method == "POST":
            form = form_class(request.POST, instance=instance, admin_site=self.admin_site)
            if form.is_valid():
                try:
                    saved = services.gold_label_decide(
                        gold=form.save(commit=False),
                        labels=form.chosen_labels(),
                        decided_by=request.user,
                        expected_version=form.expected_version(),
                    )
                except services.LabellingConflict:
                    # Decided by another lead between this form's check and its save.
                    messages.error(request, gettext("Another lead saved a gold label first."))
                    return HttpResponseRedirect(request.get_full_path())
                messages.success(
                    request,
                    gettext("Gold label %(code)s saved for statement %(position)d.")
                    % {"code": saved.admiralty_code, "position": statement.position + 1},
                )
                return self.after_adjudication(request, project, statement, queue_filters)
        else:
            initial = adjudication.gold_form_initial(gold, agreed)
            if gold is None:
                initial.update(
                    adjudication.gold_form_label_initial(form_class, agreed.plurality["labels"])
                )
            form = form_class(instance=instance, initial=initial, admin_site=self.admin_site)
        walk = self.adjudication_walk(request, project, queue_filters.filters(), statement)
        skip_to = next(iter(walk.following(statement.pk)), None)
        return self.lead_page(
            request,
            project,
            "adjudication/statement.html",
            gettext("Adjudicate statement %(position)d") % {"position": statement.position + 1},
            statement=statement,
            statement_context=selectors.statement_in_context(statement),
            annotations=annotations,
            comparison=adjudication.comparison_rows(annotations, form_class.label_groups),
            agreed=agreed,
            gold=gold,
            form=form,
            fieldsets=adjudication.gold_fieldsets(form),
            media=form.media,
            skip_url=self.adjudicate_url(project, skip_to, request.GET) if skip_to else "",
            position=walk.position(statement.pk),
            queue_length=walk.total,
            query=request.GET.urlencode(),
        )

    def adjudicate_url(self, project: Project, statement_id: int, query) -> str:
        url = reverse("admin:annotator_project_adjudicate", args=[project.pk, statement_id])
        return f"{url}?{query.urlencode()}" if query else url

    def adjudication_walk(self, request, project, filters, statement) -> adjudication.Walk:
        walk = adjudication.walk_load(request.session, project, filters)
        if walk is None or walk.position(statement.pk) is None:
            queue = adjudication.disagreement_queue(project=project, filters=filters)
            walk = adjudication.walk_store(request.session, project, filters, queue)
        return walk

    def after_adjudication(self, request, project, statement, queue_filters):
        """On to the next disagreement (with the same filters), or back to the queue."""
        following = adjudication.walk_next(
            request.session, project, queue_filters.filters(), statement.pk
        )
        if following is not None:
            return HttpResponseRedirect(self.adjudicate_url(project, following, request.GET))
        messages.info(request, gettext("No disagreement left to settle with these filters."))
        url = reverse("admin:annotator_project_disagreements", args=[project.pk])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)

    # --- actions -----------------------------------------------------------------------------

    @admin.action(permissions=["adjudicate"], description=_("Accept unanimous gold labels"))
    def accept_unanimous_action(self, request, queryset):
        created = sum(
            services.gold_labels_accept_unanimous(project=project) for project in queryset
        )
        self.message_user(
            request,
            gettext("%(count)d unanimous gold labels accepted.") % {"count": created},
            messages.SUCCESS,
        )

    @admin.action(permissions=["adjudicate"], description=_("Accept majority decisions"))
    def accept_majority_action(self, request, queryset):
        created = sum(
            services.gold_labels_accept_majority(project=project, decided_by=request.user)
            for project in queryset
        )
        self.message_user(
            request,
            gettext("%(count)d gold labels accepted from unanimous or majority decisions.")
            % {"count": created},
            messages.SUCCESS,
        )
