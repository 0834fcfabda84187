"""Files that would crash or stall the loader, or that the database would refuse, are refused
cleanly: every problem a `file:line: message`, reported with the others, nothing written.

Each case is also a test that the dry run catches what the real write would fail on: SQLite stores
an over-long title or a NUL, PostgreSQL does not; the loader refuses both on both.
"""

import math
import os
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection

from content.loader import load_content
from content.models import Citation, KeyTerm, Lesson, Section, Source
from courses.models import Course, LessonSet, LessonSetItem
from quizzes.models import Card, Question, QuestionVersion, Quiz
from tests.content.test_loader import (
    COURSE,
    LESSON,
    SOURCE,
    errors_of,
    lesson_with,
    line_of,
    nothing_written,
    write_course,
)

LESSON_PATH = "mini/lessons/01-mini.yaml"
MB = 1024 * 1024


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_course(tmp_path / "mini")


def write_lesson(course_dir: Path, text: str) -> str:
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)
    return text


# YAML that would explode, recurse or fail to convert ---------------------------------------------


@pytest.mark.django_db
def test_anchors_and_aliases_are_refused(course_dir):
    text = lesson_with("  title: A mini lesson", "  title: &title A mini lesson")
    text = write_lesson(course_dir, text.replace("prompt: Which year?", "prompt: *title"))

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, '&title')}: "
        "anchors (&name) and aliases (*name) are not allowed"
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_a_billion_laughs_is_refused_at_its_first_anchor(course_dir):
    lines = ["a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    write_lesson(course_dir, "\n".join(lines) + "\n")

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:1: anchors (&name) and aliases (*name) are not allowed"
    ]


@pytest.mark.django_db
def test_a_merge_key_is_refused(course_dir):
    text = write_lesson(
        course_dir,
        lesson_with("  title: A mini lesson\n", "  title: A mini lesson\n  <<: {summary: Hi}\n"),
    )

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, '<<:')}: merge keys (<<) are not allowed"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "nesting",
    [
        pytest.param(" " + "[" * 100_000, id="flow-lists"),
        pytest.param(" " + "{a: " * 100_000, id="flow-mappings"),
        pytest.param("\n    " + "- " * 100_000 + "x", id="block-lists"),
    ],
)
def test_deep_nesting_is_refused(course_dir, nesting):
    text = write_lesson(
        course_dir,
        lesson_with("  title: A mini lesson\n", f"  title: A mini lesson\n  summary:{nesting}\n"),
    )
    line = line_of(text, "summary:") + nesting.count("\n")

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line}: values may be nested at most 20 levels deep"
    ]


@pytest.mark.django_db
def test_a_file_of_too_many_values_is_refused(course_dir):
    text = write_lesson(
        course_dir,
        lesson_with(
            "  title: A mini lesson\n",
            "  title: A mini lesson\n  summary: [" + "1, " * 20_000 + "]\n",
        ),
    )

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, 'summary:')}: a file may hold at most 20,000 values"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("0x_", "invalid literal for int() with base 16"),
        ("0b_", "invalid literal for int() with base 2"),
        ("2021-13-45", "month must be in 1..12"),
        ("1" * 5000, "Exceeds the limit (4300 digits) for integer string conversion"),
    ],
)
def test_a_value_that_yaml_cannot_convert_is_an_error(course_dir, written, problem):
    text = write_lesson(course_dir, lesson_with("    answer: 1977", f"    answer: {written}"))

    errors = errors_of(course_dir)

    assert len(errors) == 1
    assert errors[0].startswith(
        f"{LESSON_PATH}:{line_of(text, written[:10])}: invalid YAML: cannot read this value: "
        f"{problem}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("!!timestamp x", "timestamp"),
        ("!!bool maybe", "bool"),
        ("!!timestamp 2021-13-", "timestamp"),
    ],
)
def test_a_tag_that_does_not_fit_its_value_is_an_error(course_dir, written, kind):
    text = write_lesson(course_dir, lesson_with("    answer: 1977", f"    answer: {written}"))

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, written)}: invalid YAML: cannot read this value as a {kind}"
    ]


@pytest.mark.django_db
def test_a_key_that_is_a_list_is_refused(course_dir):
    text = write_lesson(course_dir, lesson_with("  title: A mini lesson\n", "  ? [a, b]\n  : c\n"))

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, '? [a')}: a key must be plain text, not a list or mapping"
    ]


# Size -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_over_two_megabytes_is_refused_before_it_is_parsed(course_dir):
    text = write_lesson(course_dir, LESSON + "# " + "x" * (2 * MB) + "\n")

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:1: the file has {len(text.encode()):,} bytes; the limit is 2 MB"
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_a_source_file_over_two_megabytes_is_refused(course_dir):
    (course_dir / "sources" / "mini.txt").write_text(SOURCE + "x\n" * MB)

    errors = errors_of(course_dir)

    size = len(SOURCE) + 2 * MB
    assert (
        f"mini/course.yaml:{line_of(COURSE, 'file: sources/mini.txt')}: source file "
        f"'sources/mini.txt' has {size:,} bytes; the limit is 2 MB"
    ) in errors


@pytest.mark.django_db
def test_a_load_past_twenty_megabytes_in_all_is_refused(course_dir):
    # Each file is under the limit for one file; none is parsed far (a NUL is not YAML).
    big = "\0" + "x" * (2 * MB - 100)
    for i in range(11):
        (course_dir / "lessons" / f"big-{i:02}.yaml").write_text(big)
    small = ["course.yaml", "sources/mini.txt", "lessons/01-mini.yaml"]
    read = sum(len((course_dir / name).read_bytes()) for name in small)
    crossing = next(i for i in range(11) if read + (i + 1) * len(big) > 20 * MB)

    errors = errors_of(course_dir)

    assert [e for e in errors if "20 MB" in e] == [
        f"mini/lessons/big-{crossing:02}.yaml:1: the file takes the load past the 20 MB it may "
        "read in total; load fewer files at a time"
    ]
    assert not any(f"big-{crossing + 1:02}" in e for e in errors)  # not read at all


@pytest.mark.django_db
def test_more_files_than_one_load_may_read_are_refused(course_dir):
    for i in range(500):
        (course_dir / "lessons" / f"x-{i:03}.yaml").write_text("")

    assert errors_of(course_dir) == [
        "502 files to load; one load may read at most 500: load fewer at a time"
    ]


@pytest.mark.django_db
def test_a_list_longer_than_its_stored_positions_allow_is_refused(course_dir):
    sections = "".join(f"    - {{title: S{i}, body: B}}\n" for i in range(1001))
    text = write_lesson(course_dir, lesson_with("  sections:\n", "  sections:\n" + sections))

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, 'sections:')}: "
        "lesson.sections: list should have at most 1000 items after validation, not 1002"
    ]


@pytest.mark.django_db
def test_a_source_paragraph_too_long_to_search_is_refused(course_dir):
    (course_dir / "sources" / "mini.txt").write_text(SOURCE + "x" * 20_001 + "\n")

    assert errors_of(course_dir) == [
        f"mini/sources/mini.txt:{len(SOURCE.splitlines()) + 1}: a paragraph (a line) may hold "
        "at most 20,000 characters; this one has 20,001"
    ]


# Numbers ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("written", [".inf", "-.Inf", ".nan", "1.0e+999"])
def test_nan_and_infinity_are_refused_wherever_a_number_is_read(course_dir, written):
    text = write_lesson(
        course_dir,
        lesson_with("    answer: 1977\n", f"    answer: {written}\n    tolerance: .NaN\n"),
    )
    course = COURSE.replace(
        "  title: Mini course\n", "  title: Mini course\n  desired_retention: .nan\n"
    )
    (course_dir / "course.yaml").write_text(course)

    assert sorted(errors_of(course_dir)) == sorted(
        [
            "mini/course.yaml:4: course.desired_retention: input should be a finite number",
            f"{LESSON_PATH}:{line_of(text, 'answer: ' + written)}: "
            "questions[1].answer: input should be a finite number",
            f"{LESSON_PATH}:{line_of(text, 'tolerance:')}: "
            "questions[1].tolerance: input should be a finite number",
        ]
    )
    assert nothing_written()


def test_every_integer_limit_of_the_schema_fits_its_column():
    from annotated_types import Ge, Le
    from django.db.backends.base.operations import BaseDatabaseOperations

    from content.schema import CitationIn, CourseIn, QuizIn, SourceIn

    pairs = [
        (CourseIn, "new_cards_per_day", Course, "new_cards_per_day"),
        (CourseIn, "reviews_per_day", Course, "reviews_per_day"),
        (SourceIn, "year", Source, "year"),
        (QuizIn, "question_count", Quiz, "question_count"),
        (QuizIn, "attempts_allowed", Quiz, "attempts_allowed"),
        (QuizIn, "time_limit_minutes", Quiz, "time_limit_minutes"),
        (CitationIn, "paragraph", Citation, "paragraph"),
    ]
    for schema, name, model, column in pairs:
        field = model._meta.get_field(column)
        low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
        metadata = schema.model_fields[name].metadata
        assert next(m.le for m in metadata if isinstance(m, Le)) <= high, (schema, name)
        assert next(m.ge for m in metadata if isinstance(m, Ge)) >= low, (schema, name)


# Queries ----------------------------------------------------------------------------------------

# SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32 (Debian builds raise it to 250,000).
SQLITE_MAX_VARIABLES = 32_766


def bind_at_most(limit: int):
    """An execute wrapper that refuses any query binding more than `limit` parameters."""

    def wrapper(execute, sql, params, many, context):
        for row in params if many else [params]:
            if row is not None and len(row) > limit:
                raise OverflowError(f"a query binds {len(row)} parameters; SQLite allows {limit}")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db
def test_lesson_sets_may_name_more_lessons_than_one_query_may_bind(tmp_path):
    folders = []
    for name in ["a", "b"]:
        sets = "".join(
            f"  - key: {name}-set-{s}\n    title: S\n    lessons: ["
            + ", ".join(f"{name}-{s}-{i}" for i in range(1000))
            + "]\n"
            for s in range(17)
        )
        folder = tmp_path / name
        (folder / "lessons").mkdir(parents=True)
        (folder / "course.yaml").write_text(
            f"course:\n  key: {name}\n  title: C\nlesson_sets:\n{sets}"
        )
        folders.append(folder)

    with connection.execute_wrapper(bind_at_most(SQLITE_MAX_VARIABLES)):
        errors = errors_of(*folders)

    assert len(errors) == 34_000
    assert all("unknown lesson" in e for e in errors)


# Text: the columns' lengths, and no character a database refuses --------------------------------

TEMPLATE_COURSE = """\
course:
  key: {course_key}
  title: {course_title}
sources:
  - slug: {source_slug}
    title: {source_title}
    author: {source_author}
    file: sources/mini.txt
lesson_sets:
  - key: {set_key}
    title: {set_title}
    lessons: [{lesson_key}]
    quiz:
      title: {set_quiz_title}
"""

TEMPLATE_LESSON = """\
lesson:
  key: {lesson_key}
  title: {lesson_title}
  citations:
    {ref}:
      source: {source_slug}
      paragraph: 2
      quote: alliances need shared ideology
  sections:
    - title: {section_title}
      body: Alliances need ideology.[^{ref}]
  key_terms:
    - term: {term}
      definition: A promise.
  quiz:
    title: {quiz_title}
questions:
  - key: {question_key}
    type: true_false
    prompt: Alliances need ideology.
    answer: true
    explanation: They do.
    cite: [{ref}]
    flashcard: true
flashcards:
  - key: {card_key}
    front: Front
    back: Back
"""

# placeholder: (letter it is written with, column it is stored in, what the loader adds to it)
COLUMNS = {
    "course_key": ("c", Course, "key", ""),
    "course_title": ("T", Course, "title", ""),
    "source_slug": ("s", Source, "slug", ""),
    "source_title": ("T", Source, "title", ""),
    "source_author": ("A", Source, "author", ""),
    "set_key": ("e", LessonSet, "key", "set-"),  # also a quiz key, set-<key>
    "set_title": ("T", LessonSet, "title", ""),
    "set_quiz_title": ("T", Quiz, "title", ""),
    "lesson_key": ("l", Lesson, "key", "lesson-"),  # also a quiz key, lesson-<key>
    "lesson_title": ("T", Lesson, "title", ""),
    "ref": ("r", Citation, "ref", ""),
    "section_title": ("T", Section, "title", ""),
    "term": ("T", KeyTerm, "term", ""),
    "quiz_title": ("T", Quiz, "title", ""),
    "question_key": ("q", Question, "key", ""),
    "card_key": ("f", Card, "key", ""),
}


def longest(name: str) -> int:
    """The longest value the placeholder's column (and a quiz key made from it) can store."""
    _, model, column, prefix = COLUMNS[name]
    limit = model._meta.get_field(column).max_length
    if prefix:
        limit = min(limit, Quiz._meta.get_field("key").max_length - len(prefix))
    return limit


def write_template(root: Path, **lengths: int) -> tuple[str, str]:
    values = {
        name: letter * lengths.get(name, longest(name)) for name, (letter, *_) in COLUMNS.items()
    }
    course = TEMPLATE_COURSE.format(**values)
    lesson = TEMPLATE_LESSON.format(**values)
    write_course(root, lesson=lesson, course=course)
    return course, lesson


@pytest.mark.django_db
def test_every_text_as_long_as_its_column_allows_is_stored(course_dir):
    write_template(course_dir)

    load_content([course_dir])

    quiz_keys = set(Quiz.objects.values_list("key", flat=True))
    assert quiz_keys == {"set-" + "e" * longest("set_key"), "lesson-" + "l" * longest("lesson_key")}
    assert Course.objects.get().title == "T" * longest("course_title")
    assert KeyTerm.objects.get().term == "T" * longest("term")
    assert Card.objects.filter(question__isnull=False).get().key == "q" * longest("question_key")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(COLUMNS))
def test_a_text_longer_than_its_column_is_refused_by_the_dry_run(course_dir, capsys, name):
    course, lesson = write_template(course_dir, **{name: longest(name) + 1})
    letter = COLUMNS[name][0]
    long_value = letter * (longest(name) + 1)
    # The line where this value (not a longer run of its letter) is defined.
    where, line = next(
        (path, number)
        for path, text in [(LESSON_PATH, lesson), ("mini/course.yaml", course)]
        for number, found in enumerate(text.splitlines(), 1)
        if long_value in found and letter + long_value not in found
    )

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_content", str(course_dir), "--dry-run")

    errors = capsys.readouterr().err.splitlines()
    assert any(
        e.startswith(f"{where}:{line}: ")
        and e.endswith(f"string should have at most {longest(name)} characters")
        for e in errors
    ), errors
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "code"),
    [
        (r'"A\0B"', "0000"),
        (r'"A\aB"', "0007"),
        (r'"A\rB"', "000D"),
        (r'"A\x7fB"', "007F"),
        (r'"A\x9bB"', "009B"),
        ("!!binary QQBC", "0000"),  # the bytes A, NUL, B
    ],
)
def test_a_control_character_in_a_text_is_refused(course_dir, written, code):
    write_lesson(course_dir, lesson_with("  title: A mini lesson", f"  title: {written}"))

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:3: lesson.title: control character U+{code} is not allowed"
    ]


@pytest.mark.django_db
def test_nul_is_refused_in_every_kind_of_text_and_all_are_reported_together(course_dir):
    text = lesson_with(
        "    choices: [Shared ideology, Shared borders]",
        r'    choices: [Shared ideology, "Shared\0borders"]',
    )
    text = text.replace("    explanation: The second paragraph.", r'    explanation: "The\0second"')
    text = text.replace("    back: Back", r'    back: "Ba\0ck"')
    write_lesson(course_dir, text)
    (course_dir / "sources" / "mini.txt").write_text(SOURCE + "A \0 in a source\n")

    errors = errors_of(course_dir)

    assert sorted(errors) == sorted(
        [
            f"mini/sources/mini.txt:{len(SOURCE.splitlines()) + 1}: "
            "control character U+0000 is not allowed",
            f"{LESSON_PATH}:{line_of(text, 'Shared\\0borders')}: questions[0].choices[1]: "
            "control character U+0000 is not allowed",
            f"{LESSON_PATH}:{line_of(text, 'The\\0second')}: questions[1].explanation: "
            "control character U+0000 is not allowed",
            f"{LESSON_PATH}:{line_of(text, 'Ba\\0ck')}: flashcards[0].back: "
            "control character U+0000 is not allowed",
        ]
    )
    assert nothing_written()


@pytest.mark.django_db
def test_a_nul_in_the_course_file_is_refused(course_dir):
    course = COURSE.replace("  title: Mini course\n", '  title: Mini course\n  summary: "A\\0"\n')
    (course_dir / "course.yaml").write_text(course)

    assert errors_of(course_dir) == [
        "mini/course.yaml:4: course.summary: control character U+0000 is not allowed"
    ]


@pytest.mark.django_db
def test_tabs_and_newlines_are_kept(course_dir):
    write_lesson(
        course_dir,
        lesson_with("    back: Back", '    back: "Line one\\n\\tindented"'),
    )

    load_content([course_dir])

    assert Card.objects.get(key="mini-f1").back == "Line one\n\tindented"


@pytest.mark.django_db
def test_a_lesson_file_whose_path_is_too_long_to_store_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / ("d" * 200) / ("e" * 200) / ("f" * 100)
    folder.mkdir(parents=True)
    (folder / "lone.yaml").write_text("lesson:\n  key: lone\n  title: Lone\n")
    display = f"{'d' * 200}/{'e' * 200}/{'f' * 100}/lone.yaml"

    assert errors_of(folder / "lone.yaml") == [
        f"{display}:1: the file's path has {len(display)} characters; the limit is 500"
    ]


# Cloze ------------------------------------------------------------------------------------------


def cloze_lesson(text: str) -> str:
    return lesson_with(
        "    type: numeric\n    prompt: Which year?\n    answer: 1977\n",
        f"    type: cloze\n    text: {text}\n",
    )


@pytest.mark.django_db
def test_a_cloze_of_fifty_thousand_openings_is_refused_at_once(course_dir):
    text = write_lesson(course_dir, cloze_lesson('"' + "[[" * 50_000 + '"'))

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, 'text: ')}: questions[1].text: "
        "a [[blank]] is not closed by ]]"
    ]


@pytest.mark.django_db
def test_a_blank_that_runs_over_a_line_end_names_its_line(course_dir):
    text = write_lesson(
        course_dir, cloze_lesson("|-\n      Signed in [[1977]].\n      In [[Laos\n      ]].")
    )

    assert errors_of(course_dir) == [
        f"{LESSON_PATH}:{line_of(text, 'text: ')}: questions[1].text: "
        "a [[blank]] is not closed by ]] on line 2 of the text"
    ]


@pytest.mark.django_db
def test_a_cloze_of_many_closed_blanks_loads(course_dir):
    write_lesson(course_dir, cloze_lesson('"' + "[[a]] " * 5000 + '[[[[x]]"'))

    load_content([course_dir])

    answer_key = Question.objects.get(key="mini-q2").current_version.answer_key
    assert answer_key["blanks"][:2] == [["a"], ["a"]]
    assert answer_key["blanks"][-1] == ["[[x"]


# Paths: inside the course folder, regular files only --------------------------------------------


def sources_course(files: list[str]) -> str:
    """The mini course, with one more source for each of these file names."""
    extra = "".join(
        f"  - slug: s{i}\n    title: S\n    file: {name}\n" for i, name in enumerate(files)
    )
    return COURSE.replace("lesson_sets:\n", extra + "lesson_sets:\n")


def line_is(text: str, line: str) -> int:
    return next(i for i, found in enumerate(text.splitlines(), 1) if found.strip() == line)


@pytest.mark.django_db
def test_a_source_file_outside_the_course_folder_is_refused(course_dir, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(SOURCE)
    (course_dir / "sources" / "link.txt").symlink_to(outside)
    course = sources_course(
        [str(outside), "../outside.txt", "sources/link.txt", "sources/../../outside.txt"]
    )
    (course_dir / "course.yaml").write_text(course)

    errors = errors_of(course_dir)

    assert len(errors) == 4
    absolute = f"mini/course.yaml:{line_is(course, f'file: {outside}')}: source file '"
    assert errors[0].startswith(absolute)
    assert errors[0].endswith("': give a path relative to course.yaml")
    assert errors[1:] == [
        f"mini/course.yaml:{line_is(course, f'file: {name}')}: source file '{name}' "
        "leads outside the course folder"
        for name in ["../outside.txt", "sources/link.txt", "sources/../../outside.txt"]
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_a_device_a_pipe_or_a_folder_is_never_read_as_a_source(course_dir):
    (course_dir / "sources" / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(course_dir / "sources" / "pipe.txt")
    course = sources_course(
        ["/dev/zero", "sources/zero.txt", "sources/pipe.txt", "sources", "sources/missing.txt"]
    )
    (course_dir / "course.yaml").write_text(course)

    errors = errors_of(course_dir)

    problems = {
        "/dev/zero": ": give a path relative to course.yaml",
        "sources/zero.txt": " leads outside the course folder",
        "sources/pipe.txt": " is not a regular file",
        "sources": " is not a regular file",
        "sources/missing.txt": " cannot be read: No such file or directory",
    }
    assert errors == [
        f"mini/course.yaml:{line_is(course, f'file: {name}')}: source file '{name}'{problem}"
        for name, problem in problems.items()
    ]


@pytest.mark.django_db
def test_a_lesson_file_must_stay_inside_its_course_folder(course_dir, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("lesson:\n  key: elsewhere\n  title: Elsewhere\n")
    (course_dir / "lessons" / "02-link.yaml").symlink_to(outside)

    assert errors_of(course_dir) == [
        "mini/lessons/02-link.yaml:1: the file leads outside the course folder"
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_a_lesson_file_that_is_a_device_a_pipe_or_a_folder_is_never_read(course_dir):
    (course_dir / "lessons" / "02-zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(course_dir / "lessons" / "03-pipe.yaml")
    (course_dir / "lessons" / "04-folder.yaml").mkdir()

    assert errors_of(course_dir) == [
        "mini/lessons/02-zero.yaml:1: the file leads outside the course folder",
        "mini/lessons/03-pipe.yaml:1: the file is not a regular file",
        "mini/lessons/04-folder.yaml:1: the file is not a regular file",
    ]
    assert errors_of(Path("/dev/zero")) == ["/dev/zero: not a regular file or a folder"]


# All at once ------------------------------------------------------------------------------------

MODELS = [Source, Lesson, Section, KeyTerm, Citation, Question, QuestionVersion, Card, Quiz,
          Course, LessonSet, LessonSetItem, Question.citations.through, Card.citations.through,
          Quiz.lessons.through]  # fmt: skip


def stored() -> dict[str, list[dict]]:
    """Every row the loader writes, to compare before and after a load that must write nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def renamed(lesson: str, name: str) -> str:
    """The lesson under other keys, citing the same source."""
    lesson = lesson.replace("key: mini-lesson", f"key: {name}")
    return lesson.replace("key: mini-q", f"key: {name}-q").replace("key: mini-f", f"key: {name}-f")


@pytest.mark.django_db
def test_problems_of_every_kind_are_reported_together_and_nothing_is_written(course_dir):
    load_content([course_dir])
    before = stored()
    lessons = course_dir / "lessons"
    (course_dir / "course.yaml").write_text(sources_course(["/dev/zero"]))
    write_lesson(course_dir, lesson_with("  title: A mini lesson", '  title: "A\\0"'))
    (lessons / "02-alias.yaml").write_text("a: &a 1\nb: *a\n")
    (lessons / "03-deep.yaml").write_text("a: " + "[" * 10_000 + "\n")
    (lessons / "04-big.yaml").write_text("#" * (2 * MB + 1))
    (lessons / "05-cloze.yaml").write_text(
        renamed(cloze_lesson('"' + "[[" * 50_000 + '"'), "cloze")
    )
    nan = renamed(lesson_with("answer: 1977", "answer: .nan"), "nan")
    (lessons / "06-nan.yaml").write_text(nan)

    errors = errors_of(course_dir)

    assert [e.split(":", 2)[:2] for e in errors] == [
        ["mini/course.yaml", str(line_is(sources_course(["/dev/zero"]), "file: /dev/zero"))],
        [LESSON_PATH, "3"],
        ["mini/lessons/02-alias.yaml", "1"],
        ["mini/lessons/03-deep.yaml", "1"],
        ["mini/lessons/04-big.yaml", "1"],
        ["mini/lessons/05-cloze.yaml", str(line_of(cloze_lesson("x"), "text: "))],
        ["mini/lessons/06-nan.yaml", str(line_of(LESSON, "answer: 1977"))],
    ]
    assert stored() == before


# Card fronts made from choice questions ---------------------------------------------------------


def tail_bounds(probabilities: list[float], alpha: float) -> tuple[int, int]:
    """(low, high): a sum of independent Bernoulli(p) falls outside [low, high] with probability
    at most alpha on each side. Exact, from the Poisson binomial distribution."""
    pmf = [1.0]
    for p in probabilities:
        pmf = [
            (pmf[k] if k < len(pmf) else 0.0) * (1 - p) + (pmf[k - 1] if k > 0 else 0.0) * p
            for k in range(len(pmf) + 1)
        ]
    low, below = 0, 0.0
    while below + pmf[low] <= alpha:
        below += pmf[low]
        low += 1
    high, above = len(pmf) - 1, 0.0
    while above + pmf[high] <= alpha:
        above += pmf[high]
        high -= 1
    return low, high


@pytest.mark.django_db
def test_card_fronts_list_the_right_answer_in_any_position_like_chance(bundle, tmp_path):
    # Every choice question of the bundled course studied as a flashcard: 72 cards, not 8.
    course = tmp_path / "course"
    shutil.copytree(bundle, course)
    for path in (course / "lessons").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        for question in data["questions"]:
            if question["type"] in ("single_choice", "multiple_response"):
                question["flashcard"] = True
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    load_content([course])

    right_at: dict[int, list[bool]] = {}  # position on the front -> is it a right answer, per card
    chance_at: dict[int, list[float]] = {}
    cards = Card.objects.filter(question__type__in=["single_choice", "multiple_response"])
    for card in cards.select_related("question__current_version"):
        version = card.question.current_version
        choices = version.body["choices"]
        right = {choices[i] for i in version.answer_key.get("choices", [])}
        if "choice" in version.answer_key:
            right = {choices[version.answer_key["choice"]]}
        shown = [line.removeprefix("- ") for line in card.front.splitlines()[-len(choices) :]]
        assert sorted(shown) == sorted(choices)
        for position, choice in enumerate(shown):
            right_at.setdefault(position, []).append(choice in right)
            chance_at.setdefault(position, []).append(len(right) / len(choices))

    assert len(right_at[0]) == 72
    for position, found in right_at.items():
        # Were the options in a random order, the count of cards with a right answer here would
        # fall outside these bounds with probability under 1e-9 on each side.
        low, high = tail_bounds(chance_at[position], alpha=1e-9)
        assert low <= sum(found) <= high, (position, sum(found), len(found), low, high)
    assert sum(right_at[0]) < len(right_at[0]) / 2


@pytest.mark.django_db
def test_a_card_front_keeps_its_order_from_load_to_load(course_dir):
    load_content([course_dir])
    card = Card.objects.get(key="mini-q1")

    load_content([course_dir])

    again = Card.objects.get(key="mini-q1")
    assert (again.front, again.updated_at) == (card.front, card.updated_at)


def test_the_bounds_hold_what_they_claim():
    # Against the binomial tail computed directly: 72 fair coins of p = 1/4.
    low, high = tail_bounds([0.25] * 72, alpha=1e-9)

    def tail(ks):
        return sum(math.comb(72, k) * 0.25**k * 0.75 ** (72 - k) for k in ks)

    assert tail(range(high + 1, 73)) <= 1e-9 < tail(range(high, 73))
    assert tail(range(low)) <= 1e-9 < tail(range(low + 1))
