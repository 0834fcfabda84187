"""A teacher and a student in a real Chromium: a class from creation to item analysis."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Classroom
from tests.factories import PASSWORD, StudentFactory, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious(page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def log_in_as(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()


def test_a_class_from_creation_to_the_gradebook(mini, live_server, two_people):
    TeacherFactory(username="tea", first_name="Tea")
    StudentFactory(username="stu", first_name="Stu")
    base = live_server.url
    teacher, student = two_people

    log_in_as(teacher, base, "tea")
    teacher.get_by_role("link", name="Create a class").click()
    teacher.get_by_label("Class name").fill("Period 5")
    teacher.get_by_role("button", name="Create class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Period 5")
    code = Classroom.objects.get(name="Period 5").join_code
    expect(teacher.locator(".code")).to_have_text(code)

    log_in_as(student, base, "stu")
    student.get_by_label("Join a class with a code").fill(code)
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_text("You joined Period 5.")).to_be_visible()

    teacher.get_by_role("link", name="New assignment").click()
    teacher.get_by_label("Lesson set").select_option(label="The mini set")
    teacher.get_by_label("Quiz", exact=True).check()
    due = (timezone.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    teacher.get_by_label(re.compile(r"^Due")).fill(due)
    teacher.get_by_label("Number of questions (empty for all)").fill("")
    teacher.get_by_label("Shuffle questions and options").uncheck()
    teacher.get_by_role("button", name="Assign").click()
    expect(teacher.get_by_text("Assigned.")).to_be_visible()
    assert serious(teacher) == []

    student.goto(f"{base}/")
    student.get_by_role("link", name="Take the quiz").click()
    student.get_by_role("button", name="Start quiz").click()
    panel = student.locator("#question-panel")
    for _ in range(2):  # part of it: two questions, then finish
        panel.locator("input[type=radio], input[type=checkbox]").first.check()
        panel.get_by_role("button", name="Check answer").click()
        expect(panel.get_by_role("status")).to_be_visible()
        panel.get_by_role("button", name="Next question").click()
        expect(panel.get_by_role("button", name="Check answer")).to_be_visible()
    student.get_by_role("link", name="Finish attempt…").click()
    student.get_by_role("link", name="Submit all and finish…").click()
    student.get_by_role("button", name="Submit all and finish").click()
    expect(student.get_by_role("heading", level=1)).to_contain_text("Results")

    teacher.goto(f"{base}/")
    teacher.get_by_role("link", name="Period 5").click()
    teacher.get_by_role("link", name="Gradebook").click()
    table = teacher.get_by_role("table")
    expect(table).to_contain_text("Stu")
    expect(table).to_contain_text(re.compile(r"\d+%"))
    assert serious(teacher) == []

    teacher.get_by_role("link", name="Item analysis").click()
    expect(teacher.get_by_text("Based on 1 student's first finished attempt.")).to_be_visible()
    expect(teacher.get_by_role("table")).to_contain_text("mini-single")
    assert serious(teacher) == []

    teacher.get_by_role("link", name="Overview").click()
    expect(teacher.get_by_role("heading", name="Class retention")).to_be_visible()
    assert serious(teacher) == []

    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Export CSV").click()
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["username", "name"]
    assert re.fullmatch(r"The mini set \(due \d{4}-\d\d-\d\d\): assigned", rows[0][2])
    assert ["stu", "Stu"] in [row[:2] for row in rows]

    teacher.get_by_role("main").get_by_role("link", name="Stu", exact=True).click()
    expect(teacher.get_by_role("heading", name="Quiz attempts")).to_be_visible()
    assert serious(teacher) == []
