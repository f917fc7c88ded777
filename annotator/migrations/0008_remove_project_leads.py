"""Project.leads goes: leadership is the global Leads role (roles.py). Nothing ever read the
field (a lead of one project could already decide every project), so no permission changes;
make a user a lead by putting them into the Leads group."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0007_statement_suggested_mention_resolved"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="project",
            name="leads",
        ),
    ]
