"""Check the maintained progress counts against a recount, and repair them.

manage.py progress            # compare every project; exit 1 on a difference
manage.py progress --repair   # recount and store (after a bulk change made by hand)
"""

from django.core.management.base import BaseCommand, CommandError

from annotator.management import DATA_COMMAND_CHECKS
from annotator.models import Project
from annotator.progress import progress_differences, progress_recount


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = "Compare the maintained progress counts with a recount (--repair: store the recount)."

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Only this project (its name).")
        parser.add_argument(
            "--repair", action="store_true", help="Store the recount where it differs."
        )

    def handle(self, *args, project=None, repair=False, **options):
        projects = Project.objects.order_by("name")
        if project is not None:
            projects = projects.filter(name=project)
            if not projects.exists():
                raise CommandError(f"No project named “{project}”.")
        failed = False
        for item in projects:
            differences = progress_differences(project=item)
            if not differences:
                self.stdout.write(f"{item.name}: the progress counts agree with a recount")
                continue
            for difference in differences:
                self.stdout.write(f"{item.name}: {difference}")
            if repair:
                progress_recount(project=item)
                self.stdout.write(f"{item.name}: recounted and stored")
            else:
                failed = True
        if failed:
            raise CommandError("The progress counts differ from a recount (--repair stores it).")
