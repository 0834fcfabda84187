from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.services import demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo accounts (student, student2, teacher, author; password learn-2026), "
        "the 'Demo class' and an assignment of the bundled course. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even though DEBUG is off (not for production)"
        )

    def handle(self, *args, force: bool, verbosity: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password: it runs only with "
                "DEBUG on (DJANGO_DEBUG=1), or with --force."
            )
        summary = demo_seed(due_in=timedelta(days=14))
        if verbosity == 0:
            return
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every password is learn-2026."))
