"""Lesson files with per-option feedback and weights (issue 12): each rule of the shape with its
message at its line, and how the loader writes them (feedback in place, weights as a version)."""

import copy
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from content.loader import load_content
from content.schema import LessonFile
from quizzes.grading import meaning_hash, stored_form
from quizzes.models import Question, QuestionVersion
from tests.content.test_loader import errors_of, nothing_written, write_course

PATH = "mini/lessons/01-mini.yaml"

HEAD = """\
lesson:
  key: mini-lesson
  title: A mini lesson
questions:
"""

SINGLE = """\
  - key: fb-single
    type: single_choice
    prompt: What did 2019 add?
    choices:
      - text: A fourth No
        feedback: "**Right**: no force."
      - text: An exception for Laos
        weight: 0.5
        feedback: Older than that.
      - No alliances at all
    answer: A fourth No
"""

MULTIPLE = """\
  - key: fb-multiple
    type: multiple_response
    prompt: Which are among the Nos?
    choices:
      - {text: No alliances, weight: 0.5}
      - {text: No bases, weight: 0.5}
      - {text: No investment, weight: -0.25, feedback: Investment is welcome.}
    answers: [No alliances, No bases]
    explanation: Two of three.
"""

TRUE_FALSE = """\
  - key: fb-tf
    type: true_false
    prompt: Laos is an exception.
    answer: true
    feedback:
      true: Right.
      false: Laos is the exception.
"""

SHORT = """\
  - key: fb-short
    type: short_answer
    prompt: The policy's name?
    answers:
      - Three Nos
      - text: Four Nos
        weight: 0.5
        feedback: The fourth came in 2019.
      - {text: Non-alignment, weight: 0, feedback: "Its aim, not its name."}
"""

NUMERIC = """\
  - key: fb-numeric
    type: numeric
    prompt: When did Vietnam leave Cambodia?
    answer: 1989
    feedback: Right.
    alternatives:
      - {answer: 1989, tolerance: 1, weight: 0.5, feedback: Close.}
      - {answer: 1979, weight: 0}
    other_feedback: At the end of the Cold War.
"""

ALL = SINGLE + MULTIPLE + TRUE_FALSE + SHORT + NUMERIC


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_course(tmp_path / "mini", HEAD + ALL)


def write(course_dir: Path, questions: str) -> str:
    text = HEAD + questions
    (course_dir / "lessons" / "01-mini.yaml").write_text(text)
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def version(key: str) -> QuestionVersion:
    return Question.objects.get(key=key).current_version


# Loading -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feedback_and_weights_are_stored_as_the_shape_says(course_dir):
    load_content([course_dir])

    single = version("fb-single")
    assert single.body == {
        "choices": ["A fourth No", "An exception for Laos", "No alliances at all"]
    }
    assert single.answer_key == {"choice": 0, "weights": [1.0, 0.5, 0.0]}
    assert single.feedback == {"choices": {"0": "**Right**: no force.", "1": "Older than that."}}
    assert single.explanation == ""
    assert version("fb-multiple").answer_key == {"choices": [0, 1], "weights": [0.5, 0.5, -0.25]}
    assert version("fb-multiple").feedback == {"choices": {"2": "Investment is welcome."}}
    assert version("fb-tf").feedback == {"true": "Right.", "false": "Laos is the exception."}
    short = version("fb-short")
    assert short.answer_key == {
        "accepted": ["Three Nos", "Four Nos", "Non-alignment"],
        "weights": [1.0, 0.5, 0.0],
    }
    assert short.feedback == {
        "answers": {"1": "The fourth came in 2019.", "2": "Its aim, not its name."}
    }
    numeric = version("fb-numeric")
    assert numeric.answer_key == {
        "value": 1989,
        "tolerance": 0,
        "alternatives": [
            {"value": 1989, "tolerance": 1, "weight": 0.5},
            {"value": 1979, "tolerance": 0, "weight": 0.0},
        ],
    }
    assert numeric.feedback == {
        "answer": "Right.",
        "alternatives": {"0": "Close."},
        "other": "At the end of the Cold War.",
    }
    assert load_content([course_dir]).changes == []


@pytest.mark.django_db
def test_a_feedback_edit_updates_the_version_in_place(course_dir):
    load_content([course_dir])
    before = version("fb-single")

    write(course_dir, ALL.replace("feedback: Older than that.", "feedback: Much older."))
    report = load_content([course_dir])

    assert report.changes == ["updated question fb-single"]
    after = version("fb-single")
    assert after.pk == before.pk and after.number == 1
    assert after.feedback == {"choices": {"0": "**Right**: no force.", "1": "Much older."}}
    assert after.meaning_hash == before.meaning_hash
    assert QuestionVersion.objects.filter(question__key="fb-single").count() == 1


@pytest.mark.django_db
def test_removing_every_feedback_and_the_explanation_updates_in_place(course_dir):
    load_content([course_dir])
    text = MULTIPLE.replace(", feedback: Investment is welcome.", "").replace(
        "    explanation: Two of three.\n", ""
    )

    write(course_dir, SINGLE + text + TRUE_FALSE + SHORT + NUMERIC)
    assert load_content([course_dir]).changes == ["updated question fb-multiple"]

    assert version("fb-multiple").feedback == {}
    assert version("fb-multiple").explanation == ""
    assert version("fb-multiple").number == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "old", "new"),
    [
        ("fb-single", "weight: 0.5", "weight: 0.25"),
        ("fb-multiple", "{text: No investment, weight: -0.25,", "{text: No investment, weight: 0,"),
        (
            "fb-short",
            "weight: 0.5\n        feedback: The fourth",
            "weight: 0.75\n        feedback: The fourth",
        ),
        ("fb-numeric", "tolerance: 1, weight: 0.5", "tolerance: 2, weight: 0.5"),
    ],
)
def test_a_weight_edit_makes_a_new_version(course_dir, key, old, new):
    load_content([course_dir])
    first = version(key)

    write(course_dir, ALL.replace(old, new, 1))
    report = load_content([course_dir])

    assert report.changes == [f"question {key}: new version 2 (its meaning changed)"]
    second = version(key)
    assert second.number == 2 and second.answer_key != first.answer_key
    assert second.feedback == first.feedback
    first.refresh_from_db()
    assert first.answer_key != second.answer_key  # the first version keeps its key


@pytest.mark.django_db
def test_adding_a_weight_to_a_question_written_without_makes_a_new_version(course_dir):
    plain = SINGLE.replace("        weight: 0.5\n", "")
    write(course_dir, plain)
    load_content([course_dir])
    assert "weights" not in version("fb-single").answer_key

    write(course_dir, SINGLE)
    assert load_content([course_dir]).changes == [
        "question fb-single: new version 2 (its meaning changed)"
    ]
    assert version("fb-single").answer_key["weights"] == [1.0, 0.5, 0.0]


@pytest.mark.django_db
def test_weights_written_out_as_the_default_change_nothing(course_dir):
    plain = SINGLE.replace("        weight: 0.5\n", "")
    write(course_dir, plain)
    load_content([course_dir])

    write(
        course_dir,
        plain.replace(
            "      - No alliances at all", "      - {text: No alliances at all, weight: 0}"
        ),
    )
    assert load_content([course_dir]).changes == []


@pytest.mark.django_db
def test_the_bundled_course_written_with_mappings_keeps_every_meaning(bundle):
    """Every choice and short answer of the bundled course written as `{text: …}` gives the same
    body, key and meaning hash: the new shape reads the old one as it always was."""
    loaded = load_content([bundle])
    assert loaded.questions > 0
    for path in sorted((bundle / "lessons").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        spec = LessonFile.model_validate(data)
        rewritten = copy.deepcopy(data)
        for question in rewritten.get("questions", []):
            if question["type"] in ("single_choice", "multiple_response"):
                question["choices"] = [{"text": c} for c in question["choices"]]
            elif question["type"] == "short_answer":
                question["answers"] = [{"text": a} for a in question["answers"]]
        for plain, mapped in zip(
            spec.questions, LessonFile.model_validate(rewritten).questions, strict=True
        ):
            stored = version(plain.key)
            body, key = stored_form(mapped.type, mapped.authored())
            assert (body, key) == stored_form(plain.type, plain.authored()), plain.key
            assert stored.body == body and stored.feedback == {}, plain.key
            assert "weights" not in key and "alternatives" not in key, plain.key
            assert stored.meaning_hash == meaning_hash(
                stored.type, stored.prompt, stored.body, stored.answer_key
            ), plain.key
    assert load_content([bundle]).changes == []
    assert QuestionVersion.objects.count() == Question.objects.count()


# The rules of the shape, each with its message at its line ------------------------------------


def single(rest: str) -> str:
    """A single-choice question of the lesson file, `rest` its choices and answer."""
    return "  - key: q\n    type: single_choice\n    prompt: Q?\n" + textwrap.indent(rest, "    ")


def multiple(choices: str, answers: str) -> str:
    """A multiple-response question of the lesson file, `choices` a block list."""
    return (
        "  - key: q\n    type: multiple_response\n    prompt: Q?\n    choices:\n"
        + textwrap.indent(choices, "      ")
        + f"    answers: {answers}\n"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("question", "needle", "message"),
    [
        (
            "choices: [{text: A, weight: 0.5}, B]\nanswer: A",
            "text: A, weight",
            "questions[0].choices[0].weight: the answer 'A' is worth 1: leave out its weight",
        ),
        (
            "choices: [A, {text: B, weight: -0.5}]\nanswer: A",
            "text: B",
            "questions[0].choices[1].weight: choice 'B': a single choice takes weights from 0 "
            "to 1 (negative weights are for multiple_response)",
        ),
        (
            "choices: [A, {text: B, weight: 1}]\nanswer: A",
            "text: B",
            "questions[0].choices[1].weight: choice 'B' has weight 1 but is not the answer: "
            "make it the answer, or give it less",
        ),
        (
            "choices: [A, {text: B, weight: 1.5}]\nanswer: A",
            "text: B",
            "questions[0].choices[1].weight: input should be less than or equal to 1",
        ),
        (
            "choices: [A, {text: B, weight: 50%}]\nanswer: A",
            "text: B",
            "questions[0].choices[1].weight: input should be a valid number",
        ),
        (
            "choices: [A, {text: B, weight: yes}]\nanswer: A",
            "text: B",
            "questions[0].choices[1].weight: input should be a valid number",
        ),
        (
            "choices: [A, [B]]\nanswer: A",
            "choices:",
            "questions[0].choices[1]: a choice is a text, or a mapping with 'text' (and "
            "'weight', 'feedback')",
        ),
        (
            "choices: [A, {txt: B}]\nanswer: A",
            "choices:",
            "questions[0].choices[1]: missing required field 'text'\n"
            f"{PATH}:8: questions[0].choices[1]: unknown field 'txt'",
        ),
        (
            "choices: [A, {text: ''}]\nanswer: A",
            "choices:",
            "questions[0].choices[1].text: string should have at least 1 character",
        ),
        (
            "choices: [A, {text: A}]\nanswer: A",
            "choices:",
            "questions[0].choices: choice 'A' appears twice",
        ),
    ],
)
def test_a_single_choice_weight_or_entry_that_breaks_a_rule_is_reported(
    course_dir, question, needle, message
):
    text = write(course_dir, single(question + "\n"))
    assert "\n".join(errors_of(course_dir)) == f"{PATH}:{line_of(text, needle)}: {message}"
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("choices", "answers", "needle", "message"),
    [
        (
            "- {text: A, weight: 0.5}\n- B\n- {text: C, weight: 0}\n",
            "[A, B]",
            "- B",
            "questions[0].choices[1].weight: the answer 'B' needs a positive weight: with "
            "weights, every answer has one",
        ),
        (
            "- {text: A, weight: 1}\n- {text: B, weight: 0}\n",
            "[A, B]",
            "text: B",
            "questions[0].choices[1].weight: the answer 'B' needs a positive weight: with "
            "weights, every answer has one",
        ),
        (
            "- {text: A, weight: 1}\n- {text: B, weight: 0.2}\n",
            "[A]",
            "text: B",
            "questions[0].choices[1].weight: choice 'B' is not an answer: its weight may be "
            "0 or negative, not positive",
        ),
        (
            "- {text: A, weight: 0.5}\n- {text: B, weight: 0.4}\n- C\n",
            "[A, B]",
            "answers:",
            "questions[0].answers: the answers' weights add up to 0.9, not 1",
        ),
        (
            "- {text: A, weight: 0.5}\n- {text: B, weight: 0.5}\n- {text: C, weight: -1.5}\n",
            "[A, B]",
            "text: C",
            "questions[0].choices[2].weight: input should be greater than or equal to -1",
        ),
    ],
)
def test_multiple_response_weights_that_break_a_rule_are_reported(
    course_dir, choices, answers, needle, message
):
    text = write(course_dir, multiple(choices, answers))
    assert errors_of(course_dir) == [f"{PATH}:{line_of(text, needle)}: {message}"]
    assert nothing_written()


@pytest.mark.django_db
def test_multiple_response_weights_that_add_up_to_1_give_or_take_a_thousandth_load(course_dir):
    thirds = "".join(f"- {{text: {t}, weight: 0.333}}\n" for t in "ABC") + "- D\n"
    write(course_dir, multiple(thirds, "[A, B, C]"))
    load_content([course_dir])
    assert version("q").answer_key["weights"] == [0.333, 0.333, 0.333, 0.0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("question", "needle", "message"),
    [
        (
            SHORT.replace("      - Three Nos\n", "").replace("weight: 0.5", "weight: 0.9"),
            "answers:",
            "questions[0].answers: no answer is worth full marks: give one weight 1 (or no weight)",
        ),
        (
            SHORT.replace("weight: 0.5", "weight: -0.5"),
            "weight: -0.5",
            "questions[0].answers[1].weight: input should be greater than or equal to 0",
        ),
        (
            SHORT.replace("feedback: The fourth came in 2019.", "feedbak: The fourth."),
            "feedbak:",
            "questions[0].answers[1]: unknown field 'feedbak'",
        ),
        (
            NUMERIC.replace("{answer: 1979, weight: 0}", "{answer: 1979}"),
            "{answer: 1979}",
            "questions[0].alternatives[1]: missing required field 'weight'",
        ),
        (
            NUMERIC.replace("tolerance: 1, weight: 0.5", "tolerance: 0, weight: 0.5"),
            "alternatives:",
            "questions[0].alternatives: alternative 1 (1989 ± 0) lies within the answer's "
            "tolerance: it would never be matched",
        ),
        (
            NUMERIC.replace("{answer: 1979, weight: 0}", "{answer: 1979, weight: 2}"),
            "{answer: 1979",
            "questions[0].alternatives[1].weight: input should be less than or equal to 1",
        ),
        (
            TRUE_FALSE.replace("      false: Laos", "      maybe: Laos"),
            "maybe:",
            "questions[0].feedback: unknown field 'maybe'",
        ),
        (
            TRUE_FALSE.replace(
                "    feedback:\n      true: Right.\n      false: Laos is the exception.\n",
                "    feedback: Right.\n",
            ),
            "feedback: Right.",
            "questions[0].feedback: input should be a valid dictionary or instance of "
            "TrueFalseFeedbackIn",
        ),
    ],
)
def test_a_short_answer_numeric_or_true_false_that_breaks_a_rule_is_reported(
    course_dir, question, needle, message
):
    text = write(course_dir, question)
    assert errors_of(course_dir) == [f"{PATH}:{line_of(text, needle)}: {message}"]
    assert nothing_written()


@pytest.mark.django_db
def test_every_broken_rule_of_a_file_is_reported_at_once(course_dir):
    text = write(
        course_dir,
        ALL.replace("weight: 0.5\n        feedback: Older", "weight: 1\n        feedback: Older")
        .replace("{text: No investment, weight: -0.25,", "{text: No investment, weight: 0.5,")
        .replace("{answer: 1979, weight: 0}", "{answer: 1979}"),
    )
    assert sorted(errors_of(course_dir)) == sorted(
        [
            f"{PATH}:{line_of(text, 'weight: 1')}: questions[0].choices[1].weight: choice "
            "'An exception for Laos' has weight 1 but is not the answer: make it the answer, "
            "or give it less",
            f"{PATH}:{line_of(text, 'No investment')}: questions[1].choices[2].weight: choice "
            "'No investment' is not an answer: its weight may be 0 or negative, not positive",
            f"{PATH}:{line_of(text, '{answer: 1979}')}: questions[4].alternatives[1]: missing "
            "required field 'weight'",
        ]
    )
    assert nothing_written()


def test_every_example_of_the_authoring_guides_feedback_section_is_a_valid_question():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "authoring.md").read_text()
    section = guide.split("### Feedback and partial credit per option", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 5
    lesson = {"key": "guide", "title": "The guide"}
    for block in blocks:
        spec = LessonFile.model_validate({"lesson": lesson, "questions": yaml.safe_load(block)})
        (question,) = spec.questions
        _, key = stored_form(question.type, question.authored())
        assert "weights" in key or "alternatives" in key or question.feedback_texts(), block
