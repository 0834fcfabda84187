from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.loader import ContentError, validate
from content.writeback import WriteError, missing_from_files, write_back


class Command(BaseCommand):
    help = (
        "List the responses that authors accepted in the browser and that the course files do "
        "not list yet; with --write, add them to each question's also_accept field "
        "(docs/authoring.md). With no PATH, the bundled course."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="course folder or YAML file")
        parser.add_argument(
            "--write", action="store_true", help="add them to the files (each checked first)"
        )

    def handle(self, *args, paths: list[str], write: bool, **options):
        targets = [Path(p) for p in paths] or [Path(p) for p in settings.CONTENT_BUNDLE_DIRS]
        try:
            plan = validate(targets)
        except ContentError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError("the files have errors; nothing was written") from None
        missing = missing_from_files(plan.lessons)
        for item in missing:
            row = item.accepted
            blank = f" (blank {row.blank + 1})" if row.blank >= 0 else ""
            who = row.accepted_by.username if row.accepted_by else "a deleted user"
            self.stdout.write(
                f"{item.where}: question {row.question.key}: {row.text!r}{blank}, accepted by "
                f"{who} on {row.accepted_at:%Y-%m-%d}, is not in the file"
            )
        if not missing:
            self.stdout.write(self.style.SUCCESS("The files list every accepted response."))
            return
        if not write:
            self.stdout.write(f"{len(missing)} to add; run again with --write to add them.")
            return
        try:
            written = write_back(missing)
        except WriteError as exc:
            raise CommandError(str(exc)) from None
        for path in written:
            self.stdout.write(f"wrote {path}")
        self.stdout.write(self.style.SUCCESS(f"Added {len(missing)} to {len(written)} files."))
