from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content import formats
from content.models import Lesson


class Command(BaseCommand):
    help = (
        "Export a lesson's questions as GIFT (OUT.gift or OUT.txt) or Moodle XML (OUT.xml), for "
        "Moodle's question bank. What the format cannot hold is said, by question key; "
        "`load_content OUT` reads the file back into the lesson with no change."
    )

    def add_arguments(self, parser):
        parser.add_argument("lesson", metavar="LESSON", help="the lesson's key")
        parser.add_argument("out", metavar="OUT", help="the file to write: .gift, .txt or .xml")

    def handle(self, *args, lesson: str, out: str, verbosity: int, **options):
        found = Lesson.objects.active().filter(key=lesson).first()
        if found is None:
            raise CommandError(f"there is no lesson {lesson!r}")
        extension = Path(out).suffix.lower()
        if extension in (".gift", ".txt"):
            text, messages = formats.lesson_gift(found)
            data = text.encode("utf-8")
        elif extension == ".xml":
            data, messages = formats.lesson_xml(found)
        else:
            raise CommandError(f"{out}: name a .gift, .txt or .xml file")
        try:
            Path(out).write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{out}: {exc.strerror or exc}") from None
        for message in messages:
            self.stderr.write(self.style.WARNING(message))
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"{found.key} written to {out}."))
