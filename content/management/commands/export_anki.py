from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content.anki import NotFound, export_key


class Command(BaseCommand):
    help = (
        "Export a lesson or a lesson set as an Anki package (.apkg): its active flashcards, a "
        "deck per lesson. Importing a newer export into Anki updates the notes it added before."
    )

    def add_arguments(self, parser):
        parser.add_argument("key", metavar="KEY", help="a lesson's key or a lesson set's key")
        parser.add_argument("out", metavar="OUT.apkg", help="the file to write")
        parser.add_argument(
            "--kind",
            choices=["lesson", "set"],
            help="what KEY names, when a lesson and a lesson set share it",
        )

    def handle(self, *args, key: str, out: str, kind: str | None, verbosity: int, **options):
        try:
            export = export_key(key, kind=kind)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        try:
            Path(out).write_bytes(export.data)
        except OSError as exc:
            raise CommandError(f"{out}: {exc.strerror or exc}") from None
        for message in export.messages:
            self.stderr.write(self.style.WARNING(message))
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"{export.notes} notes written to {out}."))
