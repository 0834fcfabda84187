"""Re-base the recall rollups (quizzes.rollups) on today, from the memory states. Run nightly.

    manage.py recall_rollup [--day N] [--batch 500]

Each (student, lesson) row holds recall sums at 00:00 UTC of days base … base + 15; a report
for "now and in 7 days" needs now to lie within 8 days of the base, so a row not re-based for
8 days is no longer used (the report reads those students' states instead: right, but slow for a
school). One pass over the memory states, `--batch` students per transaction.
"""

import time

from django.core.management.base import BaseCommand

from quizzes import rollups


class Command(BaseCommand):
    help = "Rebuild the recall rollups from the memory states with today as day point 0."

    def add_arguments(self, parser):
        parser.add_argument(
            "--day", type=int, help="day point 0, in days since 1970-01-01 UTC (default today)"
        )
        parser.add_argument("--batch", type=int, default=500, help="students per transaction")

    def handle(self, *args, day: int | None, batch: int, **options):
        started = time.perf_counter()
        day = rollups.today() if day is None else day
        written = rollups.rollup_rebuild(day=day, batch=batch)
        self.stdout.write(
            f"{written} recall rollup rows based on day {day} "
            f"({rollups.day_point(day):%Y-%m-%d}) in {time.perf_counter() - started:.1f} s"
        )
