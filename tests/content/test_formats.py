"""GIFT, Moodle XML and Anki files into and out of a lesson, through the one import service
(content.formats, content.imports): the bundled course round-trips through each, a bank from
elsewhere adds and changes questions with versions, and the errors name file and line."""

import genanki
import pytest
from django.core.management import call_command

from content import anki, formats
from content.imports import Upload, import_apply, import_preview
from content.loader import load_content
from content.models import Lesson
from quizzes.models import Card, Question, QuestionVersion
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory

BANK = """\
// Questions a teacher brings from Moodle
$CATEGORY: $course$/top/Alliances

::three-nos-count::How many "Nos" are in Vietnam's defence policy? {#3}

::ally-word::Which word names a formal military pact?{
  =alliance#Yes: a formal pact.
  ~partnership#No: looser than a pact.
  ~%50%entente#Close: an entente is informal.
}
"""


def preview(name: str, data: bytes, lesson: str = ""):
    return import_preview(Upload(name, data, lesson))


@pytest.fixture
def course(db, bundle):
    load_content([bundle])


def lessons() -> list[Lesson]:
    return list(Lesson.objects.active().order_by("key"))


# The bundled course round-trips ---------------------------------------------------------------


@pytest.mark.django_db
def test_every_lesson_round_trips_through_gift_moodle_xml_and_anki(course):
    """import(export(lesson)) changes nothing, in each format, for every lesson of the course:
    the file's category names the lesson, and what a format has no place for is kept."""
    checked = 0
    for lesson in lessons():
        gift_text, _ = formats.lesson_gift(lesson)
        xml, messages = formats.lesson_xml(lesson)
        package = anki.export_lesson(lesson).data
        assert messages == [], lesson.key  # Moodle XML holds every type and field
        for name, data in (
            (f"{lesson.key}.gift", gift_text.encode()),
            (f"{lesson.key}.xml", xml),
            (f"{lesson.key}.apkg", package),
        ):
            chosen = lesson.key if name.endswith(".apkg") else ""  # a deck names no lesson
            result = preview(name, data, chosen)
            assert result.errors == [], name
            assert (result.changes, result.versions) == ([], []), name
            checked += 1
    assert checked == 3 * len(lessons()) >= 3


# A bank from elsewhere -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_gift_bank_adds_questions_then_reimports_with_no_change_then_a_new_key_is_a_version(
    course,
):
    lesson = lessons()[0]
    before = Question.objects.filter(lesson=lesson).count()
    loaded_from = lesson.source_file

    shown = preview("bank.gift", BANK.encode(), lesson.key)
    applied = import_apply(
        Upload("bank.gift", BANK.encode(), lesson.key), fingerprint=shown.fingerprint
    )

    assert shown.errors == [] and applied.changes == shown.changes
    assert Question.objects.filter(lesson=lesson).count() == before + 2
    ally = Question.objects.get(key="ally-word")
    version = ally.current_version
    assert version.type == "single_choice"
    assert version.answer_key["weights"] == [1.0, 0.0, 0.5]  # the entente's partial credit
    assert version.feedback["choices"]["1"] == "No: looser than a pact."
    assert preview("bank.gift", BANK.encode(), lesson.key).changes == []  # idempotent
    lesson.refresh_from_db()
    assert lesson.source_file == loaded_from  # still the file the lesson was loaded from

    changed = BANK.replace("{#3}", "{#4}")
    again = preview("bank.gift", changed.encode(), lesson.key)
    import_apply(Upload("bank.gift", changed.encode(), lesson.key), fingerprint=again.fingerprint)
    numbers = QuestionVersion.objects.filter(question__key="three-nos-count").values_list(
        "number", flat=True
    )
    assert sorted(numbers) == [1, 2]


@pytest.mark.django_db
def test_a_question_the_lesson_has_keeps_what_gift_has_no_place_for(course):
    """Citations, level and the flashcard flag are kept when GIFT replaces a question's text."""
    question = (
        Question.objects.filter(type="single_choice", citations__isnull=False)
        .order_by("key")
        .first()
    )
    lesson = question.lesson
    cited = set(question.citations.values_list("pk", flat=True))
    gift_text, _ = formats.lesson_gift(lesson)
    edited = gift_text.replace(f"::{question.key}::", f"::{question.key}::[markdown]Reworded: ", 1)
    assert edited != gift_text

    shown = preview(f"{lesson.key}.gift", edited.encode())
    import_apply(Upload(f"{lesson.key}.gift", edited.encode()), fingerprint=shown.fingerprint)

    question.refresh_from_db()
    assert shown.errors == [] and len(shown.versions) == 1
    assert question.current_version.prompt.startswith("Reworded: ")
    assert set(question.citations.values_list("pk", flat=True)) == cited
    assert question.retired_at is None


@pytest.mark.django_db
def test_errors_name_the_file_and_line_and_nothing_is_written(course):
    lesson = lessons()[0]
    broken = BANK + "\n::essay::Discuss alliances. {}\n\n::bad::Pick {=a =b ~c}\n"
    count = Question.objects.count()

    result = preview("bank.gift", broken.encode(), lesson.key)

    assert result.changes == []
    assert any(e.startswith("bank.gift:12: ") and "essay" in e for e in result.errors)
    assert any(e.startswith("bank.gift:14: ") for e in result.errors)
    assert Question.objects.count() == count


@pytest.mark.django_db
def test_a_file_that_names_no_lesson_asks_for_one(course):
    result = preview("bank.gift", BANK.encode())
    assert result.errors == [
        "bank.gift: choose the lesson to import into (the file's categories name no one lesson "
        "of this site)"
    ]
    assert preview("bank.gift", BANK.encode(), "no-such-lesson").errors == [
        "bank.gift: there is no lesson 'no-such-lesson'"
    ]
    assert preview("bank.gift", b"\xff\xfe::q::", lessons()[0].key).errors == [
        "bank.gift:1: the file is not UTF-8 text"
    ]


@pytest.mark.django_db
def test_a_deck_from_elsewhere_adds_its_notes_as_flashcards(course, tmp_path):
    lesson = lessons()[0]
    model = genanki.Model(
        1607392319,
        "Simple",
        fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": "{{Answer}}"}],
    )
    deck = genanki.Deck(2059400110, "Vietnam")
    deck.add_note(genanki.Note(model=model, fields=["Capital of <b>Laos</b>?", "Vientiane"]))
    path = tmp_path / "deck.apkg"
    genanki.Package(deck).write_to_file(path)
    data = path.read_bytes()
    cards = Card.objects.filter(lesson=lesson).count()

    shown = preview("deck.apkg", data, lesson.key)
    import_apply(Upload("deck.apkg", data, lesson.key), fingerprint=shown.fingerprint)

    assert shown.errors == [] and len(shown.changes) == 1
    added = Card.objects.get(lesson=lesson, key__startswith="anki-")
    assert Card.objects.filter(lesson=lesson).count() == cards + 1
    assert (added.front, added.back) == ("Capital of **Laos**?", "Vientiane")
    assert preview("deck.apkg", data, lesson.key).changes == []


@pytest.mark.django_db
def test_the_command_line_imports_and_exports_the_same_way(course, tmp_path, capsys):
    lesson = lessons()[0]
    out = tmp_path / "bank.xml"
    call_command("export_questions", lesson.key, str(out))
    call_command("load_content", str(out))
    assert "No changes." in capsys.readouterr().out
    (tmp_path / "bank.gift").write_text(BANK)
    call_command("load_content", str(tmp_path / "bank.gift"), "--lesson", lesson.key)
    assert Question.objects.filter(key="ally-word", lesson=lesson).exists()


# Downloads -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["gift", "moodle-xml", "anki", "yaml"])
def test_authors_download_a_lesson_in_each_format_and_others_get_404(client, course, format):
    lesson = lessons()[0]
    url = f"/author/lessons/{lesson.key}/export/{format}/"
    for user in (StudentFactory(), TeacherFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(AuthorFactory())

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="{lesson.key}.')
    assert response["X-Content-Type-Options"] == "nosniff"
    name = response["Content-Disposition"].split('"')[1]
    result = preview(name, response.content, lesson.key)
    assert (result.errors, result.changes) == ([], [])
    assert client.get(f"/author/lessons/{lesson.key}/export/pdf/").status_code == 404
    assert client.get(f"/author/lessons/no-such/export/{format}/").status_code == 404


@pytest.mark.django_db
def test_authors_download_the_course_as_a_zip_that_imports_with_no_change(client, course):
    from courses.models import Course

    key = Course.objects.get().key
    client.force_login(StudentFactory())
    assert client.get(f"/author/courses/{key}/export.zip").status_code == 404
    client.force_login(AuthorFactory())

    response = client.get(f"/author/courses/{key}/export.zip")

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    result = preview(f"{key}.zip", response.content)
    assert (result.errors, result.changes) == ([], [])


@pytest.mark.django_db
def test_a_key_of_another_lesson_is_refused_by_name_not_by_a_line_of_a_file_never_seen(course):
    """Keys are the site's: a bank for one lesson cannot take (or move) another's question."""
    other = Question.objects.exclude(lesson=lessons()[0]).order_by("key").first()
    bank = f"::{other.key}::Taken?{{T}}\n".encode()

    result = preview("bank.gift", bank, lessons()[0].key)

    assert result.errors == [
        f"bank.gift: the key {other.key!r} belongs to a question or card of lesson "
        f"{other.lesson.key!r}: give this one another title (its key)"
    ]
    other.refresh_from_db()
    assert other.lesson.key != lessons()[0].key


CLOZE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz><question type="cloze"><name><text>zz1</text></name>
<questiontext format="html"><text>Fill {1:SHORTANSWER:=abc} here</text></questiontext>
<learnhall><text>EXTENSION</text></learnhall></question></quiz>
"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extension",
    ['{"also_accept": {"\\u00b2": ["x"]}}', '{"also_accept": {"' + "9" * 5000 + '": ["x"]}}',
     "[" * 100_000],
)  # fmt: skip
def test_a_crafted_learnhall_element_is_an_error_not_a_crash(course, extension):
    """Found by a reviewer attacking the import: each of these raised out of the preview."""
    data = CLOZE_XML.replace("EXTENSION", extension).encode()
    result = preview("crafted.xml", data, lessons()[0].key)
    assert result.errors and all(e.startswith("crafted.xml:") for e in result.errors)
    assert result.changes == []


SHORT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz><question type="shortanswer"><name><text>att-case</text></name>
<questiontext format="markdown"><text>Name the capital of Laos.</text></questiontext>
<usecase>USECASE</usecase>
<answer fraction="100"><text>Vientiane</text></answer></question></quiz>
"""


@pytest.mark.django_db
def test_moodle_xml_can_switch_case_sensitivity_off_again(course):
    """Moodle XML has a place for case (usecase): its absence is "no", not "keep"; GIFT has
    none, so a GIFT import keeps it."""
    lesson = lessons()[0].key
    on = SHORT_XML.replace("USECASE", "1").encode()
    import_apply(Upload("q.xml", on, lesson), fingerprint=preview("q.xml", on, lesson).fingerprint)
    assert Question.objects.get(key="att-case").current_version.answer_key["case_sensitive"]
    gift_text = b"::att-case::Name the capital of Laos.{=Vientiane}\n"
    assert preview("q.gift", gift_text, lesson).changes == []  # GIFT keeps it

    off = SHORT_XML.replace("USECASE", "0").encode()
    result = preview("q.xml", off, lesson)
    import_apply(Upload("q.xml", off, lesson), fingerprint=result.fingerprint)

    assert len(result.versions) == 1
    key = Question.objects.get(key="att-case").current_version.answer_key
    assert not key.get("case_sensitive")
