"""Management commands (commands/)."""

from django.core.checks import Tags

# The system checks a data command (import, export, recount) runs before it starts: all but
# those of parts such a command never uses: the URLs and the admin (they import every admin
# module, and with them numpy, openpyxl and import-export), the template engine (it imports
# every app's template tag libraries; the dataset card has an engine of its own) and the
# migration commands (it imports the migration autodetector, loader and writer); and the
# models' definitions, which do not change between runs (30 ms of each start, about a tenth
# of Django's). `manage.py check`, `migrate`, `runserver` and the test suite run them all.
UNUSED_BY_DATA_COMMANDS = (Tags.urls, Tags.admin, Tags.templates, Tags.commands, Tags.models)
DATA_COMMAND_CHECKS = [
    tag
    for name, tag in vars(Tags).items()
    if not name.startswith("_") and tag not in UNUSED_BY_DATA_COMMANDS
]
