from django.core.management.base import BaseCommand, CommandError

from content.export import write_reviews_csv
from courses.models import Course


class Command(BaseCommand):
    help = (
        "Write a course's review log as CSV for FSRS optimizers (docs/authoring.md, Export): "
        "one row per review, students pseudonymised. OUTPUT '-' writes to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("course_key", metavar="COURSE_KEY")
        parser.add_argument("output", metavar="OUTPUT.csv")

    def handle(self, *args, course_key: str, output: str, verbosity: int, **options):
        course = Course.objects.filter(key=course_key).first()
        if course is None:
            raise CommandError(f"no course with the key {course_key!r}")
        if output == "-":
            write_reviews_csv(course, self.stdout)
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = write_reviews_csv(course, out)
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror or exc}") from None
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Wrote {count} reviews to {output}."))
