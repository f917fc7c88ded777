"""A project's label schema in the admin's import and export (leads only), one row per label
group of the project: with the label groups' and labels' own exports (keys, names and
descriptions in both languages, order, hotkeys) it moves a schema to another installation. All
or nothing, with a reason for every bad row (an unknown project or group key)."""

from import_export import fields

from ..models import LabelGroup, Project, ProjectLabelGroup, SchemaChange
from .resource_widgets import NameWidget
from .resources import AllOrNothingResource


class ProjectSchemaResource(AllOrNothingResource):
    project = fields.Field(
        attribute="project", column_name="project", widget=NameWidget(Project, "name", "project")
    )
    group = fields.Field(
        attribute="group", column_name="group", widget=NameWidget(LabelGroup, "key", "label group")
    )

    class Meta:
        model = ProjectLabelGroup
        fields = ("project", "group", "position", "required", "multiple", "retired_at")
        export_order = fields
        import_id_fields = ("project", "group")
        name = "Project label schemas (matched by project and group key)"

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("project", "group")

    def save_instance(self, instance, is_create, row, **kwargs):
        """A group added to a project's schema by import is recorded as a schema change."""
        super().save_instance(instance, is_create, row, **kwargs)
        if is_create:
            SchemaChange.objects.create(
                project=instance.project,
                action=SchemaChange.Action.ADDED,
                group_name=instance.group.name,
                changed_by=getattr(self, "import_user", None),
                detail="import",
            )
