"""The authoring guide's quiz settings example reads as the schema says it does."""

import re
from pathlib import Path

import yaml

from content.schema import LessonFile

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"


def test_the_quiz_settings_example_sets_every_setting():
    text = GUIDE.read_text()
    section = text[text.index("### Quiz settings") : text.index("### Fields of every question")]
    (example,) = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    quiz = LessonFile.model_validate(yaml.safe_load(example)).lesson.quiz
    assert quiz.model_fields_set == set(type(quiz).model_fields)  # every setting shown
    assert (quiz.question_count, quiz.attempts_allowed, quiz.time_limit_minutes) == (10, 3, 15)
