from django.core.management.base import BaseCommand, CommandError

from content.markdown import RENDERER_VERSION
from content.models import render_stale_markdown


class Command(BaseCommand):
    help = (
        "Render again the stored HTML of authored Markdown (lessons, sections, key terms, cards, "
        "question versions) that another renderer version made: run it after upgrading nh3 or "
        "markdown-it-py, or after rows were written in bulk without their HTML."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="render every row, not only the stale ones (after an edit that skipped save())",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="rows rendered and written per transaction (default 500)",
        )

    def handle(self, *args, everything: bool, batch_size: int, verbosity: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        counts = render_stale_markdown(batch_size=batch_size, everything=everything)
        if verbosity >= 1:
            for model, count in counts.items():
                self.stdout.write(f"{count} {model._meta.verbose_name_plural}")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rendered {sum(counts.values())} rows with renderer {RENDERER_VERSION}."
                )
            )
