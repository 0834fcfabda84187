"""Weighted options on the teachers' pages (issue 12): a partly right multiple choice shows its
score on the student's page, and the item analysis counts its options and its facility as for
any other question."""

import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from content.loader import load_content
from courses import results, services
from quizzes.grading import answer_text, grade, response_text
from quizzes.models import Answer, Question, QuestionVersion
from quizzes.services import attempt_finish, attempt_start
from tests.conftest import MINI_COURSE
from tests.courses.test_teaching import enroll, quiz_assignment
from tests.factories import TeacherFactory
from tests.quizzes.test_feedback_pages import SINGLE


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


@pytest.fixture
def classroom(mini, teacher, tmp_path: Path):
    """A class, with the mini course's single-choice question weighted: "Shared borders" (the
    first option) is worth half the marks."""
    folder = tmp_path / "mini-course"
    shutil.copytree(MINI_COURSE, folder)
    lesson = folder / "lessons" / "01-mini.yaml"
    old = "    choices: [Shared borders, Shared interests and ideology, Shared languages]\n"
    lesson.write_text(lesson.read_text().replace(old, SINGLE))
    load_content([folder])
    return services.classroom_create(name="Period 6", teacher=teacher)


def answer_first(assignment, student, choice: int) -> Answer:
    """A finished attempt whose first question (the single choice) is answered with `choice`,
    graded by its key."""
    attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
    version = QuestionVersion.objects.get(pk=attempt.versions[0])
    response = {"choice": choice}
    graded = grade(version.type, version.answer_key, response)
    answer = Answer.objects.create(
        attempt=attempt,
        version=version,
        position=0,
        response=response,
        score=graded.score,
        correct=graded.correct,
        answered_at=timezone.now(),
    )
    attempt_finish(attempt=attempt, now=timezone.now())
    return answer


@pytest.mark.django_db
def test_a_partly_right_choice_shows_its_score_and_texts_on_the_students_page(
    client, classroom, teacher
):
    (ana,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    answer = answer_first(assignment, ana, 0)
    assert (answer.score, answer.correct) == (0.5, False)
    version = answer.version
    assert response_text(version.type, version.body, answer.response) == "Shared borders"
    assert answer_text(version.type, version.body, version.answer_key) == (
        "Shared interests and ideology"
    )

    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()

    row = html[html.index("What do alliances need?") :]
    row = row[: row.index("</tr>")]
    assert "<td>Shared borders</td>" in row
    assert "<td>Shared interests and ideology</td>" in row
    assert "Partly right: 50%" in row
    assert "weight" not in html.lower() and "Borders</strong> help" not in html


@pytest.mark.django_db
def test_the_item_analysis_of_a_weighted_question_counts_its_options_and_partial_scores(
    client, classroom, teacher
):
    students = enroll(classroom, 4)
    assignment = quiz_assignment(classroom, teacher)
    for student, choice in zip(students, [1, 0, 0, 2], strict=True):
        answer_first(assignment, student, choice)

    (item,) = results.item_analysis(assignment=assignment).items
    assert item.version.question == Question.objects.get(key="mini-single")
    assert "weights" in item.version.answer_key
    assert [(o.text, o.count, o.right) for o in item.options] == [
        ("Shared borders", 2, False),
        ("Shared interests and ideology", 1, True),
        ("Shared languages", 1, False),
    ]
    assert item.facility == pytest.approx((1 + 0.5 + 0.5 + 0) / 4)
    assert item.common_wrong == "Shared borders"

    client.force_login(teacher)
    response = client.get(f"/classes/{classroom.pk}/item-analysis/?assignment={assignment.pk}")
    assert response.status_code == 200
    assert "Shared borders: <strong>2</strong>" in response.content.decode()
