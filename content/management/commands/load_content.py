from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.loader import ContentError, load_content


class Command(BaseCommand):
    help = (
        "Load courses and lessons from YAML files (docs/authoring.md). Every file is checked "
        "first; nothing is written if any is invalid. With no PATH, loads the bundled course."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="course folder or YAML file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and report what would change; write nothing",
        )

    def handle(self, *args, paths: list[str], dry_run: bool, verbosity: int, **options):
        targets = [Path(p) for p in paths] or [Path(p) for p in settings.CONTENT_BUNDLE_DIRS]
        try:
            report = load_content(targets, dry_run=dry_run)
        except ContentError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            count = len(exc.errors)
            raise CommandError(
                f"{count} error{'s' if count != 1 else ''}; nothing was written."
            ) from None
        prefix = "would have: " if dry_run else ""
        if verbosity >= 1:
            for change in report.changes:
                self.stdout.write(f"{prefix}{change}")
        summary = (
            f"{report.lessons} lessons, {report.questions} questions, "
            f"{report.flashcards} flashcards checked"
        )
        if verbosity == 0:
            return
        if not report.changes:
            self.stdout.write(self.style.SUCCESS(f"No changes. ({summary})"))
        elif dry_run:
            self.stdout.write(
                self.style.WARNING(
                    f"Dry run: {len(report.changes)} changes, none written. ({summary})"
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{len(report.changes)} changes. ({summary})"))
