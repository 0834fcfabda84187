"""A teacher reads the results in a real Chromium (issue 11, "Results"): the class overview's
chart, an assignment's own page from the gradebook, a student's answers linked to their
questions in the item analysis, and no serious accessibility violation on any of these pages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses import services
from courses.models import Assignment, AssignmentKind, LessonSet
from quizzes.models import Card, Question
from quizzes.services import review_record
from tests.browser.test_teacher import log_in_as, serious
from tests.courses.test_teaching import quiz_assignment, take
from tests.factories import StudentFactory, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def a_class(mini):
    """Six students: a quiz that five took and is now overdue for the sixth, and a study goal
    that one student met."""
    teacher = TeacherFactory(username="tea", first_name="Tea")
    classroom = services.classroom_create(name="Period 7", teacher=teacher)
    names = ["Ana", "Ben", "Cat", "Dan", "Eve", "Fay"]
    students = [StudentFactory(first_name=name, last_name="Test") for name in names]
    for student in students:
        services.enrollment_add(classroom=classroom, student=student)
    quiz = quiz_assignment(classroom, teacher)
    for i, student in enumerate(students[:5]):
        take(quiz, student, set(range(i + 2)))
    Assignment.objects.filter(pk=quiz.pk).update(due_at=timezone.now() - timedelta(hours=2))
    goal = services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.STUDY,
        due_at=timezone.now() + timedelta(days=5),
        target_recall=0.5,
    )
    for card in Card.objects.all():
        review_record(student=students[0], card=card, rating=3, reviewed_at=timezone.now())
    review_record(student=students[1], card=Card.objects.first(), rating=3,
                  reviewed_at=timezone.now() - timedelta(days=3))  # fmt: skip
    return classroom, quiz, goal, students


def test_a_teacher_reads_the_results_page_by_page(a_class, live_server, page):
    classroom, quiz, _goal, _students = a_class
    base = live_server.url
    log_in_as(page, base, "tea")

    page.get_by_role("link", name="Period 7").click()
    chart = page.locator("figure.retention-chart")
    expect(chart.locator(".legend")).to_contain_text("Now")
    expect(chart.locator(".legend")).to_contain_text("In 7 days")
    expect(chart.locator("svg .axis")).to_contain_text("100%")
    expect(chart.get_by_role("table")).to_contain_text("A mini lesson")
    summary = page.get_by_role("table").first
    expect(summary).to_contain_text("1 / 6")  # the goal met by one of six
    assert serious(page) == []

    page.get_by_role("link", name="Gradebook").click()
    ben = page.get_by_role("row").filter(has_text="Ben Test")
    expect(ben).to_contain_text("1 of 5 cards studied")
    expect(ben).to_contain_text("(target 50%)")
    expect(page.get_by_role("row").filter(has_text="Ana Test")).to_contain_text("goal met")
    assert serious(page) == []

    page.get_by_role("columnheader").get_by_role("link", name=quiz.title).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(quiz.title)
    rows = page.locator("table.assignment-students tbody tr")
    expect(rows.first).to_contain_text("Fay Test")  # the one overdue comes first
    expect(rows.first).to_contain_text("overdue")
    expect(rows).to_have_count(6)
    assert serious(page) == []

    page.get_by_role("link", name="Ben Test").click()
    expect(page.get_by_role("heading", name="Quiz attempts")).to_be_visible()
    answers = page.locator("article.attempt table")
    expect(answers.get_by_role("columnheader", name="Right answer")).to_be_visible()
    assert serious(page) == []

    single = Question.objects.get(key="mini-single")
    answers.get_by_role("link", name="What do alliances need?").click()
    expect(page).to_have_url(f"{base}/classes/{classroom.pk}/item-analysis/"
                             f"?assignment={quiz.pk}#question-{single.pk}")  # fmt: skip
    target = page.locator("tr:target")
    expect(target).to_contain_text("What do alliances need?")
    expect(target).to_contain_text("Shared interests and ideology")
    expect(target.get_by_role("cell").nth(0)).to_have_text("5")  # answers
    assert serious(page) == []


def test_a_teacher_without_the_class_gets_not_found_for_its_assignment_page(
    a_class, live_server, page
):
    classroom, quiz, _goal, _students = a_class
    TeacherFactory(username="other")
    log_in_as(page, live_server.url, "other")
    response = page.goto(f"{live_server.url}/classes/{classroom.pk}/assignments/{quiz.pk}/")
    assert response.status == 404
