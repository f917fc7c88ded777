from django.core.management.base import BaseCommand, CommandError

from annotator.demo.loading import demo_load


class Command(BaseCommand):
    help = "Load the demo project (example article, sources, label groups, demo accounts)."

    def handle(self, *args, **options):
        try:
            result = demo_load()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        project = result.project
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo project “{project.name}”: {project.documents.count()} document(s), "
                f"{result.annotations_created} annotation(s) created this run."
            )
        )
        self.stdout.write("Demo accounts (development only):")
        for username, password, role in result.accounts:
            self.stdout.write(f"  {role:<10} {username:<8} password: {password}")
