"""python manage.py accept_gold_labels --project NAME [--majority --lead USERNAME]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotator import roles
from annotator.adjudication.services import (
    gold_labels_accept_majority,
    gold_labels_accept_unanimous,
)
from annotator.management import DATA_COMMAND_CHECKS

from .agreement import project_named


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = (
        "Give gold labels to the statements of a project whose required annotations are "
        "unanimous; with --majority also where every field has a strict majority (decided by "
        "the lead given with --lead). Statements that already have a gold label are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="the project's name")
        parser.add_argument("--majority", action="store_true", help="accept majority decisions")
        parser.add_argument("--lead", help="the lead accepting majority decisions (username)")

    def handle(self, *args, **options):
        project = project_named(options["project"])
        if not options["majority"]:
            created = gold_labels_accept_unanimous(project=project)
            self.stdout.write(f"{created} unanimous gold labels accepted.")
            return
        lead = get_user_model().objects.filter(username=options["lead"] or "").first()
        if lead is None or not roles.can_adjudicate(lead):
            raise CommandError("--majority needs --lead USERNAME, a lead who takes the decision.")
        created = gold_labels_accept_majority(project=project, decided_by=lead)
        self.stdout.write(f"{created} gold labels accepted (unanimous or majority).")
