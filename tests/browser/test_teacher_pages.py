"""Every teacher and author page in a real Chromium (issue 11, "Done when"): no serious or
critical axe violation, no console error, no failed or 4xx/5xx request, no CSP violation, for a
teacher who is also an author, on a class with a finished quiz attempt."""

import pytest
from django.utils import timezone

from courses import services as course_services
from courses.models import AssignmentKind, Classroom, LessonSet
from quizzes.models import Card, CardFlag, Question
from quizzes.services import attempt_finish, attempt_start
from tests.browser.test_student_pages import serious_violations, sign_in, watch
from tests.factories import TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_teacher_and_author_page_passes_axe_without_console_errors(
    student, live_server, page
):
    classroom = Classroom.objects.get(enrollments__student=student)
    teacher = TeacherFactory(username="tea", is_staff=True, roles=["Teacher", "Author"])
    course_services.coteacher_add(classroom=classroom, username=teacher.username)
    quiz = course_services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=timezone.now() + timezone.timedelta(days=3),
        quiz_settings=course_services.QuizSettings(
            question_count=None,
            shuffle_questions=False,
            shuffle_options=False,
            attempts_allowed=2,
        ),
    )
    attempt = attempt_start(quiz=quiz.quiz, student=student, now=timezone.now())
    attempt_finish(attempt=attempt, now=timezone.now())
    CardFlag.objects.create(card=Card.objects.first(), student=student, note="Unclear wording")
    question = Question.objects.filter(type="short_answer").first() or Question.objects.first()

    problems = watch(page)
    sign_in(page, live_server, "tea")
    c, s = classroom.pk, student.pk
    pages = [
        "/",
        "/classes/new/",
        "/classes/archived/",
        f"/classes/{c}/",
        f"/classes/{c}/join-link/",
        f"/classes/{c}/archive/",
        f"/classes/{c}/assignments/new/",
        f"/classes/{c}/assignments/{quiz.pk}/",
        f"/classes/{c}/gradebook/",
        f"/classes/{c}/item-analysis/",
        f"/classes/{c}/scheduling/",
        f"/classes/{c}/students/{s}/",
        f"/classes/{c}/students/{s}/remove/",
        "/author/",
        "/author/guide/",
        "/questions/",
        f"/questions/{question.key}/",
        "/cards/reported/",
    ]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.cspViolations || []") == [], path
        assert serious_violations(page) == [], path
    assert problems == []
