from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content.export import ExportError, export_course, export_course_zip
from courses.models import Course


class Command(BaseCommand):
    help = (
        "Write a course from the database as the folder load_content reads (docs/authoring.md, "
        "Export): into OUTPUT, an empty or new folder, or a .zip if OUTPUT ends with .zip. "
        "Loading the export changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("course_key", metavar="COURSE_KEY")
        parser.add_argument("output", metavar="OUTPUT", help="a folder, or a path ending in .zip")

    def handle(self, *args, course_key: str, output: str, verbosity: int, **options):
        course = Course.objects.filter(key=course_key).first()
        if course is None:
            raise CommandError(f"no course with the key {course_key!r}")
        target = Path(output)
        try:
            if target.suffix.lower() == ".zip":
                if target.is_dir():
                    raise ExportError(f"{target} is a folder")
                export_course_zip(course, target)
                written = f"wrote {target}"
            else:
                files = export_course(course, target)
                written = f"wrote {len(files)} files into {target}"
        except (ExportError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Exported course {course.key}: {written}."))
