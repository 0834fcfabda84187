"""Accepting a response after the fact in a real Chromium: a teacher for the class, an author
for everyone, and what the student then reads on the attempt's review."""

import re

import pytest
from playwright.sync_api import expect

from quizzes.models import Card, Question, Rating, Regrade, ReviewLog
from tests.browser.test_teacher import log_in_as, serious
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory
from tests.quizzes.test_regrade import _class, _join, answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accepting_a_response_regrades_the_score_the_gradebook_and_the_schedule(
    mini,
    live_server,
    two_people,
    browser,
):
    teacher_user = TeacherFactory(username="tea", first_name="Tea", last_name="Cher")
    student_user = StudentFactory(username="stu", first_name="Stu")
    AuthorFactory(username="aut", first_name="Ada", last_name="Author")
    question = Question.objects.get(key="mini-short")
    Card.objects.create(key="mini-short-card", lesson=question.lesson, question=question,
                        front="Q", back="A")  # fmt: skip
    classroom, assignment = _class(teacher_user)
    _join(classroom, student_user)
    given = answer(assignment.quiz, student_user, "mini-short", {"text": "Common values"})
    other = answer(assignment.quiz, StudentFactory(), "mini-short", {"text": "shared beliefs"})
    assert ReviewLog.objects.get(answer=given).rating == Rating.AGAIN
    base = live_server.url
    teacher, student = two_people

    log_in_as(teacher, base, "tea")
    teacher.goto(f"{base}/classes/{classroom.pk}/gradebook/")
    expect(teacher.get_by_role("table")).to_contain_text("0%")
    teacher.goto(f"{base}/classes/{classroom.pk}/item-analysis/")
    teacher.get_by_text("1 different wrong response").click()
    teacher.get_by_role("button", name="Accept “Common values” for this class").click()
    expect(teacher.get_by_text(re.compile(
        "Accepted “Common values”: 1 answer of 1 student regraded; 1 attempt score changed; "
        "1 flashcard schedule corrected"
    ))).to_be_visible()  # fmt: skip
    assert serious(teacher) == []
    teacher.goto(f"{base}/classes/{classroom.pk}/gradebook/")
    share = round(100 / len(given.attempt.versions))
    expect(teacher.get_by_role("table")).to_contain_text(f"{share}%")
    assert ReviewLog.objects.get(answer=given).rating == Rating.GOOD
    assert Regrade.objects.get(answer=given).regraded_by == teacher_user

    log_in_as(student, base, "stu")
    student.goto(f"{base}/attempts/{given.attempt_id}/review/")
    expect(student.get_by_text(
        re.compile(r"Regraded on .* by Tea Cher: “Common values” is accepted; 0% → 100%\.")
    )).to_be_visible()  # fmt: skip
    expect(student.get_by_text(f"your score went from 0% to {share}%", exact=False)).to_be_visible()
    assert serious(student) == []

    context = browser.new_context()
    author = context.new_page()
    log_in_as(author, base, "aut")
    author.get_by_role("link", name="Typed answers to review").click()
    author.get_by_role("link", name="mini-short").click()
    expect(author.get_by_text("accepted by 1 class")).to_be_visible()
    author.get_by_role("button", name="Accept “shared beliefs” for everyone").click()
    expect(
        author.get_by_text("Accepted “shared beliefs”: 1 answer of 1 student regraded")
    ).to_be_visible()
    accepted = author.get_by_role("listitem").filter(has_text="by Ada Author")
    expect(accepted).to_contain_text("“shared beliefs”")
    assert serious(author) == []
    context.close()
    other.refresh_from_db()
    assert other.correct
