"""The YAML export: a course out of the database reloads with no changes (content/export.py)."""

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from content.export import (
    ExportError,
    authored_fields,
    course_files,
    export_course,
    export_course_zip,
    lesson_document,
    lesson_yaml,
)
from content.loader import load_content
from content.models import Lesson
from content.reading import FORBIDDEN_CHARACTER, Located
from courses.models import Course
from quizzes.grading import WHOLE
from quizzes.models import Question, QuestionVersion
from quizzes.regrade import response_accept
from tests.factories import AuthorFactory

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "export" / "course"
EVERYTHING = "lessons/01-everything.yaml"


def fixture_files() -> dict[str, str]:
    return {
        str(path.relative_to(FIXTURE)): path.read_text(encoding="utf-8")
        for path in sorted(FIXTURE.rglob("*"))
        if path.is_file()
    }


def reload(folder: Path, capsys) -> str:
    """Load `folder` with the command; what it printed."""
    capsys.readouterr()
    call_command("load_content", str(folder))
    return capsys.readouterr().out


def counts() -> tuple[int, int]:
    return Question.objects.count(), QuestionVersion.objects.count()


# The round trip ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bundled_course_reloads_from_its_export_with_no_changes(bundle, tmp_path, capsys):
    load_content([bundle])
    before = counts()
    call_command("export_content", "alliance-politics", str(tmp_path / "out"))

    assert sorted(p.name for p in (tmp_path / "out" / "lessons").iterdir()) == sorted(
        p.name for p in (bundle / "lessons").iterdir()
    )
    assert "No changes." in reload(tmp_path / "out", capsys)
    assert load_content([tmp_path / "out"]).changes == []
    assert counts() == before
    # Loaded from its export, the course exports the same files again.
    course = Course.objects.get(key="alliance-politics")
    assert course_files(course) == {
        str(p.relative_to(tmp_path / "out")): p.read_text(encoding="utf-8")
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    }


@pytest.mark.django_db
def test_the_bundled_course_reloads_from_its_zip_with_no_changes(bundle, tmp_path, capsys):
    load_content([bundle])
    course = Course.objects.get(key="alliance-politics")
    first, second = io.BytesIO(), io.BytesIO()
    export_course_zip(course, first)
    export_course_zip(course, second)
    assert first.getvalue() == second.getvalue()  # the same course, the same bytes

    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    assert "alliance-politics/course.yaml" in names
    assert all(name.startswith("alliance-politics/") for name in names)
    assert "No changes." in reload(tmp_path / "alliance-politics", capsys)


@pytest.mark.django_db
def test_the_command_writes_a_zip_that_reloads(bundle, tmp_path, capsys):
    load_content([bundle])
    call_command("export_content", "alliance-politics", str(tmp_path / "course.zip"))
    with zipfile.ZipFile(tmp_path / "course.zip") as archive:
        archive.extractall(tmp_path / "unzipped")
    assert "No changes." in reload(tmp_path / "unzipped" / "alliance-politics", capsys)


@pytest.mark.django_db
def test_the_export_of_a_course_with_every_field_is_its_files():
    """Every field of the fixture comes back where its author wrote it, but for two
    `also_accept` lists: stored among the accepted answers, they come back as answers."""
    load_content([FIXTURE])
    expected = fixture_files()
    lesson = expected[EVERYTHING]
    for old, new in [
        ("the capital]\n", "the capital, Thang Long]\n"),
        ("    also_accept: [Thang Long]\n", ""),
        ("[[40,000|40000]] troops.\n", "[[40,000|40000|forty thousand]] troops.\n"),
        ("    also_accept:\n      2: [forty thousand]\n", ""),
    ]:
        assert lesson.count(old) == 1
        lesson = lesson.replace(old, new)
    expected[EVERYTHING] = lesson

    assert course_files(Course.objects.get(key="export-course")) == expected


@pytest.mark.django_db
def test_a_course_with_every_field_reloads_from_its_export_with_no_changes(tmp_path, capsys):
    load_content([FIXTURE])
    before = counts()
    export_course(Course.objects.get(key="export-course"), tmp_path / "out")
    assert "No changes." in reload(tmp_path / "out", capsys)
    assert counts() == before


@pytest.mark.django_db
def test_retired_questions_and_flashcards_are_left_out(tmp_path, capsys):
    shutil.copytree(FIXTURE, tmp_path / "course")
    lesson_file = tmp_path / "course" / EVERYTHING
    text = lesson_file.read_text(encoding="utf-8")
    ordering = text.index("  - key: export-ordering")
    text = text[:ordering] + text[text.index("  - key: export-cloze\n") :]
    text = text[: text.index("  - key: export-f2")].rstrip() + "\n"
    lesson_file.write_text(text, encoding="utf-8")
    load_content([FIXTURE])
    load_content([tmp_path / "course"])
    assert Question.objects.get(key="export-ordering").retired_at is not None

    files = course_files(Course.objects.get(key="export-course"))
    assert "export-ordering" not in files[EVERYTHING]
    assert "export-f2" not in files[EVERYTHING]
    export_course(Course.objects.get(key="export-course"), tmp_path / "out")
    assert "No changes." in reload(tmp_path / "out", capsys)


@pytest.mark.django_db
def test_responses_accepted_in_the_browser_are_written_as_also_accept(tmp_path, capsys):
    load_content([FIXTURE])
    author = AuthorFactory()
    for key, blank, text in [
        ("export-short", WHOLE, "Hanoi City"),
        ("export-numeric", WHOLE, "the signing year"),
        ("export-cloze", 0, "nineteen-seventy-seven"),
        ("export-cloze", 1, "forty k"),
    ]:
        version = Question.objects.get(key=key).current_version
        accepted = response_accept(
            version=version, blank=blank, text=text, by=author, now=timezone.now()
        )
        assert accepted.accepted is not None
    before = counts()

    doc = lesson_document(Lesson.objects.get(key="export-everything"))
    questions = {q["key"]: q for q in doc["questions"]}
    assert questions["export-short"]["answers"] == ["Hà Nội", "Hanoi", "the capital", "Thang Long"]
    assert questions["export-short"]["also_accept"] == ["Hanoi City"]
    assert questions["export-numeric"]["also_accept"] == [
        "the year of the treaty",
        "the signing year",
    ]
    assert questions["export-cloze"]["text"] == (
        "The treaty was signed in [[1977]] with [[40,000|40000|forty thousand]] troops."
    )
    assert questions["export-cloze"]["also_accept"] == {
        1: ["nineteen-seventy-seven"],
        2: ["forty k"],
    }

    export_course(Course.objects.get(key="export-course"), tmp_path / "out")
    output = reload(tmp_path / "out", capsys)
    assert "No changes." in output
    assert "warning" not in output  # the files say everything the database accepts
    assert counts() == before


@pytest.mark.django_db
def test_a_lesson_document_is_the_lesson_file_and_takes_more_questions(tmp_path, capsys):
    load_content([FIXTURE])
    doc = lesson_document(Lesson.objects.get(key="export-plain"))
    assert lesson_yaml(doc) == (FIXTURE / "lessons" / "02-plain.yaml").read_text()

    doc["questions"].append(
        {
            "key": "export-plain-added",
            "type": "true_false",
            "prompt": "Added?",
            "answer": True,
            "explanation": "Added by a merge.",
        }
    )
    shutil.copytree(FIXTURE, tmp_path / "course")
    (tmp_path / "course" / "lessons" / "02-plain.yaml").write_text(lesson_yaml(doc))
    output = reload(tmp_path / "course", capsys)
    assert "created question export-plain-added" in output
    assert "1 changes." in output


@pytest.mark.django_db
def test_the_export_refuses_a_folder_that_is_not_empty(tmp_path):
    load_content([FIXTURE])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old-lesson.yaml").write_text("lesson: {}\n")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("export_content", "export-course", str(tmp_path / "out"))
    with pytest.raises(ExportError):
        export_course(Course.objects.get(key="export-course"), tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old-lesson.yaml"]


@pytest.mark.django_db
def test_the_command_names_an_unknown_course(tmp_path):
    with pytest.raises(CommandError, match="no course with the key 'nope'"):
        call_command("export_content", "nope", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


# Weights and feedback (issue 12's stored form) --------------------------------------------------


def test_a_single_choice_gives_its_weights_and_feedback_back():
    fields = authored_fields(
        "single_choice",
        {"choices": ["A", "B", "C"]},
        {"choice": 1, "weights": [0.5, 1.0, 0.0]},
        feedback={"choices": {"0": "Half right.", "2": "No."}},
    )
    assert fields == {
        "choices": [
            {"text": "A", "feedback": "Half right.", "weight": 0.5},
            "B",
            {"text": "C", "feedback": "No."},
        ],
        "answer": "B",
    }


def test_weights_that_are_all_the_default_are_still_written():
    fields = authored_fields(
        "single_choice", {"choices": ["A", "B"]}, {"choice": 0, "weights": [1, 0]}
    )
    assert fields == {"choices": ["A", {"text": "B", "weight": 0}], "answer": "A"}
    fields = authored_fields("short_answer", {}, {"accepted": ["x", "y"], "weights": [1.0, 1.0]})
    assert fields["answers"] == [{"text": "x", "weight": 1}, {"text": "y", "weight": 1}]


def test_a_multiple_response_gives_every_right_choice_its_weight():
    fields = authored_fields(
        "multiple_response",
        {"choices": ["A", "B", "C", "D"]},
        {"choices": [0, 2], "weights": [0.5, -0.5, 0.5, 0.0]},
    )
    assert fields == {
        "choices": [
            {"text": "A", "weight": 0.5},
            {"text": "B", "weight": -0.5},
            {"text": "C", "weight": 0.5},
            "D",
        ],
        "answers": ["A", "C"],
    }


def test_true_false_feedback_is_written_under_true_and_false():
    fields = authored_fields(
        "true_false", {}, {"value": False}, feedback={"true": "It is not.", "false": "Right."}
    )
    assert fields == {"answer": False, "feedback": {True: "It is not.", False: "Right."}}
    text = lesson_yaml({"questions": [{"key": "q", "type": "true_false", **fields}]})
    assert "      true: It is not.\n      false: Right.\n" in text
    assert yaml.safe_load(text)["questions"][0]["feedback"] == {True: "It is not.", False: "Right."}


def test_a_short_answer_gives_its_weights_feedback_and_later_answers_back():
    fields = authored_fields(
        "short_answer",
        {},
        {
            "accepted": ["Hanoi", "Saigon", "Ha Noi city", "Thang Long"],
            "weights": [1.0, 0.0, 0.5],
            "typos": True,
        },
        feedback={"answers": {"1": "That is the south."}},
    )
    assert fields == {
        "answers": [
            "Hanoi",
            {"text": "Saigon", "weight": 0, "feedback": "That is the south."},
            {"text": "Ha Noi city", "weight": 0.5},
        ],
        "typos": True,
        "also_accept": ["Thang Long"],
    }


def test_a_numeric_question_gives_its_alternatives_and_feedback_back():
    fields = authored_fields(
        "numeric",
        {"unit": "AD"},
        {
            "value": 1977.0,
            "tolerance": 0,
            "alternatives": [
                {"value": 1978.0, "tolerance": 0.5, "weight": 0.5},
                {"value": 1900, "tolerance": 0, "weight": 0.0},
            ],
            "texts": ["the treaty's year"],
        },
        feedback={"answer": "Right.", "alternatives": {"0": "Close."}, "other": "No."},
    )
    assert fields == {
        "answer": 1977,
        "tolerance": 0,
        "unit": "AD",
        "feedback": "Right.",
        "alternatives": [
            {"answer": 1978, "tolerance": 0.5, "weight": 0.5, "feedback": "Close."},
            {"answer": 1900, "weight": 0},
        ],
        "other_feedback": "No.",
        "also_accept": ["the treaty's year"],
    }


def test_a_cloze_alternative_that_the_text_cannot_hold_goes_to_also_accept():
    fields = authored_fields(
        "cloze",
        {"texts": ["In ", "."]},
        {"blanks": [["1977", "ninety|seven", "x]"]]},
    )
    assert fields == {"text": "In [[1977]].", "also_accept": {1: ["ninety|seven", "x]"]}}


# YAML ---------------------------------------------------------------------------------------------

TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"), min_size=1
).filter(lambda t: t.strip() == t and not FORBIDDEN_CHARACTER.search(t))
# Lines of what YAML reads specially: indicators, quotes, and the spaces and line breaks
# that Python and YAML count differently (a no-break space, U+2028).
LINES = (
    st.lists(
        st.text(st.sampled_from(" \t-#:|>'\"[]{}ab0\u2028\u00a0\ufeff"), max_size=8),
        min_size=1,
        max_size=5,
    )
    .map("\n".join)
    .filter(lambda t: t and t.strip() == t and not FORBIDDEN_CHARACTER.search(t))
)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(TEXT, LINES), title=TEXT)
@example(body="0\n\u00a0\n0", title="0")  # a line that Python strips to nothing, YAML not
def test_any_text_is_read_back_as_it_was_written(body, title):
    doc = {
        "lesson": {"key": "k", "title": title, "sections": [{"title": title, "body": body}]},
        "questions": [{"key": "q", "choices": [title, body]}],
    }
    read = Located("lesson.yaml", lesson_yaml(doc))
    assert read.errors == []
    assert read.data == doc


@pytest.mark.django_db
def test_a_lesson_of_the_courses_sets_loaded_on_its_own_is_exported_with_it(tmp_path, capsys):
    shutil.copytree(FIXTURE, tmp_path / "course")
    (tmp_path / "alone").mkdir()
    shutil.move(tmp_path / "course" / "lessons" / "02-plain.yaml", tmp_path / "alone")
    load_content([tmp_path / "alone"])
    load_content([tmp_path / "course"])
    assert Lesson.objects.get(key="export-plain").course_key == ""

    export_course(Course.objects.get(key="export-course"), tmp_path / "out")
    assert (tmp_path / "out" / "lessons" / "02-plain.yaml").is_file()
    output = reload(tmp_path / "out", capsys)
    assert "updated lesson export-plain" in output  # now the course's folder holds it
    assert "1 changes." in output
    assert "No changes." in reload(tmp_path / "out", capsys)


@pytest.mark.django_db
def test_the_export_reads_the_same_number_of_queries_for_any_course(bundle, assert_queries):
    """Lessons, sections, key terms, citations, questions (their versions and cards), their
    citations, flashcards, their citations, the lessons' quizzes, accepted responses; the
    course's lesson sets, their lessons, their quizzes."""
    load_content([FIXTURE])
    load_content([bundle])
    for key in ("export-course", "alliance-politics"):
        course = Course.objects.get(key=key)
        with assert_queries(13):
            course_files(course)


WEIGHTED = FIXTURE.parent / "weighted-course"


@pytest.mark.django_db
def test_weights_and_feedback_reload_from_the_export_with_no_changes(tmp_path, capsys):
    load_content([WEIGHTED])
    before = counts()
    export_course(Course.objects.get(key="export-weighted"), tmp_path / "out")
    assert "No changes." in reload(tmp_path / "out", capsys)
    assert counts() == before

    # Every weight and every feedback comes back where it was written, but for defaults: a
    # weight of 0 on a choice that is not the answer and an alternative's tolerance of 0 are
    # left out, and a numeric question's tolerance is always written.
    name = "lessons/01-weighted.yaml"
    written = yaml.safe_load((WEIGHTED / name).read_text(encoding="utf-8"))
    questions = {question["key"]: question for question in written["questions"]}
    assert questions["export-weighted-single"]["choices"][3] == {"text": "D", "weight": 0}
    questions["export-weighted-single"]["choices"][3] = "D"
    assert questions["export-weighted-numeric"]["alternatives"][2].pop("tolerance") == 0
    assert "tolerance" not in questions["export-weighted-numeric2"]
    questions["export-weighted-numeric2"]["tolerance"] = 0
    assert yaml.safe_load((tmp_path / "out" / name).read_text(encoding="utf-8")) == written
