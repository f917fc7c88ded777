"""The lead's adjudication, added to ProjectAdmin: the disagreement queue (worst first), one
statement's annotations side by side with the gold-label form pre-filled from their majority,
and the admin actions that accept unanimous and majority decisions as gold labels; and the
admin's own gold-label pages.

Every view asks the permission policy itself (roles.can_adjudicate: leads only); annotators
and outsiders get 403, anonymous users the login.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import roles
from ..admin_policy import PolicyAdminMixin, visible_object_or_404
from ..agreement.admin import AgreementAdminMixin
from ..ingestion.selectors import paragraph_start, statement_in_context
from ..labelling_admin import LabellingAdminMixin
from ..models import Annotation, GoldLabel, Label, Project, Statement
from ..paginators import CappedCountPaginator
from ..revisions import LabellingConflict
from .consensus import comparison_rows, consensus, statement_votes
from .forms import (
    GoldLabelForm,
    QueueFilterForm,
    gold_fieldsets,
    gold_form_class,
    gold_form_initial,
    gold_form_label_initial,
)
from .queue import Walk, disagreement_queue, walk_load, walk_next, walk_store
from .services import (
    gold_label_decide,
    gold_label_save,
    gold_labels_accept_majority,
    gold_labels_accept_unanimous,
    gold_labels_delete,
)


class AdjudicationAdminMixin(AgreementAdminMixin):
    """Mixed into ProjectAdmin: the disagreement queue and adjudication pages (on top of the
    agreement pages, whose navigation and checks they share) and the accept actions."""

    actions = ["accept_unanimous_action", "accept_majority_action"]

    def has_adjudicate_permission(self, request: HttpRequest) -> bool:
        return roles.can_adjudicate(request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
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

    def disagreements_view(self, request: HttpRequest, object_id: int):
        project = self.lead_project(request, object_id, "adjudicate")
        form = QueueFilterForm(request.GET or None, project=project)
        filters = form.filters()
        queue = disagreement_queue(project=project, filters=filters)
        walk_store(request.session, project, filters, queue)
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
        form_class = gold_form_class(project)
        annotations = list(
            Annotation.objects.submitted()
            .filter(statement=statement)
            .select_related("annotator", "source")
            .prefetch_related(Prefetch("labels", queryset=Label.objects.select_related("group")))
            .order_by("annotator__username")
        )
        votes = statement_votes([statement.pk]).get(statement.pk, [])
        agreed = consensus(votes, project.annotations_per_statement, form_class.label_groups)
        instance = gold or GoldLabel(statement=statement)
        initial = gold_form_initial(gold, agreed)
        if gold is None:
            initial.update(gold_form_label_initial(form_class, agreed.plurality["labels"]))
        if request.method == "POST":
            # With the initial values the form was shown with: a span posted back unchanged
            # beside a mention typed since is recognised as stale.
            form = form_class(
                request.POST, instance=instance, initial=initial, admin_site=self.admin_site
            )
            if form.is_valid():
                try:
                    saved = gold_label_decide(
                        gold=form.save(commit=False),
                        labels=form.chosen_labels(),
                        decided_by=request.user,
                        expected_version=form.expected_version(),
                    )
                except LabellingConflict:
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
            form = form_class(instance=instance, initial=initial, admin_site=self.admin_site)
        walk = self.adjudication_walk(request, project, queue_filters.filters(), statement)
        skip_to = next(iter(walk.following(statement.pk)), None)
        return self.lead_page(
            request,
            project,
            "adjudication/statement.html",
            gettext("Adjudicate statement %(position)d") % {"position": statement.position + 1},
            statement=statement,
            statement_context=statement_in_context(statement),
            paragraph_start=paragraph_start(statement),
            annotations=annotations,
            comparison=comparison_rows(annotations, form_class.label_groups),
            agreed=agreed,
            gold=gold,
            form=form,
            adminform=helpers.AdminForm(form, gold_fieldsets(form), {}, model_admin=self),
            media=form.media,
            skip_url=self.adjudicate_url(project, skip_to, request.GET) if skip_to else "",
            position=walk.position(statement.pk),
            queue_length=walk.total,
            query=request.GET.urlencode(),
        )

    def adjudicate_url(self, project: Project, statement_id: int, query) -> str:
        url = reverse("admin:annotator_project_adjudicate", args=[project.pk, statement_id])
        return f"{url}?{query.urlencode()}" if query else url

    def adjudication_walk(self, request, project, filters, statement) -> Walk:
        walk = walk_load(request.session, project, filters)
        if walk is None or walk.position(statement.pk) is None:
            queue = disagreement_queue(project=project, filters=filters)
            walk = walk_store(request.session, project, filters, queue)
        return walk

    def after_adjudication(self, request, project, statement, queue_filters):
        """On to the next disagreement (with the same filters), or back to the queue."""
        following = walk_next(request.session, project, queue_filters.filters(), statement.pk)
        if following is not None:
            return HttpResponseRedirect(self.adjudicate_url(project, following, request.GET))
        messages.info(request, gettext("No disagreement left to settle with these filters."))
        url = reverse("admin:annotator_project_disagreements", args=[project.pk])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)

    # --- actions -----------------------------------------------------------------------------

    @admin.action(permissions=["adjudicate"], description=_("Accept unanimous gold labels"))
    def accept_unanimous_action(self, request, queryset):
        created = sum(gold_labels_accept_unanimous(project=project) for project in queryset)
        self.message_user(
            request,
            gettext("%(count)d unanimous gold labels accepted.") % {"count": created},
            messages.SUCCESS,
        )

    @admin.action(permissions=["adjudicate"], description=_("Accept majority decisions"))
    def accept_majority_action(self, request, queryset):
        created = sum(
            gold_labels_accept_majority(project=project, decided_by=request.user)
            for project in queryset
        )
        self.message_user(
            request,
            gettext("%(count)d gold labels accepted from unanimous or majority decisions.")
            % {"count": created},
            messages.SUCCESS,
        )


class GoldLabelAdmin(PolicyAdminMixin, LabellingAdminMixin, admin.ModelAdmin):
    labelling_form = GoldLabelForm
    list_display = (
        "statement_preview",
        "admiralty",
        "source",
        "method",
        "decided_by",
        "updated_at",
    )
    list_filter = ("method", "source_reliability", "info_credibility", "decided_by")
    list_select_related = ("statement__document", "source", "decided_by")
    search_fields = ("statement__text", "source__name", "rationale")
    raw_id_fields = ("statement",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-id",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self.labelling_form_class(request, self.gold_project(obj))
        return super().get_form(request, obj, change=change, **kwargs)

    def gold_project(self, gold: GoldLabel | None) -> Project | None:
        """The project whose schema the form follows; a gold label added here by hand (its
        statement not chosen yet) is offered every group and checked against its project's
        schema when saved."""
        return gold.statement.document.project if gold is not None else None

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.labelling_fieldsets(request, self.gold_project(obj), obj)
        decision = (_("Decision"), {"fields": ["statement", "method", "rationale"]})
        return [decision, *fieldsets]

    @admin.display(description=_("statement"))
    def statement_preview(self, gold):
        return Truncator(gold.statement.text).chars(90)

    @admin.display(description=_("Admiralty code"))
    def admiralty(self, gold):
        return gold.admiralty_code

    def save_model(self, request, obj, form, change):
        obj.decided_by = request.user
        gold_label_save(
            gold=obj,
            labels=form.chosen_labels(),
            changed_by=request.user,
            expected_version=form.expected_version(),
        )

    # Deleted one by one into the label history (the statement returns to the disagreements).
    def delete_model(self, request, obj):
        gold_labels_delete(gold_labels=[obj], changed_by=request.user)

    def delete_queryset(self, request, queryset):
        gold_labels_delete(
            gold_labels=queryset.select_related("statement", "source"), changed_by=request.user
        )
