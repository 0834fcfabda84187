"""The student's dashboard shows each assignment as the gradebook does: a quiz's best score,
attempts used and left, done or not; a study goal's cards studied and recall against its target,
never a blended percentage; due dates with their time in the student's zone, and overdue."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from courses import results
from courses import services as course_services
from courses.models import AssignmentKind, LessonSet, Profile
from quizzes.grading import WHOLE
from quizzes.models import Attempt, Card, Question
from quizzes.regrade import response_accept
from quizzes.services import attempt_finish, attempt_start, review_record
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory
from tests.quizzes.test_regrade import answer


def _squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.fixture
def classroom(mini):
    teacher = TeacherFactory(username="tea")
    return course_services.classroom_create(name="Period 3", teacher=teacher)


def _quiz(classroom, *, attempts_allowed=None, due_at=None, title=None):
    assignment = course_services.assignment_create(
        classroom=classroom,
        teacher=classroom.teachers.get(),
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=due_at or timezone.now() + timedelta(days=3),
        quiz_settings=course_services.QuizSettings(
            question_count=None,
            shuffle_questions=False,
            shuffle_options=False,
            attempts_allowed=attempts_allowed,
        ),
    )
    if title:
        assignment.title = title
        assignment.save(update_fields=["title"])
    return assignment


def _goal(classroom, *, due_at=None):
    return course_services.assignment_create(
        classroom=classroom,
        teacher=classroom.teachers.get(),
        lesson_set=LessonSet.objects.get(key="mini-set"),
        due_at=due_at or timezone.now() + timedelta(days=3),
        target_recall=0.85,
    )


def _article(html: str, title: str) -> str:
    """The dashboard's article of the assignment titled `title`."""
    for article in re.findall(r"<article.*?</article>", _squeeze(html)):
        if f"<h3>{title}</h3>" in article:
            return article
    raise AssertionError(f"no article for {title}")


@pytest.mark.django_db
def test_a_quiz_shows_attempts_used_and_left_then_its_best_score(client, classroom):
    quiz = _quiz(classroom, attempts_allowed=2)
    student = StudentFactory(username="kim")
    course_services.enrollment_add(classroom=classroom, student=student)
    client.force_login(student)

    before = _article(client.get("/").content.decode(), quiz.title)
    assert "Not taken yet · 0 of 2 attempts used, 2 left" in before
    assert ">Take the quiz</a>" in before
    assert "Done" not in before

    attempt = attempt_start(quiz=quiz.quiz, student=student, now=timezone.now())
    started = _article(client.get("/").content.decode(), quiz.title)
    assert "Not taken yet · 1 of 2 attempts used, 1 left" in started
    assert ">Continue the quiz</a>" in started

    attempt_finish(attempt=attempt, now=timezone.now())  # nothing answered: 0%
    answer(quiz.quiz, student, "mini-short", {"text": "ideology"})  # one right answer
    best = Attempt.objects.filter(student=student).order_by("-score").first().score
    assert best > 0
    done = _article(client.get("/").content.decode(), quiz.title)
    assert f"Best score {round(best * 100)}% · 2 of 2 attempts used, 0 left" in done
    assert '<strong class="ok">Done ✓</strong>' in done
    assert "No attempts left." in done
    assert "Take the quiz" not in done and "Try again" not in done


@pytest.mark.django_db
def test_a_finished_quiz_with_attempts_left_offers_another_and_is_not_overdue(client, classroom):
    quiz = _quiz(classroom, due_at=timezone.now() - timedelta(hours=1))
    late = _quiz(classroom, due_at=timezone.now() - timedelta(hours=2), title="Late quiz")
    student = StudentFactory(username="kim")
    course_services.enrollment_add(classroom=classroom, student=student)
    answer(quiz.quiz, student, "mini-short", {"text": "money"})
    client.force_login(student)

    html = client.get("/").content.decode()

    finished = _article(html, quiz.title)
    assert "Best score 0% · 1 attempt used, no limit" in finished
    assert ">Try again</a>" in finished
    assert "Overdue" not in finished and "Done ✓" in finished
    assert '<strong class="warn">Overdue</strong>' in _article(html, late.title)


@pytest.mark.django_db
def test_a_study_goal_shows_cards_studied_and_recall_against_its_target(client, classroom):
    goal = _goal(classroom)
    student = StudentFactory(username="kim")
    course_services.enrollment_add(classroom=classroom, student=student)
    cards = list(Card.objects.filter(lesson__key="mini-lesson"))
    review_record(
        student=student, card=cards[0], rating=3, reviewed_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(student)

    article = _article(client.get("/").content.decode(), goal.title)

    assert f"1 of {len(cards)} cards studied" in article
    assert re.search(r"Recall \d+% · target 85%", article)
    assert "Study goal" in article and "Done" not in article


@pytest.mark.django_db
def test_the_dashboard_and_the_gradebook_agree(client, classroom):
    """The same student's standing on every assignment, read by both pages."""
    goal = _goal(classroom, due_at=timezone.now() - timedelta(days=1))
    quiz = _quiz(classroom, title="Taken quiz")
    untaken = _quiz(classroom, title="Untaken quiz")
    student = StudentFactory(username="kim")
    course_services.enrollment_add(classroom=classroom, student=student)
    for card in Card.objects.filter(lesson__key="mini-lesson")[:3]:
        review_record(
            student=student, card=card, rating=3, reviewed_at=timezone.now() - timedelta(days=2)
        )
    answer(quiz.quiz, student, "mini-short", {"text": "ideology"})
    answer(quiz.quiz, student, "mini-short", {"text": "money"})
    client.force_login(student)

    response = client.get("/")

    overview = response.context["overview"]
    book = results.gradebook(classroom=classroom, now=timezone.now(), retention=False)
    (row,) = book.rows
    cells = {a.pk: cell for a, cell in zip(book.assignments, row.cells, strict=True)}
    items = {item.assignment.pk: item for item in overview.assignments}
    assert set(items) == set(cells) == {goal.pk, quiz.pk, untaken.pk}
    for pk, item in items.items():
        cell = cells[pk]
        assert item.done == cell.complete, pk
        assert item.overdue == cell.overdue, pk
    assert items[quiz.pk].score_percent == cells[quiz.pk].percent > 0
    assert items[untaken.pk].score_percent is cells[untaken.pk].percent is None
    goal_cell = cells[goal.pk].goal
    assert (items[goal.pk].studied, items[goal.pk].cards) == (goal_cell.studied, goal_cell.total)
    assert items[goal.pk].recall == pytest.approx(goal_cell.recall)
    assert items[goal.pk].recall_percent == goal_cell.recall_percent
    html = response.content.decode()
    assert f"Best score {cells[quiz.pk].percent}%" in _article(html, quiz.title)
    assert f"Recall {goal_cell.recall_percent}% · target 85%" in _article(html, goal.title)


@pytest.mark.django_db
def test_a_regrade_shows_on_the_dashboard_at_once(client, classroom):
    quiz = _quiz(classroom)
    student = StudentFactory(username="kim")
    course_services.enrollment_add(classroom=classroom, student=student)
    answer(quiz.quiz, student, "mini-short", {"text": "common values"})
    client.force_login(student)
    assert "Best score 0%" in _article(client.get("/").content.decode(), quiz.title)

    response_accept(
        version=Question.objects.get(key="mini-short").current_version,
        blank=WHOLE,
        text="common values",
        by=AuthorFactory(),
        now=timezone.now(),
    )

    score = Attempt.objects.get(student=student).score
    assert score > 0
    after = _article(client.get("/").content.decode(), quiz.title)
    assert f"Best score {round(score * 100)}%" in after


@pytest.mark.django_db
def test_due_dates_show_weekday_date_and_time_in_the_students_zone(client, classroom):
    goal = _goal(classroom, due_at=datetime(2031, 12, 18, 23, 59, tzinfo=UTC))
    student = StudentFactory(username="kim")
    Profile.objects.create(user=student, time_zone="Asia/Ho_Chi_Minh")
    course_services.enrollment_add(classroom=classroom, student=student)
    client.force_login(student)

    article = _article(client.get("/").content.decode(), goal.title)

    # 06:59 on Friday 19 December in Hanoi; another year than this one shows its year.
    assert "Due <time" in article
    assert ">Fri 19 Dec 2031, 06:59</time>" in article


@pytest.mark.django_db
def test_a_due_date_this_year_has_no_year(client, classroom):
    now = timezone.now()
    due = now + timedelta(hours=1)
    if due.year != now.year:  # a test run in the last hour of the year
        due = now - timedelta(hours=1)
    goal = _goal(classroom, due_at=due)
    student = StudentFactory(username="kim")
    course_services.enrollment_add(classroom=classroom, student=student)
    client.force_login(student)

    article = _article(client.get("/").content.decode(), goal.title)

    assert f">{due:%a} {due.day} {due:%b}, {due:%H:%M}</time>" in article
