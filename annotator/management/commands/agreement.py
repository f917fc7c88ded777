"""python manage.py agreement --project NAME [--json]: the agreement page's figures."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotator.agreement.data import Filters
from annotator.agreement.report import agreement_report, report_json
from annotator.management import DATA_COMMAND_CHECKS
from annotator.models import Project


def project_named(name: str) -> Project:
    project = Project.objects.filter(name=name).first()
    if project is None:
        known = ", ".join(f'"{n}"' for n in Project.objects.values_list("name", flat=True)[:20])
        raise CommandError(f'No project named "{name}". Projects: {known or "none"}.')
    return project


def show(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = (
        "Print a project's agreement figures: Krippendorff's alpha per field with its 95% "
        "bootstrap interval, Cohen's kappa per pair of annotators, and per-annotator figures. "
        "Only submitted annotations count; F and 6 count as missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="the project's name")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--document", type=int, help="only this document (id)")
        parser.add_argument(
            "--annotator", action="append", default=[], help="only these annotators (username)"
        )
        parser.add_argument(
            "--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)"
        )

    def handle(self, *args, **options):
        project = project_named(options["project"])
        users = get_user_model().objects.filter(username__in=options["annotator"])
        if len(users) != len(set(options["annotator"])):
            raise CommandError(f"Unknown annotator among {', '.join(options['annotator'])}.")
        filters = Filters(document=options["document"], annotators=tuple(user.pk for user in users))
        report = agreement_report(
            project=project, filters=filters, resamples=max(options["resamples"], 0)
        )
        figures = report_json(report)
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2, ensure_ascii=False, allow_nan=False))
            return
        self.write_text(project, report, figures)

    def write_text(self, project, report, figures):
        data = report.data
        self.stdout.write(
            f"Agreement: {project.name} ({data.n_rows} submitted annotations of "
            f"{data.n_units} statements by {len(data.coders)} annotators; "
            f"{report.disagreements} with a disagreement, {report.gold_labels} with gold)\n"
        )
        self.stdout.write(f"{'field':<48} {'level':<8} {'alpha':>7} {'95% interval':>17} units")
        for figure in report.fields:
            self.field_line(figure.field.key, figure)
            for label in figure.labels:
                self.field_line("  " + label.field.title, label)
        keys = list(figures["pairs"][0]["kappa"]) if figures["pairs"] else []
        self.stdout.write("\nCohen's kappa per pair (weighted linear for the grades)")
        self.stdout.write(f"{'pair':<28} {'units':>6} " + " ".join(f"{k[:18]:>18}" for k in keys))
        for pair in figures["pairs"]:
            name = " – ".join(pair["annotators"])
            values = " ".join(f"{show(pair['kappa'][k]):>18}" for k in keys)
            self.stdout.write(f"{name:<28} {pair['units']:>6} {values}")
        self.stdout.write("\nAnnotators: mean kappa with the others; accuracy against gold")
        for row in figures["annotators"]:
            kappas = ", ".join(f"{k} {show(v, 2)}" for k, v in row["mean_kappa"].items())
            accuracy = ", ".join(f"{k} {show(v, 2)}" for k, v in row["accuracy"].items())
            self.stdout.write(
                f"{row['annotator']}: {row['units']} annotations; kappa {kappas}; "
                f"{row['gold_units']} with gold; accuracy {accuracy}"
            )

    def field_line(self, name: str, figure):
        low, high = figure.ci95
        interval = "—" if low != low else f"[{low:.3f}, {high:.3f}]"
        alpha = "—" if figure.alpha != figure.alpha else f"{figure.alpha:.3f}"
        self.stdout.write(
            f"{name[:48]:<48} {figure.field.level:<8} {alpha:>7} {interval:>17} {figure.units}"
        )
        for warning in figure.warnings:
            self.stdout.write(f"{'':<50}! {warning}")
