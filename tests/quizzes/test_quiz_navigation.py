"""Moodle's navigation method: a sequential quiz (the default) goes in order and refuses a jump;
a free one lets the student go to any question in any order and, with feedback at the end,
change answers until submitting, which feeds the flashcard schedule once per question."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from content.loader import ContentError, load_content
from courses import services
from courses.models import Assignment, LessonSet
from quizzes.models import Answer, Attempt, QuestionVersion, Quiz, ReviewLog, ReviewSource
from tests.content.test_loader import LESSON, line_of, write_course
from tests.factories import TeacherFactory
from tests.quizzes.test_quiz_views import RIGHT, WRONG, start

HTMX = {"HX-Request": "true"}
SINGLE = 0  # the mini quiz is not shuffled: its single-choice question (a flashcard) comes first


@pytest.fixture
def quiz(mini) -> Quiz:
    return Quiz.objects.get(key="lesson-mini-lesson")


def form_data(attempt: Attempt, position: int, responses=RIGHT) -> dict:
    """The answer form a student sends for the question at `position`: options by their
    displayed position (as tests.quizzes.test_quiz_views.right, at any position)."""
    attempt.refresh_from_db()
    version = QuestionVersion.objects.get(pk=attempt.versions[position])
    shown = attempt.settings_snapshot["orders"].get(str(version.pk), [])
    if version.type == "ordering":
        places = version.answer_key["order"]
        data = {f"item_{p}": str(places.index(i) + 1) for p, i in enumerate(shown)}
    else:
        data = {}
        for name, value in responses[version.type].items():
            if version.type in {"single_choice", "multiple_response", "matching"}:
                value = (
                    [str(shown.index(i)) for i in value]
                    if isinstance(value, list)
                    else str(shown.index(value))
                )
            data[name] = value
    return {"action": "answer", "seq": attempt.seq, "position": position, **data}


def answer_at(client, attempt, position: int, responses=RIGHT, **headers):
    return client.post(
        f"/attempts/{attempt.pk}/", form_data(attempt, position, responses), **headers
    )


def free(quiz: Quiz, feedback: str = "immediate") -> Quiz:
    quiz.navigation, quiz.feedback = "free", feedback
    quiz.save(update_fields=["navigation", "feedback"])
    return quiz


# Sequential (the default) ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sequential_quiz_refuses_a_jump_and_answers_out_of_turn(client, student, quiz):
    assert quiz.navigation == "sequential"
    client.force_login(student)
    attempt = start(client, quiz)
    url = f"/attempts/{attempt.pk}/"

    page = client.get(url).content.decode()
    jumps = {q: client.get(f"{url}?question={q}") for q in ("3", "1", "0", "99", "x", "-2", "")}
    refused = answer_at(client, attempt, 2)

    assert "?question=" not in page and '<span class="qbox' in page
    assert jumps["1"].status_code == 200 and "Question 1 of 8" in jumps["1"].content.decode()
    for q in ("3", "0", "99", "x", "-2", ""):
        assert jumps[q].status_code == 302 and jumps[q]["Location"] == url, q
    followed = client.get(f"{url}?question=3", follow=True).content.decode()
    assert "Question 1 of 8" in followed and "This quiz goes in order" in followed
    assert refused.status_code == 302
    assert not Answer.objects.filter(attempt=attempt).exists()


# Free --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_free_quiz_goes_to_any_question_and_takes_answers_in_any_order(client, student, quiz):
    client.force_login(student)
    attempt = start(client, free(quiz))
    url = f"/attempts/{attempt.pk}/"

    first = client.get(url).content.decode()
    fifth = client.get(f"{url}?question=5").content.decode()
    answered = answer_at(client, attempt, 4)
    shown = client.get(answered["Location"]).content.decode()

    assert 'href="?question=8"' in first and "Question 1 of 8" in first
    assert "Question 5 of 8" in fifth
    assert 'class="qbox current" aria-current="step"' in fifth
    assert answered["Location"] == f"{url}?question=5"  # its feedback, as the quiz gives it
    assert "Correct" in shown and "Question 5 of 8" in shown
    assert 'href="?question=6"' in shown  # "Next question" is a link
    assert list(Answer.objects.filter(attempt=attempt).values_list("position", flat=True)) == [4]
    # Without `?question`, the first question not answered yet.
    answer_at(client, attempt, 0)
    assert "Question 2 of 8" in client.get(url).content.decode()
    # With feedback after each question, a checked answer is final.
    changed = answer_at(client, attempt, 0, WRONG, follow=True).content.decode()
    assert "already been answered" in changed
    assert Answer.objects.get(attempt=attempt, position=0).correct
    for bad in ("0", "9", "x"):
        assert client.get(f"{url}?question={bad}")["Location"] == url


@pytest.mark.django_db
def test_a_free_quizs_summary_links_every_question_and_the_flag_stays_on_its_question(
    client, student, quiz
):
    client.force_login(student)
    attempt = start(client, free(quiz))
    url = f"/attempts/{attempt.pk}/"

    flagged = client.post(url, {"action": "flag", "position": 3, "flagged": "1"})
    panel = client.post(url, {"action": "flag", "position": 5, "flagged": "1"}, headers=HTMX)
    summary = client.get(f"{url}summary/").content.decode()

    assert flagged["Location"] == f"{url}?question=4"
    assert 'class="qbox flagged current"' in panel.content.decode()
    attempt.refresh_from_db()
    assert attempt.flagged == [3, 5]
    for number in range(1, 9):
        assert f'<a href="{url}?question={number}">Question {number}</a>' in summary
    assert f'href="{url}?question=1">Return to attempt</a>' in summary


@pytest.mark.django_db
def test_free_with_feedback_at_the_end_saves_changeable_answers_and_schedules_once_at_submit(
    client, student, quiz
):
    client.force_login(student)
    attempt = start(client, free(quiz, feedback="end"))
    url = f"/attempts/{attempt.pk}/"

    saved = answer_at(client, attempt, SINGLE, WRONG)
    again = client.get(f"{url}?question=1").content.decode()
    changed = answer_at(client, attempt, SINGLE, RIGHT, headers=HTMX)
    answer_at(client, attempt, 1)

    assert saved["Location"] == f"{url}?question=2"  # saved: on to the next question
    assert "Your answer is saved" in again and "Right answer" not in again
    wrong_choice = form_data(attempt, SINGLE, WRONG)["choice"]
    assert re.search(rf'value="{wrong_choice}"[^>]*checked', again)
    assert changed.status_code == 200 and "Question 2 of 8" in changed.content.decode()
    assert changed["HX-Replace-Url"] == f"{url}?question=2"
    answer = Answer.objects.get(attempt=attempt, position=SINGLE)  # still one per question
    assert answer.correct and Answer.objects.filter(attempt=attempt).count() == 2
    assert not ReviewLog.objects.filter(student=student).exists()  # nothing until submitted

    client.post(f"{url}summary/", {"action": "finish"})

    (log,) = ReviewLog.objects.filter(student=student)
    assert (log.card.key, log.rating, log.source, log.answer) == (
        "mini-single", 3, ReviewSource.QUIZ, answer,
    )  # fmt: skip
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.score == pytest.approx(2 / 8)


@pytest.mark.django_db
def test_an_attempt_keeps_the_navigation_it_started_with(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    free(quiz)

    jump = client.get(f"/attempts/{attempt.pk}/?question=3")

    assert jump.status_code == 302
    assert attempt.settings_snapshot["navigation"] == "sequential"


# Where it is set ---------------------------------------------------------------------------------


def _with_quiz_setting(root: Path, line: str) -> str:
    text = LESSON.replace("questions:\n", f"  quiz:\n    {line}\nquestions:\n", 1)
    write_course(root / "mini", lesson=text)
    return text


@pytest.mark.django_db
def test_the_course_file_sets_the_navigation_and_refuses_an_unknown_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _with_quiz_setting(tmp_path, "navigation: jumpy")

    with pytest.raises(ContentError) as info:
        load_content([tmp_path / "mini"])

    (error,) = info.value.errors
    assert error.startswith(f"mini/lessons/01-mini.yaml:{line_of(text, 'navigation: jumpy')}: ")
    assert "'sequential' or 'free'" in error
    _with_quiz_setting(tmp_path, "navigation: free")
    load_content([tmp_path / "mini"])
    assert Quiz.objects.get(key="lesson-mini-lesson").navigation == "free"


@pytest.mark.django_db
def test_the_teachers_assignment_form_sets_the_navigation(client, mini):
    teacher = TeacherFactory()
    classroom = services.classroom_create(name="Period 4", teacher=teacher)
    client.force_login(teacher)
    url = f"/classes/{classroom.pk}/assignments/new/"
    due = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    quiz = {"lesson_set": LessonSet.objects.get().pk, "kind": "quiz", "due_at": due,
            "target_recall": 85, "shuffle": "on", "feedback": "end"}  # fmt: skip

    form = client.get(url).content.decode()
    client.post(url, {**quiz, "navigation": "free"})
    client.post(url, quiz)  # a form from before the setting: in order
    bad = client.post(url, {**quiz, "navigation": "jumpy"})

    assert '<option value="free">Any order</option>' in form
    assert list(Assignment.objects.order_by("pk").values_list("quiz__navigation", flat=True)) == [
        "free",
        "sequential",
    ]
    assert bad.status_code == 422 and Assignment.objects.count() == 2
