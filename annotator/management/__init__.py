"""Management commands (commands/)."""

from django.core.checks import Tags

# The system checks a data command (import, export, recount) runs before it starts: all but
# the URL and admin checks, which import every admin module (and with them numpy, openpyxl and
# import-export) that such a command never uses. `manage.py check`, `runserver` and the test
# suite still run those.
DATA_COMMAND_CHECKS = [
    tag
    for name, tag in vars(Tags).items()
    if not name.startswith("_") and tag not in (Tags.urls, Tags.admin)
]
