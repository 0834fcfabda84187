"""Anki packages: what `content.anki` exports, proved by opening it with Anki's own library, and
what `read_apkg` makes of packages from genanki, from Anki itself and from an attacker."""

import hashlib
import io
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import genanki
import pytest
from anki.collection import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import anki
from content.anki import export_key, export_lesson, export_lesson_set, note_guid, read_apkg
from content.loader import load_content
from content.markdown import render_markdown
from content.models import Lesson
from content.schema import FlashcardIn
from courses.models import LessonSet
from quizzes.models import Card

COURSE = Path(__file__).resolve().parent.parent / "data" / "anki" / "course"
COURSE_TITLE = "Anki: a test course"
# The lesson's title holds "::", Anki's separator of subdecks: it is written as ":".
CAPITALS_DECK = f"{COURSE_TITLE}::Capitals : of Indochina"
RIVERS_DECK = f"{COURSE_TITLE}::Rivers"


@pytest.fixture
def course(db, tmp_path) -> Path:
    """The test course, loaded from a copy that a test may edit and load again."""
    folder = tmp_path / "course"
    shutil.copytree(COURSE, folder)
    load_content([folder])
    return folder


def open_in_anki(tmp_path: Path, *packages: bytes) -> Collection:
    """A new Anki collection into which each package is imported in turn."""
    (tmp_path / "anki").mkdir(parents=True)
    collection = Collection(str(tmp_path / "anki" / "collection.anki2"))
    for data in packages:
        import_into(collection, data, tmp_path)
    return collection


def import_into(collection: Collection, data: bytes, tmp_path: Path) -> None:
    """Import a package as Anki's import dialog does with its default options (a note already
    in the collection is updated when the package's is newer)."""
    path = tmp_path / f"package-{len(list(tmp_path.glob('package-*.apkg')))}.apkg"
    path.write_bytes(data)
    collection.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    )


def find_note(collection: Collection, card_key: str):
    """The note exported for the card `card_key`."""
    notes = [collection.get_note(note_id) for note_id in collection.find_notes("")]
    (note,) = [note for note in notes if note.guid == note_guid(card_key)]
    return note


def anki_notes(collection: Collection) -> dict[str, dict]:
    """Every note of the collection by GUID: its note type, fields, tags and its cards' decks."""
    notes = {}
    for note_id in collection.find_notes(""):
        note = collection.get_note(note_id)
        notes[note.guid] = {
            "type": note.note_type()["name"],
            "fields": dict(note.items()),
            "tags": sorted(note.tags),
            "decks": {collection.decks.name(card.did) for card in note.cards()},
            "cards": len(note.cards()),
        }
    return notes


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            # A fixed date: the bytes are the same in every process, so a test
            # parametrized with them is collected alike by every xdist worker.
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def genanki_package(*notes: genanki.Note) -> bytes:
    deck = genanki.Deck(anki.stable_id("test-deck"), "Test deck")
    for note in notes:
        deck.add_note(note)
    return anki.package_bytes(genanki.Package(deck))


# Export, opened with Anki ------------------------------------------------------------------------


def test_a_lesson_set_opens_in_anki_with_a_note_per_active_card(course, tmp_path):
    export = export_lesson_set(LessonSet.objects.get(key="anki-set"))
    cards = list(Card.objects.active().filter(lesson__key__in=["anki-capitals", "anki-rivers"]))
    # 5 flashcards and 2 questions studied as flashcards; the true/false question is not one.
    assert len(cards) == 7
    assert export.notes == 7

    collection = open_in_anki(tmp_path, export.data)
    notes = anki_notes(collection)
    collection.close()

    assert set(notes) == {note_guid(card.key) for card in cards}
    assert {name for note in notes.values() for name in note["decks"]} == {
        CAPITALS_DECK,
        RIVERS_DECK,
    }
    for card in cards:
        note = notes[note_guid(card.key)]
        assert note["tags"] == sorted([card.lesson.key, "anki-course"])
        deck = CAPITALS_DECK if card.lesson.key == "anki-capitals" else RIVERS_DECK
        assert note["decks"] == {deck}


def test_basic_notes_hold_the_cards_stored_html(course, tmp_path):
    export = export_key("anki-set")
    collection = open_in_anki(tmp_path, export.data)
    notes = anki_notes(collection)
    collection.close()

    card = Card.objects.get(key="anki-capitals-f1")
    note = notes[note_guid(card.key)]
    assert note["type"] == "Learnhall Basic"
    assert note["cards"] == 1
    assert note["fields"]["Front"] == card.front_html
    assert note["fields"]["Back"] == card.back_html
    assert note["fields"]["Hint"] == card.hint_html
    assert "<em>Vietnam</em>" in note["fields"]["Front"]
    assert note["fields"]["Citation"] == (
        "<blockquote>Hanoi is the capital of Vietnam &amp; Vientiane</blockquote>"
        "<p>A. Author, A source for Anki, 2021, paragraph 2</p>"
    )
    # A question studied as a flashcard: its card's sides, options shuffled as the app shows them.
    question_card = Card.objects.get(key="anki-capitals-q2")
    note = notes[note_guid(question_card.key)]
    assert note["type"] == "Learnhall Basic"
    assert note["fields"]["Front"] == question_card.front_html
    assert note["fields"]["Back"] == question_card.back_html


def test_cloze_questions_and_cloze_fronts_become_cloze_notes(course, tmp_path):
    collection = open_in_anki(tmp_path, export_key("anki-set").data)
    notes = anki_notes(collection)
    collection.close()

    question = notes[note_guid("anki-capitals-q1")]
    assert question["type"] == "Learnhall Cloze"
    assert question["cards"] == 2  # one per blank
    assert question["fields"]["Text"] == (
        "<p>Fill in the <em>capitals</em>.</p>\n"
        "<p>The capital of Vietnam is {{c1::Hanoi}} and that of Laos is {{c2::Vientiane}}.</p>\n"
    )
    assert question["fields"]["Back Extra"] == "<p>Hanoi and Vientiane.</p>\n"
    assert "paragraph 2" in question["fields"]["Citation"]

    flashcard = notes[note_guid("anki-capitals-f2")]
    assert flashcard["type"] == "Learnhall Cloze"
    assert flashcard["cards"] == 2
    assert flashcard["fields"]["Text"] == (
        "<p>The capital of Laos is {{c1::Vientiane}}, on the {{c2::Mekong}}.</p>\n"
    )
    assert flashcard["fields"]["Back Extra"] == Card.objects.get(key="anki-capitals-f2").back_html


def test_anki_renders_a_cloze_card_with_its_gap(course, tmp_path):
    collection = open_in_anki(tmp_path, export_key("anki-capitals").data)
    note = find_note(collection, "anki-capitals-q1")
    first, second = sorted(note.cards(), key=lambda card: card.ord)
    question, answer = first.question(), first.answer()
    collection.close()

    # Anki keeps the hidden answer in an attribute (for its type-in answers), not in the text.
    assert 'data-ordinal="1">[...]</span>' in question
    assert ">Hanoi<" not in question
    assert 'data-ordinal="2">Vientiane</span>' in question
    assert 'data-ordinal="1">Hanoi</span>' in answer
    assert second.ord == 1


def test_an_answer_with_anki_cloze_syntax_stays_one_deletion(db, tmp_path):
    lessons = tmp_path / "course" / "lessons"
    shutil.copytree(COURSE, tmp_path / "course")
    path = lessons / "01-capitals.yaml"
    path.write_text(path.read_text().replace("[[Vientiane]].", "[[Vientiane::city}} {{c9::x]]."))
    load_content([tmp_path / "course"])

    collection = open_in_anki(tmp_path, export_key("anki-capitals").data)
    note = anki_notes(collection)[note_guid("anki-capitals-q1")]
    collection.close()

    assert note["cards"] == 2
    assert (
        "{{c2::Vientiane&#58;&#58;city&#125;&#125; &#123;&#123;c9&#58;&#58;x}}"
        in (note["fields"]["Text"])
    )


def test_a_lesson_alone_is_one_deck_and_retired_cards_stay_out(course, tmp_path):
    path = course / "lessons" / "02-rivers.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  - key: anki-rivers-f2")])
    load_content([course])
    assert Card.objects.get(key="anki-rivers-f2").retired_at is not None

    export = export_lesson(Lesson.objects.get(key="anki-rivers"))
    collection = open_in_anki(tmp_path, export.data)
    notes = anki_notes(collection)
    collection.close()

    assert export.notes == 1
    assert list(notes) == [note_guid("anki-rivers-f1")]
    assert notes[note_guid("anki-rivers-f1")]["decks"] == {RIVERS_DECK}
    assert export.messages == []


def test_an_image_is_reported_not_exported(course):
    export = export_key("anki-rivers")

    assert export.messages == [
        "card anki-rivers-f2: its image is not exported (packages carry no media, and the app "
        "shows no images either)"
    ]
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        assert sorted(archive.namelist()) == ["collection.anki2", "media"]
        assert archive.read("media") == b"{}"


def test_ids_are_stable_across_exports(course):
    first = read_package_ids(export_key("anki-set").data)
    second = read_package_ids(export_key("anki-set").data)

    assert first == second
    assert first["models"] == {anki.BASIC_MODEL.model_id, anki.CLOZE_MODEL.model_id}
    assert first["decks"] == {
        anki.stable_id("deck", "anki-capitals"),
        anki.stable_id("deck", "anki-rivers"),
    }
    assert note_guid("anki-capitals-f1") in first["guids"]


def test_ids_do_not_change_between_versions_of_the_app():
    """Students' collections hold these: a change would make every note type, deck and note
    new on their next import (duplicates). Change NOTE_TYPE_VERSION only with the fields."""
    assert anki.BASIC_MODEL.model_id == 1478272921
    assert anki.CLOZE_MODEL.model_id == 1313866097
    assert anki.stable_id("deck", "anki-capitals") == 1451546493
    assert note_guid("anki-capitals-f1") == "nZ7K/lWamj"


def read_package_ids(data: bytes) -> dict:
    """The note type ids, deck ids and note GUIDs that a package's collection holds."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.sqlite"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            path.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(path)
        models, decks = connection.execute("SELECT models, decks FROM col").fetchone()
        guids = {row[0] for row in connection.execute("SELECT guid FROM notes")}
        connection.close()
    return {
        "models": {int(key) for key in json.loads(models)},
        "decks": {int(key) for key in json.loads(decks)} - {1},  # 1: Anki's "Default"
        "guids": guids,
    }


def test_a_later_export_updates_the_notes_in_anki_rather_than_adding_them(course, tmp_path):
    first = export_key("anki-set", timestamp=1_800_000_000)
    path = course / "lessons" / "01-capitals.yaml"
    path.write_text(path.read_text().replace("on the Red River", "on the Red River, in the north"))
    load_content([course])
    second = export_key("anki-set", timestamp=1_800_000_060)

    collection = open_in_anki(tmp_path, first.data)
    (card,) = find_note(collection, "anki-capitals-f1").cards()
    card.start_timer()
    collection.sched.answerCard(card, 3)  # the student reviews it: Good
    import_into(collection, second.data, tmp_path)
    notes = anki_notes(collection)
    note_count = collection.note_count()
    reviewed = collection.get_card(card.id)
    collection.close()

    assert len(notes) == note_count == 7
    assert notes[note_guid("anki-capitals-f1")]["fields"]["Back"] == (
        "<p><strong>Hanoi</strong>, on the Red River, in the north.</p>\n"
    )
    assert notes[note_guid("anki-capitals-f1")]["cards"] == 1
    assert reviewed.reps == 1  # the review is kept


def test_export_command_writes_the_package(course, tmp_path):
    out = tmp_path / "set.apkg"
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_anki", "anki-set", str(out), stdout=stdout, stderr=stderr)

    assert f"7 notes written to {out}." in stdout.getvalue()
    assert "card anki-rivers-f2: its image is not exported" in stderr.getvalue()
    flashcards, _ = read_apkg(out.read_bytes(), "set.apkg")
    assert len(flashcards) == 9  # two cloze notes of two deletions each


def test_export_command_refuses_an_unknown_key(course, tmp_path):
    with pytest.raises(CommandError, match="no active lesson or lesson set has the key 'nope'"):
        call_command("export_anki", "nope", str(tmp_path / "x.apkg"))
    assert not (tmp_path / "x.apkg").exists()


def test_the_bundled_course_exports_every_active_card(db, bundle, tmp_path):
    load_content([bundle])
    for lesson_set in LessonSet.objects.all():
        export = export_lesson_set(lesson_set)
        expected = Card.objects.active().filter(lesson__in=lesson_set.lessons.all()).count()
        collection = open_in_anki(tmp_path / lesson_set.key, export.data)
        assert collection.note_count() == expected == export.notes
        collection.close()
        flashcards, messages = read_apkg(export.data, f"{lesson_set.key}.apkg")
        assert len(flashcards) >= expected
        assert all("not imported" in message for message in messages)
        # Every Basic note reads back as Markdown that renders to its card's HTML.
        read = {card["key"]: card for card in flashcards}
        basic = Card.objects.active().filter(lesson__in=lesson_set.lessons.all())
        basic = basic.exclude(question__type="cloze")
        assert basic
        for card in basic:
            back = read["anki-" + anki_hash(note_guid(card.key))]
            assert same_html(render_markdown(back["front"]), card.front_html)
            assert same_html(render_markdown(back["back"]), card.back_html)
            assert same_html(render_markdown(back["hint"]), card.hint_html)


# Import: our own export read back -----------------------------------------------------------------


def test_our_export_read_back_gives_the_cards_sides(course):
    flashcards, messages = read_apkg(export_key("anki-set").data, "set.apkg")
    by_key = {card["key"]: card for card in flashcards}

    # Basic notes: the Markdown that markdownify makes of a card's HTML is not the author's
    # (`one_two` comes back as `one\\_two`, `*` lists as `-`), but it renders to the same HTML,
    # but for white space at the end of a paragraph (where the sanitiser removed an image).
    basic = Card.objects.active().filter(lesson__key__in=["anki-capitals", "anki-rivers"])
    basic = basic.exclude(key__in=["anki-capitals-q1", "anki-capitals-f2"])
    assert len(basic) == 5
    for card in basic:
        read = by_key["anki-" + anki_hash(note_guid(card.key))]
        assert same_html(render_markdown(read["front"]), card.front_html)
        assert same_html(render_markdown(read["back"]), card.back_html)
        assert same_html(render_markdown(read["hint"]), card.hint_html)
    assert by_key["anki-" + anki_hash(note_guid("anki-capitals-f3"))]["front"] == (
        "Which rivers meet at a < b & c {braces}?\n\n- one\\_two\n- three"
    )
    assert messages == [
        "set.apkg: note type 'Learnhall Basic': the field 'Citation' is not imported "
        "(a flashcard has a front, a back and a hint)",
        "set.apkg: note type 'Learnhall Cloze': the field 'Citation' is not imported "
        "(a flashcard has a front, a back and a hint)",
    ]
    assert len(flashcards) == 9
    for card in flashcards:
        FlashcardIn.model_validate(card)


def test_our_cloze_notes_read_back_as_a_flashcard_per_blank(course):
    flashcards, _ = read_apkg(export_key("anki-capitals").data, "capitals.apkg")
    cloze = sorted(
        (card for card in flashcards if card["key"].endswith(("-c1", "-c2"))),
        key=lambda card: card["key"],
    )
    fronts = {card["front"] for card in cloze}
    assert "The capital of Laos is [...], on the Mekong." in fronts
    assert "The capital of Laos is Vientiane, on the [...]." in fronts
    assert (
        "Fill in the *capitals*.\n\nThe capital of Vietnam is [...] and that of Laos is Vientiane."
        in fronts
    )
    backs = {card["back"] for card in cloze}
    assert (
        "Fill in the *capitals*.\n\nThe capital of Vietnam is **Hanoi** and that of Laos is "
        "Vientiane.\n\nHanoi and Vientiane." in backs
    )


def test_reading_is_stable(course):
    first, _ = read_apkg(export_key("anki-set").data, "a.apkg")
    second, _ = read_apkg(export_key("anki-set").data, "a.apkg")
    assert first == second


# Import: packages made elsewhere ------------------------------------------------------------------


def test_a_genanki_cloze_note_of_two_deletions():
    note = genanki.Note(
        genanki.CLOZE_MODEL,
        ["{{c1::Hanoi}} is the capital of {{c2::Vietnam::a country}}.", "In the north."],
        guid="cloze-guid",
    )
    flashcards, messages = read_apkg(genanki_package(note), "cloze.apkg")

    assert messages == []
    assert flashcards == [
        {
            "key": "anki-" + anki_hash("cloze-guid") + "-c1",
            "front": "[...] is the capital of Vietnam.",
            "back": "**Hanoi** is the capital of Vietnam.\n\nIn the north.",
            "hint": "",
        },
        {
            "key": "anki-" + anki_hash("cloze-guid") + "-c2",
            "front": "Hanoi is the capital of [a country].",
            "back": "Hanoi is the capital of **Vietnam**.\n\nIn the north.",
            "hint": "",
        },
    ]


def same_html(one: str, other: str) -> bool:
    return re.sub(r"\s+</p>", "</p>", one) == re.sub(r"\s+</p>", "</p>", other)


def anki_hash(guid: str) -> str:
    return hashlib.sha256(guid.encode()).hexdigest()[:16]


def test_a_genanki_basic_note_with_html():
    note = genanki.Note(
        genanki.BASIC_MODEL,
        ["<div>Capital of <b>Laos</b>?</div>", "Vientiane<br>on the Mekong &amp; more"],
        guid="basic-guid",
    )
    flashcards, messages = read_apkg(genanki_package(note), "basic.apkg")

    assert messages == []
    assert flashcards == [
        {
            "key": "anki-" + anki_hash("basic-guid"),
            "front": "Capital of **Laos**?",
            "back": "Vientiane  \non the Mekong & more",
            "hint": "",
        }
    ]


def test_nested_and_unclosed_deletions():
    note = genanki.Note(
        genanki.CLOZE_MODEL,
        ["{{c1::Hanoi is {{c2::north}}}} and {{c3::open", ""],
        guid="nested",
    )
    flashcards, messages = read_apkg(genanki_package(note), "nested.apkg")

    assert messages == []
    assert [(card["front"], card["back"]) for card in flashcards] == [
        ("[...] and {{c3::open", "**Hanoi is north** and {{c3::open"),
        ("Hanoi is [...] and {{c3::open", "Hanoi is **north** and {{c3::open"),
    ]


def test_notes_that_cannot_be_mapped_are_named_with_their_id():
    one_field = genanki.Model(
        anki.stable_id("test", "one-field"),
        "Just text",
        fields=[{"name": "Text"}],
        templates=[{"name": "Card 1", "qfmt": "{{Text}}", "afmt": "{{Text}}"}],
    )
    notes = [
        genanki.Note(one_field, ["Only a front"], guid="one"),
        genanki.Note(genanki.BASIC_MODEL, ['<img src="map.png"> Where?', "Here"], guid="img"),
        genanki.Note(genanki.BASIC_MODEL, ["Say it", "[sound:word.mp3]"], guid="sound"),
        genanki.Note(genanki.CLOZE_MODEL, ["No deletion here", ""], guid="nocloze"),
        genanki.Note(genanki.BASIC_MODEL, ["", "An empty front"], guid="empty"),
        genanki.Note(genanki.BASIC_MODEL, ["Fine", "Mapped"], guid="fine"),
    ]
    package = genanki_package(*notes)
    flashcards, messages = read_apkg(package, "mixed.apkg")

    assert [card["front"] for card in flashcards] == ["Fine"]
    ids = note_ids(package)
    assert len(messages) == 5
    expected = [
        "its note type 'Just text' has one field: a flashcard needs a front and a back",
        "it refers to media (<img…), which is not imported: flashcards carry text only",
        "it refers to media ([sound:…), which is not imported: flashcards carry text only",
        "its cloze note type has no cloze deletion ({{c1::...}}) in its text",
        "its front: String should have at least 1 character",
    ]
    for message, why in zip(messages, expected, strict=True):
        assert message.startswith("mixed.apkg: note ")
        note_id = int(message.split()[2].rstrip(":"))
        assert note_id in ids
        assert message.endswith(why)


def note_ids(data: bytes) -> set[int]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.sqlite"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            path.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(path)
        ids = {row[0] for row in connection.execute("SELECT id FROM notes")}
        connection.close()
    return ids


def anki_collection_with_notes(tmp_path: Path) -> Collection:
    (tmp_path / "made").mkdir()
    collection = Collection(str(tmp_path / "made" / "collection.anki2"))
    deck_id = collection.decks.id("Made in Anki")
    basic = collection.new_note(collection.models.by_name("Basic"))
    basic["Front"] = "Capital of <i>Vietnam</i>?"
    basic["Back"] = "Hanoi"
    collection.add_note(basic, deck_id)
    cloze = collection.new_note(collection.models.by_name("Cloze"))
    cloze["Text"] = "{{c1::Vientiane}} lies on the {{c2::Mekong}}."
    collection.add_note(cloze, deck_id)
    return collection


def test_a_package_exported_by_anki_for_older_versions(tmp_path):
    collection = anki_collection_with_notes(tmp_path)
    out = tmp_path / "legacy.apkg"
    collection.export_anki_package(
        out_path=str(out),
        options=ExportAnkiPackageOptions(legacy=True, with_media=False),
        limit=None,
    )
    collection.close()

    flashcards, messages = read_apkg(out.read_bytes(), "legacy.apkg")

    assert messages == []
    assert sorted((card["front"], card["back"]) for card in flashcards) == [
        ("Capital of *Vietnam*?", "Hanoi"),
        ("Vientiane lies on the [...].", "Vientiane lies on the **Mekong**."),
        ("[...] lies on the Mekong.", "**Vientiane** lies on the Mekong."),
    ]


def test_a_package_in_anki_s_current_format(tmp_path):
    collection = anki_collection_with_notes(tmp_path)
    out = tmp_path / "current.apkg"
    collection.export_anki_package(
        out_path=str(out),
        options=ExportAnkiPackageOptions(legacy=False, with_media=False),
        limit=None,
    )
    collection.close()
    with zipfile.ZipFile(out) as archive:
        assert "collection.anki21b" in archive.namelist()

    flashcards, messages = read_apkg(out.read_bytes(), "current.apkg")

    assert anki.zstd_available()  # zstandard is a dependency
    assert messages == []
    assert len(flashcards) == 3
    assert {card["back"] for card in flashcards} >= {"Hanoi", "**Vientiane** lies on the Mekong."}


def test_a_collection_in_anki_s_current_schema(tmp_path):
    """Anki's own collection file (schema 18: note types in their own tables, as a
    collection.anki21b holds once decompressed), packed under a legacy name."""
    collection = anki_collection_with_notes(tmp_path)
    collection.close()
    data = zip_bytes({"collection.anki21": (tmp_path / "made" / "collection.anki2").read_bytes()})

    flashcards, messages = read_apkg(data, "schema18.apkg")

    assert messages == []
    assert len(flashcards) == 3
    assert {card["back"] for card in flashcards} >= {"Hanoi", "**Vientiane** lies on the Mekong."}


def export_in(collection: Collection, tmp_path: Path, form: str) -> bytes:
    """The collection as Anki exports it for older versions, in its current format, or as
    its own collection file (schema 18) packed under a legacy name."""
    if form == "schema18":
        collection.close()
        return zip_bytes(
            {"collection.anki21": (tmp_path / "made" / "collection.anki2").read_bytes()}
        )
    out = tmp_path / f"{form}.apkg"
    collection.export_anki_package(
        out_path=str(out),
        options=ExportAnkiPackageOptions(legacy=form == "legacy", with_media=False),
        limit=None,
    )
    collection.close()
    return out.read_bytes()


@pytest.mark.parametrize("form", ["legacy", "current", "schema18"])
def test_reversed_cards_made_in_anki_are_flashcards_too(tmp_path, form):
    (tmp_path / "made").mkdir()
    collection = Collection(str(tmp_path / "made" / "collection.anki2"))
    deck_id = collection.decks.id("Made in Anki")
    notes = []
    for model, front, back, reverse in [
        ("Basic (and reversed card)", "Capital of Laos?", "Vientiane", None),
        ("Basic (optional reversed card)", "Treaty with Laos?", "1977", "y"),
        ("Basic (optional reversed card)", "Troops in Laos?", "40,000", ""),
    ]:
        note = collection.new_note(collection.models.by_name(model))
        note["Front"], note["Back"] = front, back
        if reverse is not None:
            note["Add Reverse"] = reverse
        collection.add_note(note, deck_id)
        notes.append(note)
    assert collection.card_count() == 5  # what Anki made: two, two and one
    guids = [note.guid for note in notes]

    flashcards, messages = read_apkg(export_in(collection, tmp_path, form), f"{form}.apkg")

    assert messages == []  # "Add Reverse" is used: it decides whether the card exists
    key = ["anki-" + anki_hash(guid) for guid in guids]
    assert sorted((card["key"], card["front"], card["back"]) for card in flashcards) == sorted(
        [
            (key[0], "Capital of Laos?", "Vientiane"),
            (f"{key[0]}-card2", "Vientiane", "Capital of Laos?"),
            (key[1], "Treaty with Laos?", "1977"),
            (f"{key[1]}-card2", "1977", "Treaty with Laos?"),
            (key[2], "Troops in Laos?", "40,000"),
        ]
    )


@pytest.mark.parametrize("form", ["legacy", "schema18"])
def test_cards_anki_shows_blank_are_left_out_and_a_repeated_card_is_read_once(tmp_path, form):
    """Anki keeps a card when the field its front shows is cleared, and shows it blank: such a
    card is no flashcard, and no error either."""
    (tmp_path / "made").mkdir()
    collection = Collection(str(tmp_path / "made" / "collection.anki2"))
    models = collection.models
    word = models.new("Word")
    for name in ("Word", "Meaning", "Example"):
        models.add_field(word, models.new_field(name))
    for name, front, back in [
        ("Recognise", "{{Word}}", "{{Meaning}}"),
        ("Type", "{{Word}}{{type:Meaning}}", "{{type:Meaning}}"),
        ("Example", "{{Example}}", "{{Word}}"),
        ("Meaning", "{{Meaning}}", "{{Example}}"),
    ]:
        template = models.new_template(name)
        template["qfmt"], template["afmt"] = front, "{{FrontSide}}<hr id=answer>" + back
        models.add_template(word, template)
    models.add_dict(word)
    deck_id = collection.decks.id("Made in Anki")
    note = collection.new_note(models.by_name("Word"))
    note["Word"], note["Meaning"], note["Example"] = "chat", "cat", "Le chat dort."
    collection.add_note(note, deck_id)
    optional = collection.new_note(models.by_name("Basic (optional reversed card)"))
    optional["Front"], optional["Back"], optional["Add Reverse"] = "Treaty?", "1977", "y"
    collection.add_note(optional, deck_id)
    note["Example"] = ""
    optional["Add Reverse"] = ""
    collection.update_notes([note, optional])
    assert collection.card_count() == 6  # Anki keeps every card it made
    notices: list[str] = []

    flashcards, messages = read_apkg(
        export_in(collection, tmp_path, form), "d.apkg", notices=notices
    )

    assert messages == []
    assert sorted((card["front"], card["back"]) for card in flashcards) == [
        ("Treaty?", "1977"),
        ("chat", "cat"),
    ]
    assert notices == [
        "d.apkg: note type 'Word': cards of 'Meaning' whose back is empty are not imported"
    ]


def test_a_card_type_that_is_not_one_field_a_side_is_said_and_the_first_card_kept():
    two_on_the_front = genanki.Model(
        anki.stable_id("test", "two-on-the-front"),
        "Country",
        fields=[{"name": "Country"}, {"name": "Capital"}, {"name": "River"}],
        templates=[
            {"name": "Capital", "qfmt": "{{Country}}", "afmt": "{{FrontSide}}<hr>{{Capital}}"},
            {
                "name": "Where",
                "qfmt": "{{Capital}} on the {{River}}",
                "afmt": "{{FrontSide}}<hr>{{Country}}",
            },
            {
                "name": "River",
                "qfmt": "{{hint:Capital}}{{type:Country}}",
                "afmt": "{{FrontSide}}<hr>{{River}}",
            },
        ],
    )
    note = genanki.Note(two_on_the_front, ["Laos", "Vientiane", "Mekong"], guid="laos")
    notices: list[str] = []

    flashcards, messages = read_apkg(genanki_package(note), "mixed.apkg", notices=notices)

    assert messages == []
    assert [(card["front"], card["back"]) for card in flashcards] == [("Laos", "Vientiane")]
    assert notices == [
        "mixed.apkg: note type 'Country': the field 'River' is not imported (a flashcard has a "
        "front, a back and a hint)",
        "mixed.apkg: note type 'Country': the cards of its card types 'River', 'Where' are not "
        "imported (a flashcard shows one field on its front and another on its back)",
    ]


def test_a_reversed_type_in_the_answer_card_and_its_hint():
    reversed_typed = genanki.Model(
        anki.stable_id("test", "reversed-typed"),
        "Typed both ways",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Clue"}],
        templates=[
            {"name": "Forward", "qfmt": "{{Front}}{{type:Back}}", "afmt": "{{type:Back}}"},
            {
                "name": "Reverse",
                "qfmt": "{{Back}}{{#Clue}}{{hint:Clue}}{{/Clue}}{{type:Front}}",
                "afmt": "{{Back}}<hr id=answer>{{type:Front}}",
            },
        ],
    )
    note = genanki.Note(reversed_typed, ["Hanoi", "Capital of Vietnam", "H…"], guid="typed")

    flashcards, messages = read_apkg(genanki_package(note), "typed.apkg")

    assert messages == []
    assert [(c["front"], c["back"], c["hint"]) for c in flashcards] == [
        ("Hanoi", "Capital of Vietnam", ""),
        ("Capital of Vietnam", "Hanoi", "H…"),
    ]


# Import: crafted files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 100, zip_bytes({"x": b"y"})[:-10]],
    ids=["empty", "text", "a-local-header-only", "truncated"],
)
def test_not_a_zip(data):
    assert read_apkg(data, "bad.apkg") == (
        [],
        ["bad.apkg: the file is not a valid .apkg (not a readable zip archive)"],
    )


def test_a_zip_without_a_collection():
    assert read_apkg(zip_bytes({"notes.txt": b"hello"}), "x.apkg") == (
        [],
        [
            "x.apkg: the package holds no Anki collection (collection.anki2, collection.anki21 "
            "or collection.anki21b): is it an .apkg?"
        ],
    )


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    zeros = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("collection.anki2", "w", force_zip64=True) as member,
    ):
        for _ in range(anki.MAX_COLLECTION_BYTES // len(zeros) + 1):
            member.write(zeros)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024

    flashcards, messages = read_apkg(data, "bomb.apkg")

    assert flashcards == []
    assert messages == ["bomb.apkg: its collection would unpack to 101 MB; at most 100 MB are read"]


def test_too_many_entries():
    data = zip_bytes({str(i): b"" for i in range(anki.MAX_ENTRIES + 1)})
    assert read_apkg(data, "many.apkg")[1] == [
        "many.apkg: the package has 10,001 entries; at most 10,000 are read"
    ]


@pytest.mark.parametrize(
    "name", ["../collection.anki2", "/etc/collection.anki2", "media/../../x", "C:/x", "..\\x"]
)
def test_path_traversal_names_are_refused(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = zip_bytes({name: b"x", "collection.anki2": b"y"})

    flashcards, messages = read_apkg(data, "evil.apkg")

    assert flashcards == []
    assert messages == [
        f"evil.apkg: the package has an entry named {name!r}, which points outside it"
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_collection_that_is_not_sqlite():
    data = zip_bytes({"collection.anki2": b"SQLite format 2\0" + b"junk" * 1000})
    assert read_apkg(data, "x.apkg") == (
        [],
        ["x.apkg: its collection is not an SQLite database"],
    )


def sqlite_package(tmp_path: Path, *statements: str, params=()) -> bytes:
    path = tmp_path / "crafted.sqlite"
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement, params if "?" in statement else ())
    connection.commit()
    connection.close()
    return zip_bytes({"collection.anki2": path.read_bytes()})


def test_a_collection_without_tables(tmp_path):
    data = sqlite_package(tmp_path, "CREATE TABLE other (x)")
    assert read_apkg(data, "x.apkg")[1] == [
        "x.apkg: its collection has no notes table: it is not an Anki collection"
    ]


def test_a_collection_without_note_types(tmp_path):
    data = sqlite_package(tmp_path, "CREATE TABLE notes (id, guid, mid, flds)")
    assert read_apkg(data, "x.apkg")[1] == [
        "x.apkg: its collection has no note types (no col table): it is not from Anki"
    ]


def test_a_view_is_not_a_notes_table(tmp_path):
    data = sqlite_package(
        tmp_path,
        "CREATE TABLE col (models)",
        "CREATE VIEW notes AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
        "SELECT n AS id, 'g' AS guid, 1 AS mid, 'a' AS flds FROM r",
    )
    assert read_apkg(data, "x.apkg")[1] == [
        "x.apkg: its collection has no notes table: it is not an Anki collection"
    ]


def test_a_package_with_no_notes(tmp_path):
    data = genanki_package()
    assert read_apkg(data, "empty.apkg") == ([], ["empty.apkg: the package holds no notes"])


def test_untrusted_values_in_the_notes_table(tmp_path):
    fields = [{"name": "F", "ord": 0}, {"name": "B", "ord": 1}]
    models = json.dumps({"7": {"name": "B", "type": 0, "flds": fields}})
    data = sqlite_package(
        tmp_path,
        "CREATE TABLE col (models)",
        "CREATE TABLE notes (id, guid, mid, flds)",
        f"INSERT INTO col VALUES ('{models}')",
        "INSERT INTO notes VALUES (1, 'ok', 7, 'front' || char(31) || 'back')",
        "INSERT INTO notes VALUES (2, 'bad-type', 99, 'a' || char(31) || 'b')",
        "INSERT INTO notes VALUES (3, NULL, 7, 'a' || char(31) || 'b')",
        "INSERT INTO notes VALUES (4, 'blob', 7, x'ff00' || x'1f' || x'ff')",
        "INSERT INTO notes VALUES (5, 'num', 7, 42)",
        "INSERT INTO notes VALUES (6, 'ok', 7, 'again' || char(31) || 'same guid')",
        "INSERT INTO notes VALUES (7, 'ctl', 7, 'bell' || char(7) || char(31) || 'b')",
        "INSERT INTO notes VALUES ('x', 'str-id', 7, 'a')",
    )
    flashcards, messages = read_apkg(data, "x.apkg")

    assert [card["front"] for card in flashcards] == ["front"]
    assert messages == [
        "x.apkg: note 2: its note type is missing from the package",
        "x.apkg: note 3: its GUID is missing or not text",
        "x.apkg: note 4: its fields are not valid UTF-8",
        "x.apkg: note 5: its fields are not text",
        "x.apkg: note 6: another note has the same GUID",
        "x.apkg: note 7: its front: Value error, control character U+0007 is not allowed",
        "x.apkg: a note: its note type 'B' has one field: a flashcard needs a front and a back",
    ]


def test_untrusted_values_in_the_cards_and_card_types(tmp_path):
    fields = [{"name": "F", "ord": 0}, {"name": "B", "ord": 1}]
    templates = [
        "not a card type",
        {"name": "no ord", "qfmt": "{{B}}", "afmt": "{{F}}"},
        {"name": "Back to front", "ord": 1, "qfmt": "{{B}}", "afmt": "{{F}}"},
        {"name": "Numbers", "ord": 2, "qfmt": 42, "afmt": None},
        {"name": "Braces", "ord": 3, "qfmt": "{{" * 1000 + "}}" * 1000, "afmt": "{{F}}"},
    ]
    models = json.dumps({"7": {"name": "T", "type": 0, "flds": fields, "tmpls": templates}})
    data = sqlite_package(
        tmp_path,
        "CREATE TABLE col (models)",
        "CREATE TABLE notes (id, guid, mid, flds)",
        "CREATE TABLE cards (nid, ord)",
        f"INSERT INTO col VALUES ('{models}')",
        "INSERT INTO notes VALUES (1, 'ok', 7, 'front' || char(31) || 'back')",
        "INSERT INTO cards VALUES (1, 0), (1, 1), (1, 1), (1, 2), (1, 3), (1, 9), (1, -1)",
        "INSERT INTO cards VALUES (1, 'x'), ('x', 1), (1, 1e300), (1, 99999999999999)",
    )
    notices: list[str] = []

    flashcards, messages = read_apkg(data, "x.apkg", notices=notices)

    assert [(card["front"], card["back"]) for card in flashcards] == [
        ("front", "back"),
        ("back", "front"),
    ]
    assert messages == []
    assert notices == [
        "x.apkg: note type 'T': the cards of its card types 'Braces', 'Card 10', 'Numbers' are "
        "not imported (a flashcard shows one field on its front and another on its back)"
    ]


def test_a_long_card_type_is_not_read_and_orphan_cards_crowd_out_none(tmp_path, monkeypatch):
    monkeypatch.setattr(anki, "MAX_NOTES", 3)
    fields = [{"name": "F", "ord": 0}, {"name": "B", "ord": 1}]
    long_front = "{{B}}" + "{{F}}" * anki.MAX_TEMPLATE_CHARS
    templates = [
        {"name": "Reverse", "ord": 1, "qfmt": "{{B}}", "afmt": "{{F}}"},
        {"name": "Long", "ord": 2, "qfmt": long_front, "afmt": "{{F}}"},
    ]
    models = json.dumps({"7": {"name": "T", "type": 0, "flds": fields, "tmpls": templates}})
    data = sqlite_package(
        tmp_path,
        "CREATE TABLE col (models)",
        "CREATE TABLE notes (id, guid, mid, flds)",
        "CREATE TABLE cards (nid, ord)",
        f"INSERT INTO col VALUES ('{models}')",
        *(
            f"INSERT INTO notes VALUES ({n}, 'g{n}', 7, 'f{n}' || char(31) || 'b{n}')"
            for n in (1, 2, 3)
        ),
        # Cards of no note, before the notes' own (MAX_NOTES * MAX_CARD_TYPES of them).
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
        "INSERT INTO cards SELECT -i, 1 FROM n",
        "INSERT INTO cards VALUES (1, 1), (1, 2), (2, 1), (3, 1)",
    )
    notices: list[str] = []

    flashcards, messages = read_apkg(data, "x.apkg", notices=notices)

    assert messages == []
    assert len(flashcards) == 6
    assert {card["front"] for card in flashcards} == {"f1", "b1", "f2", "b2", "f3", "b3"}
    assert notices == [
        "x.apkg: note type 'T': the cards of its card type 'Long' are not imported (a flashcard "
        "shows one field on its front and another on its back)"
    ]


def test_malformed_note_types(tmp_path):
    data = sqlite_package(
        tmp_path,
        "CREATE TABLE col (models)",
        "CREATE TABLE notes (id, guid, mid, flds)",
        "INSERT INTO col VALUES ('[[[[not an object')",
        "INSERT INTO notes VALUES (1, 'g', 7, 'a')",
    )
    assert read_apkg(data, "x.apkg")[1] == ["x.apkg: its collection's note types cannot be read"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_packages_never_raise(data):
    package = bytearray(GOOD_PACKAGE)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(package) - 1))
        package[position] = data.draw(st.integers(0, 255))
    flashcards, messages = read_apkg(bytes(package), "fuzz.apkg")
    assert all(message.startswith("fuzz.apkg: ") for message in messages)
    for card in flashcards:
        FlashcardIn.model_validate(card)


GOOD_PACKAGE = zip_bytes(
    {
        "collection.anki2": zipfile.ZipFile(
            io.BytesIO(
                genanki_package(
                    genanki.Note(genanki.BASIC_MODEL, ["F", "B"], guid="g1"),
                    genanki.Note(genanki.CLOZE_MODEL, ["{{c1::x}} y", ""], guid="g2"),
                )
            )
        ).read("collection.anki2")
    }
)


def test_deeply_nested_html_is_one_note_s_problem():
    notes = [
        genanki.Note(genanki.BASIC_MODEL, ["<b>" * 5000 + "deep", "back"], guid="deep"),
        genanki.Note(genanki.BASIC_MODEL, ["Fine", "Mapped"], guid="fine"),
    ]
    package = genanki_package(*notes)
    flashcards, messages = read_apkg(package, "deep.apkg")

    assert [card["front"] for card in flashcards] == ["Fine"]
    assert len(messages) == 1
    assert messages[0].endswith(": its HTML is nested too deeply to be read")
    assert int(messages[0].split()[2].rstrip(":")) in note_ids(package)


def test_a_package_with_too_much_text_is_read_up_to_the_limit():
    field = "a" * (anki.MAX_FIELD_CHARS - 10)
    count = anki.MAX_TOTAL_CHARS // anki.MAX_FIELD_CHARS + 2
    notes = [genanki.Note(genanki.BASIC_MODEL, [field, str(i)], guid=f"g{i}") for i in range(count)]
    flashcards, messages = read_apkg(genanki_package(*notes), "long.apkg")

    assert len(flashcards) == anki.MAX_TOTAL_CHARS // anki.MAX_FIELD_CHARS
    assert len(messages) == 1
    assert messages[0].endswith(
        "and those after it are not read: the package holds more than 2,000,000 characters of text"
    )


def test_an_empty_lesson_exports_empty_decks(course):
    path = course / "lessons" / "02-rivers.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("flashcards:")])
    load_content([course])

    export = export_key("anki-rivers")

    assert export.notes == 0
    assert export.messages == ["no active flashcards: the package holds empty decks"]
    assert read_apkg(export.data, "r.apkg") == ([], ["r.apkg: the package holds no notes"])


def test_deeply_nested_deletions_are_one_note_s_problem():
    notes = [
        genanki.Note(genanki.CLOZE_MODEL, ["{{c1::" * 10_000 + "x" + "}}" * 10_000, ""], guid="n"),
        genanki.Note(genanki.CLOZE_MODEL, ["{{c1::fine}}", ""], guid="fine"),
    ]
    flashcards, messages = read_apkg(genanki_package(*notes), "deep.apkg")

    assert [card["back"] for card in flashcards] == ["**fine**"]
    assert len(messages) == 1
    assert messages[0].endswith(": its cloze deletions nest too deeply to be read")


def test_note_type_ids_that_are_not_numbers(tmp_path):
    fields = [{"name": "F", "ord": 0}, {"name": "B", "ord": 1}]
    models = {
        "²": {"name": "Superscript", "type": 0, "flds": fields},
        "9" * 5000: {"name": "Long", "type": 0, "flds": fields},
        "8": ["not", "a", "note", "type"],
    }
    data = sqlite_package(
        tmp_path,
        "CREATE TABLE col (models)",
        "CREATE TABLE notes (id, guid, mid, flds)",
        "INSERT INTO col VALUES (?)",
        "INSERT INTO notes VALUES (1, 'g', 8, 'a' || char(31) || 'b')",
        params=(json.dumps(models),),
    )
    assert read_apkg(data, "x.apkg") == (
        [],
        ["x.apkg: note 1: its note type is missing from the package"],
    )


CLOZE_PIECES = st.sampled_from(["{{c1::", "{{c2::", "{{c0::", "}}", "::", "a", " ", "<b>", "</b>"])


@settings(max_examples=10, deadline=None)
@given(texts=st.lists(st.lists(CLOZE_PIECES, max_size=30), min_size=30, max_size=30))
def test_any_cloze_text_is_read_or_named(texts):
    """Thirty notes a package (a package takes a while to write)."""
    notes = [
        genanki.Note(genanki.CLOZE_MODEL, ["".join(text), "extra"], guid=f"fuzz{i}")
        for i, text in enumerate(texts)
    ]
    flashcards, messages = read_apkg(genanki_package(*notes), "fuzz.apkg")

    read = {card["key"].rsplit("-c", 1)[0] for card in flashcards}
    named = {message.split(":")[1] for message in messages}
    assert len(read) + len(named) == len(notes)
    for card in flashcards:
        FlashcardIn.model_validate(card)
        assert "[" in card["front"]
        assert card["back"].endswith("extra")


def test_two_deletions_of_one_number_are_one_flashcard():
    note = genanki.Note(
        genanki.CLOZE_MODEL, ["{{c1::Hanoi}} and {{c1::Vientiane}} are capitals.", ""], guid="same"
    )
    flashcards, messages = read_apkg(genanki_package(note), "same.apkg")

    assert messages == []
    assert [(card["front"], card["back"]) for card in flashcards] == [
        ("[...] and [...] are capitals.", "**Hanoi** and **Vientiane** are capitals.")
    ]


def test_only_so_many_notes_are_read(tmp_path):
    fields = [{"name": "F", "ord": 0}, {"name": "B", "ord": 1}]
    rows = [(i, f"g{i}", 7, f"front {i}\x1fback") for i in range(1, anki.MAX_NOTES + 2)]
    path = tmp_path / "many.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE col (models)")
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, guid, mid, flds)")
    connection.execute("INSERT INTO col VALUES (?)", (json.dumps({"7": {"flds": fields}}),))
    connection.executemany("INSERT INTO notes VALUES (?, ?, ?, ?)", rows)
    connection.commit()
    connection.close()

    flashcards, messages = read_apkg(zip_bytes({"collection.anki2": path.read_bytes()}), "m.apkg")

    assert len(flashcards) == anki.MAX_NOTES
    assert flashcards[-1]["front"] == f"front {anki.MAX_NOTES}"
    assert messages == ["m.apkg: only the first 10,000 notes are read"]


def test_export_queries_do_not_grow_with_the_cards(course, bundle, assert_queries):
    # The lesson set's items with their lessons, its course, the cards with their questions and
    # versions, the cards' citations, the citations' sources.
    small = LessonSet.objects.get(key="anki-set")
    with assert_queries(5):
        small_export = export_lesson_set(small)
    load_content([bundle])
    large = LessonSet.objects.get(key="alliance-politics-record")
    with assert_queries(5):
        large_export = export_lesson_set(large)
    assert small_export.notes < large_export.notes
