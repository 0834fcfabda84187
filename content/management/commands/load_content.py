from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.imports import READERS, Upload, UploadRefused, import_load
from content.loader import ContentError, load_content

# Uploads that the import service unpacks first; folders and YAML files load as they are.
PACKED = {extension for extension in READERS if extension not in (".yaml", ".yml")}


class Command(BaseCommand):
    help = (
        "Load courses and lessons from YAML files (docs/authoring.md), or import a course "
        "folder zipped (docs/import.md). Every file is checked first; nothing is written if "
        "any is invalid. With no PATH, loads the bundled course."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", metavar="PATH", help="course folder, YAML file or course .zip"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and report what would change; write nothing",
        )

    def handle(self, *args, paths: list[str], dry_run: bool, verbosity: int, **options):
        targets = [Path(p) for p in paths] or [Path(p) for p in settings.CONTENT_BUNDLE_DIRS]
        try:
            changes, counts = self._load(targets, dry_run=dry_run)
        except (ContentError, UploadRefused) as exc:
            for error in exc.errors:
                self.stderr.write(error)
            count = len(exc.errors)
            raise CommandError(
                f"{count} error{'s' if count != 1 else ''}; nothing was written."
            ) from None
        prefix = "would have: " if dry_run else ""
        if verbosity >= 1:
            for change in changes:
                self.stdout.write(f"{prefix}{change}")
        summary = (
            f"{counts['lessons']} lessons, {counts['questions']} questions, "
            f"{counts['flashcards']} flashcards checked"
        )
        if verbosity == 0:
            return
        if not changes:
            self.stdout.write(self.style.SUCCESS(f"No changes. ({summary})"))
        elif dry_run:
            self.stdout.write(
                self.style.WARNING(f"Dry run: {len(changes)} changes, none written. ({summary})")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{len(changes)} changes. ({summary})"))

    def _load(self, targets: list[Path], *, dry_run: bool) -> tuple[list[str], dict[str, int]]:
        """What changed and the counts; a packed upload (a .zip) goes through the import
        service, as the browser's uploads do."""
        packed = [path for path in targets if path.suffix.lower() in PACKED]
        if not packed:
            report = load_content(targets, dry_run=dry_run)
            counts = {
                "lessons": report.lessons,
                "questions": report.questions,
                "flashcards": report.flashcards,
            }
            return report.changes, counts
        if len(targets) > 1:
            raise CommandError(f"{packed[0]}: give an upload ({', '.join(sorted(PACKED))}) alone")
        try:
            data = packed[0].read_bytes()
        except OSError as exc:
            raise CommandError(f"{packed[0]}: cannot be read: {exc.strerror or exc}") from None
        preview = import_load(Upload(packed[0].name, data), dry_run=dry_run)
        return preview.changes, preview.counts
