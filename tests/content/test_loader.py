"""The loader: every kind of bad file, idempotent reloads, retiring, and versioning."""

import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from content.loader import ContentError, load_content
from content.models import Citation, Lesson, Source
from courses.models import Course, LessonSet
from quizzes.models import Answer, Card, MemoryState, Question, QuestionVersion
from tests.factories import AttemptFactory, StudentFactory

SOURCE = "A title\n\nThe first paragraph says that alliances need shared ideology.\n" \
    "The second paragraph mentions 1977 and Laos.\n"  # fmt: skip

COURSE = """\
course:
  key: mini
  title: Mini course
sources:
  - slug: mini-source
    title: A mini source
    file: sources/mini.txt
lesson_sets:
  - key: mini-set
    title: The set
    lessons: [mini-lesson]
"""

LESSON = """\
lesson:
  key: mini-lesson
  title: A mini lesson
  citations:
    ideology:
      source: mini-source
      paragraph: 2
      quote: alliances need shared ideology
  sections:
    - title: One
      body: Alliances need ideology.[^ideology]
questions:
  - key: mini-q1
    type: single_choice
    prompt: What do alliances need?
    choices: [Shared ideology, Shared borders]
    answer: Shared ideology
    explanation: Ideology.[^ideology]
    cite: [ideology]
    flashcard: true
  - key: mini-q2
    type: numeric
    prompt: Which year?
    answer: 1977
    explanation: The second paragraph.
flashcards:
  - key: mini-f1
    front: Front
    back: Back
    cite: [ideology]
"""


def write_course(root: Path, lesson: str = LESSON, course: str = COURSE) -> Path:
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "lessons").mkdir(exist_ok=True)
    (root / "sources" / "mini.txt").write_text(SOURCE)
    (root / "course.yaml").write_text(course)
    (root / "lessons" / "01-mini.yaml").write_text(lesson)
    return root


def errors_of(*paths: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(list(paths))
    return info.value.errors


def nothing_written() -> bool:
    return not (
        Lesson.objects.exists()
        or Question.objects.exists()
        or Card.objects.exists()
        or Course.objects.exists()
        or Source.objects.exists()
    )


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_course(tmp_path / "mini")


# Valid content ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_course_loads_and_a_second_load_changes_nothing(course_dir):
    first = load_content([course_dir])
    assert "created lesson mini-lesson" in first.changes
    assert Question.objects.count() == 2
    assert Card.objects.count() == 2  # the flashcard, and mini-q1 studied as a flashcard
    assert list(LessonSet.objects.get(key="mini-set").lessons.values_list("key", flat=True)) == [
        "mini-lesson"
    ]

    second = load_content([course_dir])

    assert second.changes == []
    assert QuestionVersion.objects.count() == 2


@pytest.mark.django_db
def test_the_bundled_course_loads_from_empty_and_reloads_with_no_changes(bundle):
    assert nothing_written()
    first = load_content([bundle])
    assert first.changes
    lesson = Lesson.objects.get(key="three-nos")
    assert lesson.questions.count() >= 8
    assert {q.type for q in lesson.questions.all()} == {
        "single_choice", "multiple_response", "true_false", "short_answer", "numeric",
        "matching", "ordering", "cloze",
    }  # fmt: skip
    assert lesson.cards.filter(question__isnull=True).count() >= 3

    assert load_content([bundle]).changes == []


@pytest.mark.django_db
def test_the_command_reports_no_changes_on_a_second_load(course_dir, capsys):
    call_command("load_content", str(course_dir))
    call_command("load_content", str(course_dir))
    assert "No changes." in capsys.readouterr().out


@pytest.mark.django_db
def test_dry_run_reports_what_would_change_and_writes_nothing(course_dir, capsys):
    call_command("load_content", str(course_dir), "--dry-run")
    out = capsys.readouterr().out
    assert "would have: created lesson mini-lesson" in out
    assert nothing_written()


# Bad files: every problem at once, as file:line, and nothing written ----------------------------


def lesson_with(old: str, new: str) -> str:
    assert old in LESSON
    return LESSON.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.django_db
def test_bad_yaml_is_reported_with_its_line(course_dir):
    broken = lesson_with("    prompt: Which year?", "    prompt: [Which year?")
    (course_dir / "lessons" / "01-mini.yaml").write_text(broken)

    errors = errors_of(course_dir)

    assert len(errors) == 1
    assert errors[0].startswith("mini/lessons/01-mini.yaml:")
    assert "invalid YAML" in errors[0]
    assert nothing_written()


@pytest.mark.django_db
def test_unknown_field_missing_field_and_wrong_type_are_all_reported(course_dir):
    text = lesson_with("    answer: 1977\n", "    answr: 1977\n")
    text = text.replace("    prompt: What do alliances need?\n", "", 1)
    text = text.replace("  title: A mini lesson", "  title: [not, text]")
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)

    errors = errors_of(course_dir)

    path = "mini/lessons/01-mini.yaml"
    assert f"{path}:{line_of(text, 'answr:')}: questions[1]: unknown field 'answr'" in errors
    assert (
        f"{path}:{line_of(text, 'key: mini-q2')}: questions[1]: missing required field 'answer'"
        in errors
    )
    q1 = line_of(text, "key: mini-q1")
    assert f"{path}:{q1}: questions[0]: missing required field 'prompt'" in errors
    assert (
        f"{path}:{line_of(text, 'title: [not')}: lesson.title: input should be a valid string"
        in errors
    )
    assert nothing_written()


@pytest.mark.django_db
def test_a_missing_key_is_reported(course_dir):
    text = lesson_with("  - key: mini-q2\n    type: numeric\n", "  - type: numeric\n")
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)

    errors = errors_of(course_dir)

    assert errors == [
        f"mini/lessons/01-mini.yaml:{line_of(text, 'type: numeric')}: "
        "questions[1]: missing required field 'key'"
    ]


@pytest.mark.django_db
def test_duplicate_keys_within_and_across_files_are_reported(course_dir):
    text = lesson_with("key: mini-q2", "key: mini-q1")
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)
    other = (
        LESSON.replace("mini-lesson", "other-lesson")
        .replace("mini-q", "other-q")
        .replace("key: other-q2", "key: mini-f1")
        .replace("mini-f1", "other-f1", 1)
    )
    other = other.replace("  - key: other-f1\n    front", "  - key: other-f1\n    front", 1)
    (course_dir / "lessons" / "02-other.yaml").write_text(other)

    errors = errors_of(course_dir)

    first = f"mini/lessons/01-mini.yaml:{line_of(text, 'key: mini-q1')}"
    second_line = [i for i, line in enumerate(text.splitlines(), 1) if "key: mini-q1" in line][1]
    assert (
        f"mini/lessons/01-mini.yaml:{second_line}: question or flashcard key 'mini-q1' "
        f"is already used at {first}"
    ) in errors
    assert any("02-other.yaml" in e and "'mini-f1' is already used" in e for e in errors)
    assert nothing_written()


@pytest.mark.django_db
def test_a_field_given_twice_in_one_mapping_is_reported(course_dir):
    text = lesson_with("    prompt: Which year?\n", "    prompt: Which year?\n    prompt: When?\n")
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)

    errors = errors_of(course_dir)

    assert errors == [
        f"mini/lessons/01-mini.yaml:{line_of(text, 'prompt: When?')}: duplicate field 'prompt' "
        f"(first at line {line_of(text, 'prompt: Which year?')})"
    ]


@pytest.mark.django_db
def test_a_quotation_that_is_not_in_its_paragraph_is_an_error(course_dir):
    text = lesson_with("quote: alliances need shared ideology", "quote: alliances need trust")
    text = text.replace("paragraph: 2", "paragraph: 2", 1)
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)

    errors = errors_of(course_dir)

    assert errors == [
        f"mini/lessons/01-mini.yaml:{line_of(text, 'quote: alliances need trust')}: "
        "citation 'ideology': the quotation does not stand in paragraph 2 of mini-source"
    ]


@pytest.mark.django_db
def test_a_quotation_from_another_paragraph_is_an_error(course_dir):
    (course_dir / "lessons" / "01-mini.yaml").write_text(
        lesson_with("paragraph: 2", "paragraph: 3")
    )
    assert "does not stand in paragraph 3" in errors_of(course_dir)[0]


@pytest.mark.django_db
def test_unknown_references_are_reported(course_dir):
    text = lesson_with("    cite: [ideology]\n    flashcard", "    cite: [ideolgy]\n    flashcard")
    text = text.replace("body: Alliances need ideology.[^ideology]", "body: Text.[^nope]")
    text = text.replace("source: mini-source", "source: missing-source")
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)
    (course_dir / "course.yaml").write_text(COURSE.replace("[mini-lesson]", "[mini-lesson, ghost]"))

    errors = errors_of(course_dir)

    assert any("questions" not in e and "unknown source 'missing-source'" in e for e in errors)
    assert any(e.endswith("unknown citation 'ideolgy'") for e in errors)
    assert any(e.endswith("footnote [^nope] names no citation") for e in errors)
    assert any(e.startswith("mini/course.yaml:") and "unknown lesson 'ghost'" in e for e in errors)
    assert nothing_written()


@pytest.mark.django_db
def test_type_specific_rules_are_checked(course_dir):
    text = lesson_with("    answer: Shared ideology", "    answer: Shared interests")
    text = text.replace("type: numeric", "type: essay")
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)

    errors = errors_of(course_dir)

    assert (
        f"mini/lessons/01-mini.yaml:{line_of(text, 'answer: Shared interests')}: "
        "questions[0].answer: the answer 'Shared interests' is not one of the choices"
    ) in errors
    assert any("unknown question type 'essay'" in e for e in errors)


@pytest.mark.django_db
def test_errors_in_several_files_are_reported_together(course_dir, tmp_path):
    (course_dir / "lessons" / "01-mini.yaml").write_text(lesson_with("answer: 1977", "answer: x"))
    lone = tmp_path / "lone.yaml"
    lone.write_text("lesson:\n  key: Not A Key\n  title: Lone\n")

    errors = errors_of(course_dir, lone)

    assert any(e.startswith("mini/lessons/01-mini.yaml:") for e in errors)
    assert (
        "lone.yaml:2: lesson.key: a key may hold only lowercase letters, digits and hyphens"
        in errors
    )


@pytest.mark.django_db
def test_the_command_lists_errors_and_exits_non_zero_on_dry_run(course_dir, capsys):
    (course_dir / "lessons" / "01-mini.yaml").write_text(lesson_with("answer: 1977", "answr: 1"))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_content", str(course_dir), "--dry-run")
    err = capsys.readouterr().err
    assert "mini/lessons/01-mini.yaml:" in err and "unknown field 'answr'" in err
    assert nothing_written()


@pytest.mark.django_db
def test_an_invalid_file_leaves_earlier_content_untouched(course_dir):
    load_content([course_dir])
    before = list(Question.objects.values_list("key", "current_version__answer_key"))
    (course_dir / "lessons" / "01-mini.yaml").write_text(
        lesson_with("answer: Shared ideology", "answer: Shared borders").replace(
            "answer: 1977", "answer: [1977]"
        )
    )

    errors_of(course_dir)

    assert list(Question.objects.values_list("key", "current_version__answer_key")) == before


# History is never lost ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_removed_question_is_retired_with_its_history_and_can_come_back(course_dir):
    load_content([course_dir])
    student = StudentFactory()
    question = Question.objects.get(key="mini-q1")
    answer = Answer.objects.create(
        attempt=AttemptFactory(student=student),
        version=question.current_version,
        position=0,
        response={"choice": 0},
        score=1,
        correct=True,
        answered_at=question.created_at,
    )
    card = Card.objects.get(key="mini-q1")
    MemoryState.objects.create(
        student=student, card=card, state=2, due_at=question.created_at, stability=2, difficulty=5
    )
    without = (
        LESSON[: LESSON.index("  - key: mini-q1")] + LESSON[LESSON.index("  - key: mini-q2") :]
    )
    (course_dir / "lessons" / "01-mini.yaml").write_text(without)

    report = load_content([course_dir])

    assert "retired question mini-q1" in report.changes
    question.refresh_from_db()
    card.refresh_from_db()
    assert question.retired_at is not None and card.retired_at is not None
    assert Answer.objects.filter(pk=answer.pk, version__question=question).exists()
    assert MemoryState.objects.filter(student=student, card=card).exists()
    assert not Question.objects.active().filter(key="mini-q1").exists()

    (course_dir / "lessons" / "01-mini.yaml").write_text(LESSON)
    assert "restored question mini-q1" in load_content([course_dir]).changes
    question.refresh_from_db()
    assert question.retired_at is None
    assert question.current_version_id == answer.version_id


@pytest.mark.django_db
def test_a_new_correct_answer_makes_a_new_version_and_past_answers_keep_theirs(course_dir):
    load_content([course_dir])
    question = Question.objects.get(key="mini-q1")
    v1 = question.current_version
    answer = Answer.objects.create(
        attempt=AttemptFactory(),
        version=v1,
        position=0,
        response={"choice": 0},
        score=1,
        correct=True,
        answered_at=question.created_at,
    )
    (course_dir / "lessons" / "01-mini.yaml").write_text(
        lesson_with("    answer: Shared ideology", "    answer: Shared borders")
    )

    report = load_content([course_dir])

    assert "question mini-q1: new version 2 (its meaning changed)" in report.changes
    question.refresh_from_db()
    assert question.current_version.number == 2
    assert question.current_version.answer_key == {"choice": 1}
    answer.refresh_from_db()
    assert answer.version == v1
    assert answer.version.answer_key == {"choice": 0}
    assert load_content([course_dir]).changes == []


@pytest.mark.django_db
def test_an_explanation_edit_updates_in_place_without_a_new_version(course_dir):
    load_content([course_dir])
    (course_dir / "lessons" / "01-mini.yaml").write_text(
        lesson_with("explanation: Ideology.[^ideology]", "explanation: Better.[^ideology]")
    )

    report = load_content([course_dir])

    assert report.changes == ["updated question mini-q1"]
    question = Question.objects.get(key="mini-q1")
    assert question.versions.count() == 1
    assert question.current_version.explanation == "Better.[^ideology]"


@pytest.mark.django_db
def test_a_lesson_whose_file_is_gone_is_retired(course_dir):
    load_content([course_dir])
    second = LESSON.replace("mini-lesson", "second-lesson").replace("mini-q", "second-q")
    second = second.replace("mini-f1", "second-f1")
    (course_dir / "lessons" / "02-second.yaml").write_text(second)
    load_content([course_dir])
    (course_dir / "lessons" / "02-second.yaml").unlink()

    report = load_content([course_dir])

    assert any(change.startswith("retired lesson second-lesson") for change in report.changes)
    assert Lesson.objects.get(key="second-lesson").retired_at is not None
    assert not Question.objects.active().filter(lesson__key="second-lesson").exists()


@pytest.mark.django_db
def test_a_question_keyed_in_another_stored_lesson_is_refused(course_dir, tmp_path):
    load_content([course_dir])
    thief = tmp_path / "thief.yaml"
    thief.write_text(
        textwrap.dedent("""\
        lesson:
          key: thief
          title: Thief
        questions:
          - key: mini-q1
            type: true_false
            prompt: Stolen?
            answer: true
            explanation: Yes.
        """)
    )

    errors = errors_of(thief)

    assert errors == ["thief.yaml:5: key 'mini-q1' already belongs to lesson 'mini-lesson'"]


@pytest.mark.django_db
def test_citations_are_stored_with_their_position(course_dir):
    load_content([course_dir])
    citation = Citation.objects.get(ref="ideology")
    assert (citation.source.slug, citation.paragraph, citation.position) == ("mini-source", 2, 0)
    assert list(Question.objects.get(key="mini-q1").citations.all()) == [citation]


@pytest.mark.django_db
def test_a_lesson_moved_to_another_file_and_retitled_remembers_its_new_file(course_dir):
    load_content([course_dir])
    (course_dir / "lessons" / "01-mini.yaml").rename(course_dir / "lessons" / "02-moved.yaml")
    moved = course_dir / "lessons" / "02-moved.yaml"
    moved.write_text(moved.read_text().replace("title: A mini lesson", "title: A moved lesson"))

    load_content([course_dir])

    lesson = Lesson.objects.get(key="mini-lesson")
    assert lesson.title == "A moved lesson"
    assert lesson.source_file.endswith("lessons/02-moved.yaml")


@pytest.mark.django_db
def test_a_copied_course_cannot_take_over_the_lessons_and_sets_of_the_one_it_copies(
    course_dir, tmp_path
):
    """Found by a reviewer attacking the import: a course folder copied under a new course key
    moved the original's lesson sets and lessons into the copy, and its students lost them."""
    load_content([course_dir])
    copy = write_course(tmp_path / "copy", course=COURSE.replace("key: mini\n", "key: mini-copy\n"))

    with pytest.raises(ContentError) as refused:
        load_content([copy])

    assert refused.value.errors == [
        f"{copy.relative_to(tmp_path).as_posix()}/course.yaml:9: lesson set 'mini-set' belongs "
        "to course 'mini': give this course's sets keys of their own",
        f"{copy.relative_to(tmp_path).as_posix()}/lessons/01-mini.yaml:2: lesson 'mini-lesson' "
        "belongs to course 'mini': give this course's lessons keys of their own",
    ]
    assert LessonSet.objects.get(key="mini-set").course.key == "mini"
    load_content([course_dir])  # the course itself loads again as it is
