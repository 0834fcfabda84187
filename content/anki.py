"""Anki packages (.apkg): export a lesson or a lesson set, and read an .apkg's notes as flashcards.

    export = export_lesson(lesson)           # or export_lesson_set(lesson_set), export_key(key)
    export.data, export.messages             # the .apkg's bytes; what it could not carry
    flashcards, messages = read_apkg(data, "deck.apkg")

Export (genanki) writes the active cards of each lesson into a deck of its own (`Course::Lesson`),
as notes of two note types of ours: "Learnhall Basic" (Front, Back, Hint, Citation) and "Learnhall
Cloze" (Text, Back Extra, Hint, Citation), the second for cloze questions studied as flashcards and
for flashcards whose front holds blanks (`[[answer]]`, or Anki's own `{{c1::answer}}`). Fields
hold the stored sanitised HTML of our Markdown. Every id is derived from fixed strings and keys,
never drawn at random: the note types' and decks' ids, and each note's GUID from its card's key,
so that importing a newer export into Anki updates the notes it imported before.

`read_apkg` never raises, whatever the bytes: every note or file that cannot be mapped is a
message naming the file and, where there is one, the note's id, and the note is left out. It
reads the zip with limits, copies only the collection member into a temporary file of its own
naming, and opens that read-only with sqlite3; every value read from it is checked before use.
"""

import hashlib
import html
import io
import json
import lzma
import re
import sqlite3
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import genanki
import pydantic
from markdownify import markdownify

from content.markdown import render_markdown
from content.models import Lesson
from content.schema import FlashcardIn
from quizzes.grading import CLOZE_BLANK
from quizzes.models import Card, QuestionType, QuestionVersion

if TYPE_CHECKING:
    from courses.models import LessonSet

# Ids --------------------------------------------------------------------------------------------

# Raise when a note type's fields or templates change: Anki keeps a note type by its id, and an
# import whose note type has the id of one with other fields is refused or mangled.
NOTE_TYPE_VERSION = "1"
_ID_NAMESPACE = "learnhall"


def stable_id(*parts: str) -> int:
    """An id for Anki from fixed strings: the same parts always give the same id, in genanki's
    recommended range (1 << 30 to 1 << 31)."""
    digest = hashlib.sha256("\x1f".join((_ID_NAMESPACE, *parts)).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def note_guid(card_key: str) -> str:
    """The GUID of a card's note: from its key only, so that every export names it the same."""
    return genanki.guid_for(_ID_NAMESPACE, card_key)


# Export -----------------------------------------------------------------------------------------

_CSS = """.card { font-family: system-ui, sans-serif; font-size: 20px; line-height: 1.4;
  text-align: left; max-width: 40em; margin: 0 auto; }
.hint, .citation { font-size: 16px; color: #555; }
.citation blockquote { margin: 0.5em 0 0.25em 1em; }
.cloze { font-weight: bold; color: #1a5fb4; }
"""
_HINT = '{{#Hint}}<div class="hint">{{hint:Hint}}</div>{{/Hint}}'
_CITATION = '{{#Citation}}<div class="citation">{{Citation}}</div>{{/Citation}}'

BASIC_MODEL = genanki.Model(
    stable_id("note-type", "basic", NOTE_TYPE_VERSION),
    "Learnhall Basic",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Hint"}, {"name": "Citation"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}" + _HINT,
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}' + _CITATION,
        }
    ],
    css=_CSS,
)
CLOZE_MODEL = genanki.Model(
    stable_id("note-type", "cloze", NOTE_TYPE_VERSION),
    "Learnhall Cloze",
    fields=[{"name": "Text"}, {"name": "Back Extra"}, {"name": "Hint"}, {"name": "Citation"}],
    templates=[
        {
            "name": "Cloze",
            "qfmt": "{{cloze:Text}}" + _HINT,
            "afmt": "{{cloze:Text}}<br>{{Back Extra}}" + _CITATION,
        }
    ],
    css=_CSS,
    model_type=genanki.Model.CLOZE,
)

# Anki's own cloze deletion, as an author may have written it in a flashcard's front.
_ANKI_CLOZE = re.compile(r"\{\{c\d+::")
# Where a cloze question's blank stands while its text is rendered: letters and digits only, so
# that Markdown leaves it as it is.
_BLANK_TOKEN = "LHANKIBLANK{}X"
_BLANK_TOKEN_RE = re.compile(r"LHANKIBLANK(\d+)X")
# Markdown image syntax: the app shows no images (the sanitiser removes them) and exports none.
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(")


@dataclass
class AnkiExport:
    data: bytes
    notes: int
    messages: list[str] = field(default_factory=list)


class NotFound(LookupError):
    pass


def export_key(key: str, *, kind: str | None = None, timestamp: float | None = None) -> AnkiExport:
    """Export the lesson or the lesson set named `key` (`kind`: "lesson" or "set" when a lesson
    and a lesson set share the key). NotFound if there is none, or two and no `kind`."""
    from courses.models import LessonSet  # courses builds on content: only here, never above

    lesson = Lesson.objects.active().filter(key=key).first() if kind != "set" else None
    lesson_set = LessonSet.objects.filter(key=key).first() if kind != "lesson" else None
    if lesson is not None and lesson_set is not None:
        raise NotFound(f"{key!r} names a lesson and a lesson set: say which (--kind)")
    if lesson is not None:
        return export_lesson(lesson, timestamp=timestamp)
    if lesson_set is not None:
        return export_lesson_set(lesson_set, timestamp=timestamp)
    raise NotFound(f"no active lesson or lesson set has the key {key!r}")


def export_lesson(lesson: Lesson, *, timestamp: float | None = None) -> AnkiExport:
    """An .apkg of the lesson's active cards, in the deck `Course::Lesson` (or `Lesson` when the
    lesson belongs to no course)."""
    from courses.models import Course

    course = Course.objects.filter(key=lesson.course_key).first() if lesson.course_key else None
    return _export([lesson], course_title=course.title if course else None, timestamp=timestamp)


def export_lesson_set(lesson_set: "LessonSet", *, timestamp: float | None = None) -> AnkiExport:
    """An .apkg of the active cards of the set's active lessons, a subdeck `Course::Lesson` each."""
    items = lesson_set.items.filter(lesson__retired_at__isnull=True).select_related("lesson")
    lessons = [item.lesson for item in items.order_by("position")]
    return _export(lessons, course_title=lesson_set.course.title, timestamp=timestamp)


def _deck_name(course_title: str | None, lesson: Lesson) -> str:
    # "::" separates subdecks in Anki: a title's own would make a deck of its own.
    parts = [course_title, lesson.title] if course_title else [lesson.title]
    return "::".join(part.replace("::", ":").strip() for part in parts)


def _export(
    lessons: list[Lesson], *, course_title: str | None, timestamp: float | None
) -> AnkiExport:
    cards = (
        Card.objects.active()
        .filter(lesson__in=lessons)
        .select_related("question__current_version")
        .prefetch_related("citations__source")
        .order_by("lesson_id", "position", "pk")
    )
    by_lesson: dict[int, list[Card]] = {lesson.pk: [] for lesson in lessons}
    for card in cards:
        by_lesson[card.lesson_id].append(card)
    messages: list[str] = []
    decks = []
    count = 0
    for lesson in lessons:
        deck = genanki.Deck(
            stable_id("deck", lesson.key), _deck_name(course_title, lesson), lesson.summary_html
        )
        tags = [lesson.key, *([lesson.course_key] if lesson.course_key else [])]
        for card in by_lesson[lesson.pk]:
            deck.add_note(_note(card, tags, messages))
            count += 1
        decks.append(deck)
    if not count:
        messages.append("no active flashcards: the package holds empty decks")
    data = package_bytes(genanki.Package(decks), timestamp=timestamp)
    return AnkiExport(data=data, notes=count, messages=messages)


def _note(card: Card, tags: list[str], messages: list[str]) -> genanki.Note:
    if any(_MARKDOWN_IMAGE.search(text) for text in (card.front, card.back, card.hint)):
        messages.append(
            f"card {card.key}: its image is not exported (packages carry no media, and the app "
            "shows no images either)"
        )
    citation = _citation_html(card)
    text = _cloze_text(card)
    if text is not None:
        back_extra = _back_extra(card)
        fields = [text, back_extra, card.hint_html, citation]
        return genanki.Note(CLOZE_MODEL, fields, tags=tags, guid=note_guid(card.key))
    fields = [card.front_html, card.back_html, card.hint_html, citation]
    return genanki.Note(BASIC_MODEL, fields, tags=tags, guid=note_guid(card.key))


def _cloze_text(card: Card) -> str | None:
    """The card's front as the Text of a Cloze note, or None when it has no blanks."""
    version = card.question.current_version if card.question_id else None
    if version is not None and version.type == QuestionType.CLOZE:
        return _question_cloze(version)
    if version is None:
        if CLOZE_BLANK.search(card.front_html):
            number = iter(range(1, 10_000))
            return CLOZE_BLANK.sub(
                lambda m: _deletion(next(number), m.group(1).split("|")[0].strip()),
                card.front_html,
            )
        if _ANKI_CLOZE.search(card.front_html):
            return card.front_html
    return None


def _question_cloze(version: QuestionVersion) -> str | None:
    """A cloze question's prompt and text, as the card's front is made (content.loader's
    `_card_sides`), with each blank a deletion holding its first accepted answer."""
    texts = version.body.get("texts", [])
    blanks = version.answer_key.get("blanks", [])
    if len(blanks) != len(texts) - 1 or not all(blanks):
        return None
    marked = "".join(
        text + (_BLANK_TOKEN.format(i) if i < len(blanks) else "") for i, text in enumerate(texts)
    )
    front = (version.prompt + "\n\n" if version.prompt else "") + marked
    rendered = str(render_markdown(front))
    if [int(n) for n in _BLANK_TOKEN_RE.findall(rendered)] != list(range(len(blanks))):
        return None  # the text itself held a token: leave the card Basic, as it is shown
    return _BLANK_TOKEN_RE.sub(
        lambda m: _deletion(int(m.group(1)) + 1, html.escape(blanks[int(m.group(1))][0])), rendered
    )


def _deletion(number: int, answer_html: str) -> str:
    # Anki reads "::" in a deletion as the start of a hint and "}}" as its end; as character
    # references they show the same and mean nothing to it.
    escaped = answer_html.replace(":", "&#58;").replace("{", "&#123;").replace("}", "&#125;")
    return f"{{{{c{number}::{escaped}}}}}"


def _back_extra(card: Card) -> str:
    """What the back adds to the filled text: a cloze question's explanation (its card's back
    repeats the filled text before it), or a flashcard's back."""
    version = card.question.current_version if card.question_id else None
    return version.explanation_html if version is not None else card.back_html


def _citation_html(card: Card) -> str:
    parts = []
    for citation in card.citations.all():
        source = citation.source
        where = ", ".join(
            html.escape(part)
            for part in (source.author, source.title, str(source.year or ""))
            if part
        )
        parts.append(
            f"<blockquote>{html.escape(citation.quote)}</blockquote>"
            f"<p>{where}, paragraph {citation.paragraph}</p>"
        )
    return "".join(parts)


def package_bytes(package: genanki.Package, *, timestamp: float | None = None) -> bytes:
    """The package as bytes. genanki's own `write_to_file` leaves its temporary database behind;
    this writes the same zip from a temporary folder that is removed.

    `timestamp` (seconds, default now) is every note's modification time: Anki's import updates
    a note it has only from a package whose note is newer, as a later export's is."""
    with tempfile.TemporaryDirectory(prefix="anki-export-") as folder:
        path = Path(folder) / "collection.anki2"
        connection = sqlite3.connect(path)
        try:
            timestamp = time.time() if timestamp is None else timestamp
            ids = iter(range(int(timestamp * 1000), 1 << 62))
            package.write_to_db(connection.cursor(), timestamp, ids)
            connection.commit()
        finally:
            connection.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, "collection.anki2")
            archive.writestr("media", "{}")
    return buffer.getvalue()


# Import -----------------------------------------------------------------------------------------

MAX_PACKAGE_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all entries, as their headers declare them
MAX_COLLECTION_BYTES = 100 * 1024 * 1024
MAX_NOTES = 10_000
MAX_FIELD_CHARS = 100_000
# Converting HTML to Markdown costs up to some microseconds a character: a bound on the whole.
MAX_TOTAL_CHARS = (
    2_000_000  # as a lesson file's bytes (content.reading.MAX_FILE_BYTES): no more would load
)
MAX_CLOZES = 100  # deletions numbered in one note
MAX_CARD_TYPES = 20  # cards read per Basic-like note (its first and the further ones)
MAX_TEMPLATE_CHARS = 20_000  # a card type's front or back template; a longer one is not read
MAX_SQLITE_STEPS = 50_000_000  # virtual machine instructions for all of one package's queries
_CHUNK = 1024 * 1024

# Legacy collections first: Anki writes `collection.anki21b` (zstd) with a dummy
# `collection.anki2` beside it that holds one note asking the user to upgrade.
_COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
_CLOZE_KIND = 1
_FIELD_SEPARATOR = "\x1f"
_MEDIA = re.compile(
    r"<(?:img|audio|video|source|object|embed|iframe)\b|\[sound:|\[latex\]|\[\$\$?\]", re.I
)
_HINT_FIELD = "hint"
_NOTE_TYPE_ID = re.compile(r"\A[0-9]{1,18}\Z")
_KEY_PREFIX = "anki-"


def key_for_guid(guid: bytes) -> str:
    """The flashcard key a note's GUID is imported as (`-c<n>` is added per cloze number)."""
    return _KEY_PREFIX + hashlib.sha256(guid).hexdigest()[:16]


def imported_key(card_key: str) -> str:
    """The key the note exported for our card `card_key` comes back as, imported."""
    return key_for_guid(note_guid(card_key).encode())


class _Refused(Exception):
    """Why a whole package is not read, as a sentence that follows the file's name."""


@dataclass
class _Sides:
    """Which fields a card type shows: one on its front, one on its back, perhaps a hint, by
    index; and, for each place the front shows its field, the sections around it (`{{#F}}`:
    shown if F is filled in, `{{^F}}`: if F is empty) as (filled?, index) pairs."""

    front: int
    back: int
    hint: int | None
    front_sections: tuple[tuple[tuple[bool, int], ...], ...]

    def conditions(self) -> set[int]:
        return {index for sections in self.front_sections for _filled, index in sections}

    def front_shown(self, fields: list[str]) -> bool:
        """Whether the card's front shows anything for this note: Anki made its card, but shows
        a blank front (and nothing to study) when the field is empty or its section is off."""

        def filled(index: int) -> bool:
            return index < len(fields) and bool(fields[index].strip())

        return filled(self.front) and any(
            all(filled(index) == wanted for wanted, index in sections)
            for sections in self.front_sections
        )


@dataclass
class _NoteType:
    name: str
    cloze: bool
    fields: list[str]
    ignored: set[str] = field(default_factory=set)  # field names with content not imported
    # Card types after the first (ord 1 and on) by ord: their name and front and back templates.
    templates: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)  # card types with cards not imported
    empty_backs: set[str] = field(default_factory=set)  # card types with cards left out for it
    _sides: dict[int, "_Sides | None"] = field(default_factory=dict)

    def sides(self, ord_: int) -> "_Sides | None":
        """The fields card type `ord_` shows, if they map onto a flashcard (else None); worked
        out once per card type. A template longer than MAX_TEMPLATE_CHARS is not read."""
        if ord_ not in self._sides:
            template = self.templates.get(ord_)
            readable = template and max(len(template[1]), len(template[2])) <= MAX_TEMPLATE_CHARS
            self._sides[ord_] = (
                _template_sides(template[1], template[2], self.fields) if readable else None
            )
        return self._sides[ord_]

    def template_name(self, ord_: int) -> str:
        template = self.templates.get(ord_)
        return template[0] if template and template[0] else f"Card {ord_ + 1}"


def read_apkg(
    data: bytes, filename: str, *, notices: list[str] | None = None
) -> tuple[list[dict], list[str]]:
    """Flashcards (dicts shaped as `FlashcardIn`) from an .apkg's notes, and a message for every
    note or problem that could not be mapped: `"<filename>: note <id>: <why>"`, or
    `"<filename>: <why>"` for the whole package. Never raises for any `data`. Given `notices`,
    the fields of a note type that are not imported are said there instead of in the messages
    (nothing of a note is lost but those fields).

    Basic-like notes (any non-cloze note type with two fields or more) give one flashcard for
    their first card: first field front, second back, a field named "Hint" the hint. Each further
    card the package holds for the note (a reversed card, `Card 2`) gives one more flashcard, if
    its card type shows one field on its front and another on its back. A cloze note gives one
    flashcard per cloze number. Keys come from the note's GUID (`anki-<hash>`, `-c<n>` per cloze
    number, `-card<n>` per further card), so that reading a newer export of the same deck names
    the same flashcards.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="anki-import-") as folder:
            path = Path(folder) / "collection.sqlite"
            _extract_collection(data, path)
            return _read_collection(path, filename, notices)
    except _Refused as refused:
        return [], [f"{filename}: {refused}"]
    except RecursionError:
        return [], [f"{filename}: the package nests too deeply to be read"]
    except MemoryError:
        return [], [f"{filename}: the package is too large to be read"]


def _extract_collection(data: bytes, path: Path) -> None:
    """Copy the package's collection into `path`; _Refused if it is not one we can read."""
    if not isinstance(data, bytes | bytearray):
        raise _Refused("the upload is not a file")
    if len(data) > MAX_PACKAGE_BYTES:
        raise _Refused(f"the package is larger than {MAX_PACKAGE_BYTES // 1024 // 1024} MB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_entries(entries)
            names = {entry.filename: entry for entry in entries}
            found = next((name for name in _COLLECTIONS if name in names), None)
            if found is None:
                raise _Refused(
                    "the package holds no Anki collection (collection.anki2, collection.anki21 or "
                    "collection.anki21b): is it an .apkg?"
                )
            with archive.open(names[found]) as member, path.open("wb") as out:
                if found.endswith("b"):
                    _copy_zstd(member, out)
                else:
                    _copy_limited(member, out)
    except _Refused:
        raise
    except zipfile.BadZipFile:
        raise _Refused("the file is not a valid .apkg (not a readable zip archive)") from None
    except NotImplementedError:
        raise _Refused("the package uses a zip compression method that is not supported") from None
    except (
        # what zipfile and its decompressors raise for encrypted members, impossible offsets
        # and corrupt data
        EOFError,
        OSError,
        OverflowError,
        RuntimeError,
        ValueError,
        lzma.LZMAError,
        zlib.error,
        zipfile.LargeZipFile,
    ):
        raise _Refused("the package's zip archive is damaged or encrypted") from None


def _check_entries(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise _Refused(
            f"the package has {len(entries):,} entries; at most {MAX_ENTRIES:,} are read"
        )
    total = 0
    for entry in entries:
        name = entry.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
            raise _Refused(
                f"the package has an entry named {_short(repr(entry.filename))}, which points "
                "outside it"
            )
        total += entry.file_size
    if total > MAX_TOTAL_BYTES:
        raise _Refused(
            f"the package's entries would unpack to {total / 1024 / 1024:,.0f} MB; at most "
            f"{MAX_TOTAL_BYTES // 1024 // 1024:,} MB are read"
        )
    for entry in entries:
        if entry.filename in _COLLECTIONS and entry.file_size > MAX_COLLECTION_BYTES:
            raise _Refused(
                f"its collection would unpack to {entry.file_size / 1024 / 1024:,.0f} MB; at "
                f"most {MAX_COLLECTION_BYTES // 1024 // 1024} MB are read"
            )


def _copy_limited(source: Any, out: Any) -> None:
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if written > MAX_COLLECTION_BYTES:
            raise _Refused(
                f"its collection unpacks to more than {MAX_COLLECTION_BYTES // 1024 // 1024} MB"
            )
        out.write(chunk)


def zstd_available() -> bool:
    """Whether a `collection.anki21b` (zstd-compressed) can be read here."""
    return _zstd_reader(io.BytesIO()) is not None


def _zstd_reader(source: Any) -> Any:
    """A reader of the zstd-compressed `source`, or None if this Python has no zstd decoder
    (the standard library's from Python 3.14, else the `zstandard` package)."""
    try:
        from compression import zstd  # type: ignore[import-not-found]

        return zstd.ZstdFile(source)
    except ImportError:
        pass
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        return None
    return zstandard.ZstdDecompressor().stream_reader(source)


def _copy_zstd(source: Any, out: Any) -> None:
    reader = _zstd_reader(source)
    if reader is None:
        raise _Refused(
            "the package was written by Anki 2.1.50 or newer in its compressed format "
            "(collection.anki21b), which this server cannot read: export it again from Anki with "
            '"Support older Anki versions" ticked'
        )
    try:
        _copy_limited(reader, out)
    except _Refused:
        raise
    except Exception:  # each decoder raises its own error for corrupt data
        raise _Refused("its compressed collection (collection.anki21b) is damaged") from None


def _read_collection(
    path: Path, filename: str, notices: list[str] | None = None
) -> tuple[list[dict], list[str]]:
    try:
        connection = _open_read_only(path)
    except sqlite3.Error:
        raise _Refused("its collection is not an SQLite database") from None
    try:
        return _read_notes(connection, filename, notices)
    except sqlite3.Error as exc:
        if "interrupted" in str(exc):
            raise _Refused("its collection takes too long to read") from None
        raise _Refused(f"its collection cannot be read ({_short(str(exc))})") from None
    finally:
        connection.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    """The collection, read-only and immutable (no journal, no WAL file is looked for), with no
    trust in its schema's functions and a budget of work for every query together."""
    connection = sqlite3.connect(
        f"{path.as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None
    )
    connection.text_factory = bytes  # decoded and checked value by value
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_FIELD_CHARS * 4 * 20)
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    steps = iter(range(MAX_SQLITE_STEPS // 1000))
    connection.set_progress_handler(lambda: next(steps, None) is None, 1000)
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.execute("PRAGMA query_only = ON")
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # is it a database?
    return connection


def _tables(connection: sqlite3.Connection) -> dict[str, str]:
    rows = connection.execute("SELECT name, type FROM sqlite_master").fetchall()
    return {_text(name): _text(kind) for name, kind in rows if name is not None}


def _read_notes(
    connection: sqlite3.Connection, filename: str, notices: list[str] | None = None
) -> tuple[list[dict], list[str]]:
    tables = _tables(connection)
    if tables.get("notes") != "table":
        raise _Refused("its collection has no notes table: it is not an Anki collection")
    note_types = _note_types(connection, tables)
    further_cards = _further_cards(connection, tables)
    # Row by row: only one note's fields are held at a time, whatever the collection holds.
    rows = connection.execute(
        "SELECT id, guid, mid, flds FROM notes ORDER BY id LIMIT ?", (MAX_NOTES + 1,)
    )
    messages: list[str] = []
    flashcards: list[dict] = []
    keys: set[str] = set()
    chars = seen = 0
    for seen, row in enumerate(rows, 1):
        if seen > MAX_NOTES:
            messages.append(f"{filename}: only the first {MAX_NOTES:,} notes are read")
            break
        label = f"note {row[0]}" if isinstance(row[0], int) else "a note"
        chars += len(row[3]) if isinstance(row[3], bytes) else 0
        if chars > MAX_TOTAL_CHARS:
            messages.append(
                f"{filename}: {label} and those after it are not read: the package holds more "
                f"than {MAX_TOTAL_CHARS:,} characters of text"
            )
            break
        try:
            found = _note_flashcards(row, note_types, further_cards.get(row[0], ()))
        except _NoteProblem as problem:
            messages.append(f"{filename}: {label}: {problem}")
            continue
        except RecursionError:
            messages.append(f"{filename}: {label}: its cloze deletions nest too deeply to be read")
            continue
        for card in found:
            if card["key"] in keys:
                messages.append(f"{filename}: {label}: another note has the same GUID")
                break
            problem = _invalid(card)
            if problem:
                messages.append(f"{filename}: {label}: {problem}")
                continue
            keys.add(card["key"])
            flashcards.append(card)
    if not seen:
        return [], [f"{filename}: the package holds no notes"]
    for note_type in note_types.values():
        if note_type.ignored:
            names = ", ".join(repr(name) for name in sorted(note_type.ignored))
            which = (
                f"the fields {names} are" if len(note_type.ignored) > 1 else f"the field {names} is"
            )
            (messages if notices is None else notices).append(
                f"{filename}: note type {note_type.name!r}: {which} not imported "
                "(a flashcard has a front, a back and a hint)"
            )
        if note_type.skipped:
            names = ", ".join(repr(name) for name in sorted(note_type.skipped))
            which = f"card types {names}" if len(note_type.skipped) > 1 else f"card type {names}"
            (messages if notices is None else notices).append(
                f"{filename}: note type {note_type.name!r}: the cards of its {which} are not "
                "imported (a flashcard shows one field on its front and another on its back)"
            )
        if note_type.empty_backs:
            names = ", ".join(repr(name) for name in sorted(note_type.empty_backs))
            (messages if notices is None else notices).append(
                f"{filename}: note type {note_type.name!r}: cards of {names} whose back is "
                "empty are not imported"
            )
    return flashcards, messages


def _further_cards(connection: sqlite3.Connection, tables: dict[str, str]) -> dict[int, list[int]]:
    """The ords of each note's cards after its first (a reversed card is ord 1), from the
    package's cards table (none without one): the cards Anki made are the ones to import."""
    if tables.get("cards") != "table":
        return {}
    found: dict[int, list[int]] = {}
    rows = connection.execute(
        "SELECT DISTINCT nid, ord FROM cards WHERE ord BETWEEN 1 AND ? AND nid IN "
        "(SELECT id FROM notes ORDER BY id LIMIT ?) ORDER BY nid, ord LIMIT ?",
        (MAX_CARD_TYPES - 1, MAX_NOTES, MAX_NOTES * MAX_CARD_TYPES),
    )
    for nid, ord_ in rows:
        if isinstance(nid, int) and isinstance(ord_, int):
            found.setdefault(nid, []).append(ord_)
    return found


class _NoteProblem(Exception):
    pass


def _note_types(connection: sqlite3.Connection, tables: dict[str, str]) -> dict[int, _NoteType]:
    """Note types by id: from the `notetypes` and `fields` tables (Anki 2.1.28+ collections), else
    from the JSON in `col.models` (the legacy format every older Anki and genanki write)."""
    if tables.get("notetypes") == "table" and tables.get("fields") == "table":
        found = {}
        for ntid, name, config in connection.execute(
            "SELECT id, name, config FROM notetypes LIMIT 10000"
        ):
            if isinstance(ntid, int):
                kind = _protobuf_varint_field(config, 1) if isinstance(config, bytes) else 0
                found[ntid] = _NoteType(_text(name), kind == _CLOZE_KIND, [])
        for ntid, _ord, name in connection.execute(
            "SELECT ntid, ord, name FROM fields ORDER BY ntid, ord LIMIT 100000"
        ):
            if ntid in found:
                found[ntid].fields.append(_text(name))
        if tables.get("templates") == "table":
            for ntid, ord_, name, config in connection.execute(
                "SELECT ntid, ord, name, config FROM templates WHERE ord > 0 LIMIT 100000"
            ):
                if ntid in found and isinstance(ord_, int) and isinstance(config, bytes):
                    # Anki's CardTemplate.Config: q_format is field 1, a_format field 2.
                    formats = _protobuf_fields(config)
                    found[ntid].templates[ord_] = (
                        _text(name)[:200],
                        _text(formats.get(1, b"")),
                        _text(formats.get(2, b"")),
                    )
        return found
    if tables.get("col") != "table":
        raise _Refused("its collection has no note types (no col table): it is not from Anki")
    row = connection.execute("SELECT models FROM col LIMIT 1").fetchone()
    try:
        models = json.loads(row[0]) if row and isinstance(row[0], bytes) else None
    except ValueError:
        models = None
    if not isinstance(models, dict):
        raise _Refused("its collection's note types cannot be read")
    found = {}
    for key, model in models.items():
        if not (isinstance(model, dict) and _NOTE_TYPE_ID.match(key)):
            continue
        fields = model.get("flds")
        fields = fields if isinstance(fields, list) else []
        ordered = sorted(
            (f for f in fields if isinstance(f, dict)),
            key=lambda f: f.get("ord") if isinstance(f.get("ord"), int) else 0,
        )
        templates = model.get("tmpls")
        found[int(key)] = _NoteType(
            name=str(model.get("name", ""))[:200],
            cloze=model.get("type") == _CLOZE_KIND,
            fields=[str(f.get("name", ""))[:200] for f in ordered],
            templates={
                t["ord"]: (str(t.get("name", ""))[:200], str(t.get("qfmt")), str(t.get("afmt")))
                for t in (templates if isinstance(templates, list) else [])
                if isinstance(t, dict) and isinstance(t.get("ord"), int) and t["ord"] > 0
            },
        )
    return found


def _protobuf_varint_field(data: bytes, wanted: int) -> int:
    """The value of varint field `wanted` at the top level of a protobuf message (0, its default,
    if absent or unreadable). Anki keeps a note type's kind, normal or cloze, in field 1 of its
    NotetypeConfig."""
    value = _protobuf_fields(data).get(wanted, 0)
    return value if isinstance(value, int) else 0


def _protobuf_fields(data: bytes) -> dict[int, int | bytes]:
    """The top-level varint and length-delimited fields of a protobuf message, by number (the
    first of each), as far as it can be read."""
    position = 0
    found: dict[int, int | bytes] = {}

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while shift < 64:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
        raise ValueError("varint too long")

    try:
        while position < len(data):
            tag = varint()
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                found.setdefault(number, varint())
            elif wire == 1:
                position += 8
            elif wire == 2:
                length = varint()
                if position + length > len(data):
                    break
                found.setdefault(number, data[position : position + length])
                position += length
            elif wire == 5:
                position += 4
            else:
                break
    except (IndexError, ValueError):
        pass
    return found


# A template's tags: `{{Field}}`, `{{filter:Field}}`, `{{#Field}}`, `{{^Field}}`, `{{/Field}}`.
_TEMPLATE_TAG = re.compile(r"\{\{([^{}]{1,300})\}\}")
_SPECIAL_NAMES = frozenset(
    {"FrontSide", "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag", "CardID"}
)


def _template_refs(template: str, fields: list[str]) -> dict[str, list]:
    """The fields a template refers to, by index, in order of appearance: `shown` (no filter
    or a display one), `hint` (`{{hint:F}}`), `typed` (`{{type:F}}`: a box to type the answer
    in on the front, the answer compared on the back); and, for each of `shown`, in
    `sections`, the sections it is in (`{{#F}}`, `{{^F}}`) as (filled?, index) pairs."""
    index = {name: i for i, name in enumerate(fields)}
    refs: dict[str, list] = {"shown": [], "hint": [], "typed": [], "sections": []}
    open_sections: list[tuple[str, tuple[bool, int] | None]] = []  # name, (filled?, index)
    for match in _TEMPLATE_TAG.finditer(template):
        tag = match.group(1).strip()
        if tag[:1] in ("#", "^"):
            name = tag[1:].strip()
            condition = (tag[0] == "#", index[name]) if name in index else None
            open_sections.append((name, condition))
            continue
        if tag[:1] == "/":
            name = tag[1:].strip()
            if any(opened == name for opened, _ in open_sections):
                while open_sections.pop()[0] != name:
                    pass
            continue
        if tag[:1] == "!":
            continue
        *filters, name = (part.strip() for part in tag.split(":"))
        if name in _SPECIAL_NAMES or name not in index:
            continue
        kind = "hint" if "hint" in filters else "typed" if "type" in filters else "shown"
        refs[kind].append(index[name])
        if kind == "shown":
            refs["sections"].append(tuple(c for _, c in open_sections if c is not None))
    return refs


def _template_sides(question: str, answer: str, fields: list[str]) -> _Sides | None:
    """The flashcard a card type makes: the one field its front shows, and the one other
    field its back adds (`{{FrontSide}}` and the front's fields aside); None if either side
    shows no field or several."""
    front = _template_refs(question, fields)
    on_back = _template_refs(answer, fields)
    shown = set(front["shown"])
    back = {i for i in on_back["shown"] + on_back["typed"] if i not in shown}
    if len(shown) != 1 or len(back) != 1:
        return None
    hints = set(front["hint"])
    return _Sides(
        front=shown.pop(),
        back=back.pop(),
        hint=hints.pop() if len(hints) == 1 else None,
        front_sections=tuple(front["sections"]),
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _note_flashcards(
    row: tuple, note_types: dict[int, _NoteType], further: Iterable[int] = ()
) -> list[dict]:
    _note_id, guid, mid, fields_value = row
    note_type = note_types.get(mid) if isinstance(mid, int) else None
    if note_type is None:
        raise _NoteProblem("its note type is missing from the package")
    if not isinstance(guid, bytes) or not 1 <= len(guid) <= 200:
        raise _NoteProblem("its GUID is missing or not text")
    if not isinstance(fields_value, bytes):
        raise _NoteProblem("its fields are not text")
    try:
        fields = fields_value.decode("utf-8").split(_FIELD_SEPARATOR)
    except UnicodeDecodeError:
        raise _NoteProblem("its fields are not valid UTF-8") from None
    if any(len(value) > MAX_FIELD_CHARS for value in fields):
        raise _NoteProblem(f"a field is longer than {MAX_FIELD_CHARS:,} characters")
    key = key_for_guid(guid)
    if note_type.cloze:
        return _cloze_flashcards(key, fields, note_type)
    if len(fields) < 2 or len(note_type.fields) < 2:
        raise _NoteProblem(
            f"its note type {note_type.name!r} has one field: a flashcard needs a front and a back"
        )
    first, used = _basic_flashcard(key, fields, note_type)
    cards = [first]
    for ord_ in further:
        sides = note_type.sides(ord_)
        if sides is None or max(sides.front, sides.back) >= len(fields):
            note_type.skipped.add(note_type.template_name(ord_))
            continue
        used |= {sides.front, sides.back, sides.hint, *sides.conditions()}
        if not sides.front_shown(fields):
            continue  # a blank card in Anki too: nothing to study
        if not fields[sides.back].strip():
            note_type.empty_backs.add(note_type.template_name(ord_))
            continue
        card = _flashcard(f"{key}-card{ord_ + 1}", fields, sides.front, sides.back, sides.hint)
        if not any((c["front"], c["back"]) == (card["front"], card["back"]) for c in cards):
            cards.append(card)  # another card type may ask the same (a typed answer's)
    _ignore_rest(fields, note_type, used)
    return cards


def _ignore_rest(fields: list[str], note_type: _NoteType, used: Iterable[int | None]) -> None:
    used = set(used)
    for index, value in enumerate(fields):
        if index not in used and value.strip() and index < len(note_type.fields):
            note_type.ignored.add(note_type.fields[index])


def _basic_flashcard(
    key: str, fields: list[str], note_type: _NoteType
) -> tuple[dict, set[int | None]]:
    """The note's first card as a flashcard, and the fields it uses."""
    hint_index = next(
        (i for i, name in enumerate(note_type.fields) if i > 1 and name.casefold() == _HINT_FIELD),
        None,
    )
    return _flashcard(key, fields, 0, 1, hint_index), {0, 1, hint_index}


def _flashcard(key: str, fields: list[str], front: int, back: int, hint: int | None) -> dict:
    """A flashcard of the note's fields `front`, `back` and, if it has one, `hint`."""
    hint_text = fields[hint] if hint is not None and hint < len(fields) else ""
    _check_media([fields[front], fields[back], hint_text])
    return {
        "key": key,
        "front": _markdown(fields[front]),
        "back": _markdown(fields[back]),
        "hint": _markdown(hint_text),
    }


def _cloze_flashcards(key: str, fields: list[str], note_type: _NoteType) -> list[dict]:
    text = fields[0]
    extra_index = 1 if len(fields) > 1 else None
    hint_index = next(
        (i for i, name in enumerate(note_type.fields) if i > 1 and name.casefold() == _HINT_FIELD),
        None,
    )
    extra = fields[extra_index] if extra_index is not None else ""
    hint = fields[hint_index] if hint_index is not None and hint_index < len(fields) else ""
    _check_media([text, extra, hint])
    _ignore_rest(fields, note_type, (0, extra_index, hint_index))
    nodes = _parse_cloze(text)
    numbers = sorted(set(_cloze_numbers(nodes)))
    if not numbers:
        raise _NoteProblem("its cloze note type has no cloze deletion ({{c1::...}}) in its text")
    if len(numbers) > MAX_CLOZES:
        raise _NoteProblem(f"it has {len(numbers)} cloze numbers; at most {MAX_CLOZES} are read")
    cards = []
    extra_markdown = _markdown(extra)
    for number in numbers:
        back = _markdown(_render_cloze(nodes, number, front=False))
        cards.append(
            {
                "key": f"{key}-c{number}",
                "front": _markdown(_render_cloze(nodes, number, front=True)),
                "back": f"{back}\n\n{extra_markdown}" if extra_markdown else back,
                "hint": _markdown(hint),
            }
        )
    return cards


def _check_media(values: list[str]) -> None:
    for value in values:
        found = _MEDIA.search(value)
        if found:
            raise _NoteProblem(
                f"it refers to media ({_short(found.group())}…), which is not imported: "
                "flashcards carry text only"
            )


@dataclass
class _Deletion:
    number: int
    children: list  # of str and _Deletion
    hint: str = ""


_CLOZE_TOKEN = re.compile(r"\{\{c(\d{1,4})::|\}\}")


def _parse_cloze(text: str) -> list:
    """Anki's cloze syntax as a tree: `{{c1::text}}`, `{{c1::text::hint}}`, nested deletions.
    An opening never closed, or a closing never opened, is plain text (as Anki shows it)."""
    root: list = []
    stack: list[tuple[_Deletion, str]] = []  # the deletion and its opening text
    position = 0
    for match in _CLOZE_TOKEN.finditer(text):
        target = stack[-1][0].children if stack else root
        target.append(text[position : match.start()])
        position = match.end()
        if match.group(1) is not None:
            stack.append((_Deletion(int(match.group(1)), []), match.group()))
        elif stack:
            deletion, _ = stack.pop()
            _split_hint(deletion)
            (stack[-1][0].children if stack else root).append(deletion)
        else:
            target.append(match.group())
    (stack[-1][0].children if stack else root).append(text[position:])
    while stack:  # unclosed: its opening and content are text in its parent
        deletion, opening = stack.pop()
        (stack[-1][0].children if stack else root).extend([opening, *deletion.children])
    return root


def _split_hint(deletion: _Deletion) -> None:
    last = deletion.children[-1] if deletion.children else None
    if isinstance(last, str) and "::" in last:
        content, hint = last.rsplit("::", 1)
        deletion.children[-1] = content
        deletion.hint = hint


def _cloze_numbers(nodes: list) -> Iterator[int]:
    for node in nodes:
        if isinstance(node, _Deletion):
            if node.number > 0:
                yield node.number
            yield from _cloze_numbers(node.children)


def _render_cloze(nodes: list, number: int, *, front: bool) -> str:
    """HTML of the card for cloze `number`, as Anki shows it: on the front the deletion is a gap
    (`[...]`, or `[hint]`), on the back it is filled, in bold; other deletions show their text."""
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node.number == number and front:
            out.append(f"[{node.hint or '...'}]")
        elif node.number == number:
            out.append(f"<b>{_render_cloze(node.children, number, front=False)}</b>")
        else:
            out.append(_render_cloze(node.children, number, front=front))
    return "".join(out)


def _markdown(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return markdownify(value, heading_style="ATX", bullets="-").strip()
    except RecursionError:
        raise _NoteProblem("its HTML is nested too deeply to be read") from None


def _invalid(card: dict) -> str | None:
    try:
        FlashcardIn.model_validate(card)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        side = {"front": "its front", "back": "its back", "hint": "its hint"}.get(where, where)
        return f"{side}: {error['msg']}"
    return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
