"""Project.leads goes: leadership is the global Leads role (roles.py). Nothing ever read the
field (a lead of one project could already decide every project), so no permission changes;
make a user a lead by putting them into the Leads group."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('annotator', '0006_retiring_versions_protected_history'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='project',
            name='leads',
        ),
    ]
