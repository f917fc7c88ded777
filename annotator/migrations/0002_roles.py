"""Create the two roles as Django groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ANNOTATOR_PERMISSIONS = [
    "view_project",
    "view_source",
    "view_labelgroup",
    "view_label",
    "add_annotation",
    "change_annotation",
    "view_annotation",
]

LEAD_MODELS = [
    "project",
    "source",
    "document",
    "statement",
    "labelgroup",
    "label",
    "annotation",
    "goldlabel",
    "labelrevision",
]
LEAD_EXTRA_PERMISSIONS = ["view_agreement", "adjudicate", "import_articles", "export_dataset"]


def ensure_permissions(apps):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_roles(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="annotator")

    annotators, _ = Group.objects.get_or_create(name="Annotators")
    annotators.permissions.add(*perms.filter(codename__in=ANNOTATOR_PERMISSIONS))

    lead_codenames = [
        f"{action}_{model}"
        for model in LEAD_MODELS
        for action in ("add", "change", "delete", "view")
    ] + LEAD_EXTRA_PERMISSIONS
    leads, _ = Group.objects.get_or_create(name="Leads")
    leads.permissions.add(*perms.filter(codename__in=lead_codenames))
    leads.permissions.add(
        *Permission.objects.filter(content_type__app_label="auth", codename="view_user")
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Annotators", "Leads"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
