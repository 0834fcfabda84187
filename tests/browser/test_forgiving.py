"""Issue 11's forgiving pages in a real Chromium, with JavaScript on and off: confirmations,
undo, the assignment form, join links, and the first sign-in after a roster import. Every page
touched passes axe with no serious or critical violation."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from courses import services
from courses.models import Assignment, Classroom, Enrollment
from tests.factories import PASSWORD, StudentFactory, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def serious(page, javascript: bool = True) -> list[str]:
    """axe's serious and critical violations. axe runs as a script in the page, which a page
    with JavaScript off cannot run: the same HTML is checked in the run with JavaScript on."""
    if not javascript:
        return []
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture
def open_page(browser):
    """`open_page(javascript)`: a page in a context of its own, with JavaScript on or off."""
    contexts = []

    def opened(javascript: bool = True):
        context = browser.new_context(java_script_enabled=javascript)
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


def log_in_as(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def period_5(mini):
    teacher = TeacherFactory(username="tea", first_name="Tea", last_name="Cher")
    classroom = services.classroom_create(name="Period 5", teacher=teacher)
    student = StudentFactory(username="stu", first_name="Stu", last_name="Dent")
    services.enrollment_add(classroom=classroom, student=student)
    return classroom


@JS
def test_archiving_asks_first_and_the_archived_class_is_restored(
    period_5, live_server, open_page, javascript
):
    teacher = open_page(javascript)
    log_in_as(teacher, live_server.url, "tea")
    teacher.get_by_role("link", name="Period 5").click()

    teacher.get_by_role("link", name="Archive this class…").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Archive Period 5?")
    assert serious(teacher, javascript) == []
    teacher.get_by_role("link", name="Cancel").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Period 5")
    assert Classroom.objects.get().archived_at is None

    teacher.get_by_role("link", name="Archive this class…").click()
    teacher.get_by_role("button", name="Archive the class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Archived classes")
    expect(teacher.get_by_role("status")).to_contain_text("Period 5 is archived.")
    assert serious(teacher, javascript) == []
    assert Classroom.objects.get().archived_at is not None

    teacher.get_by_role("link", name="Back to your dashboard").click()
    expect(teacher.get_by_role("link", name="Period 5")).to_have_count(0)
    teacher.get_by_role("link", name="Archived classes").click()
    teacher.get_by_role("button", name="Restore Period 5").click()
    expect(teacher.get_by_role("status")).to_contain_text("Period 5 is restored")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Period 5")
    assert Classroom.objects.get().archived_at is None


@JS
def test_removing_a_student_asks_first_and_can_be_undone(
    period_5, live_server, open_page, javascript
):
    teacher = open_page(javascript)
    log_in_as(teacher, live_server.url, "tea")
    teacher.goto(f"{live_server.url}/classes/{period_5.pk}/")
    students = teacher.get_by_role("region", name="Students")

    students.get_by_role("link", name="Remove stu from the class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Remove Stu Dent from Period 5?")
    assert serious(teacher, javascript) == []
    teacher.get_by_role("button", name="Remove from the class").click()

    expect(teacher.get_by_role("status")).to_contain_text("stu was removed")
    expect(students.get_by_role("table")).to_have_count(0)
    undo = students.get_by_role("button", name="Undo the removal of stu")
    expect(undo).to_be_visible()
    assert serious(teacher, javascript) == []
    assert Enrollment.objects.get().removed_at is not None

    undo.click()
    expect(teacher.get_by_role("status")).to_contain_text("stu is back in the class.")
    expect(students.get_by_role("link", name="Stu Dent")).to_be_visible()
    expect(students.get_by_role("button", name="Undo the removal of stu")).to_have_count(0)
    assert Enrollment.objects.get().removed_at is None


def test_the_assignment_form_shows_the_chosen_kinds_settings_and_names_itself(
    period_5, live_server, open_page
):
    teacher = open_page(True)
    log_in_as(teacher, live_server.url, "tea")
    teacher.goto(f"{live_server.url}/classes/{period_5.pk}/assignments/new/")
    quiz_settings = teacher.get_by_role("group", name="Quiz settings")
    study_goal = teacher.get_by_role("group", name="Study goal")

    expect(teacher.get_by_label("Study goal", exact=True)).to_be_checked()
    expect(study_goal).to_be_visible()
    expect(quiz_settings).to_be_hidden()
    teacher.get_by_label("Quiz", exact=True).check()
    expect(quiz_settings).to_be_visible()
    expect(study_goal).to_be_hidden()

    title = teacher.get_by_label("Title")
    # Date-time inputs look like the other inputs: the same border, padding and font.
    due = teacher.get_by_label("Due")
    for prop in ("border-top-width", "border-top-color", "padding-top", "font-size"):
        assert due.evaluate(f"e => getComputedStyle(e)['{prop}']") == title.evaluate(
            f"e => getComputedStyle(e)['{prop}']"
        ), prop
    teacher.get_by_label("Lesson set").select_option(label="The mini set")
    expect(title).to_have_value("The mini set")
    teacher.get_by_label("Lesson set").select_option(value="")
    expect(title).to_have_value("")
    title.fill("Friday quiz")
    teacher.get_by_label("Lesson set").select_option(label="The mini set")
    expect(title).to_have_value("Friday quiz")  # the teacher's own title stays

    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    teacher.get_by_label("Due").fill(yesterday)
    teacher.get_by_role("button", name="Assign").click()
    expect(teacher.get_by_text("This due date is in the past")).to_be_visible()
    expect(quiz_settings).to_be_visible()  # the chosen kind came back checked
    assert serious(teacher) == []
    assert not Assignment.objects.exists()
    teacher.get_by_label("Yes, assign it with this due date in the past").check()
    teacher.get_by_role("button", name="Assign").click()
    expect(teacher.get_by_role("status")).to_contain_text("Assigned.")
    assignment = Assignment.objects.get()
    assert (assignment.title, assignment.kind) == ("Friday quiz", "quiz")


def test_without_javascript_the_assignment_form_shows_every_setting(
    period_5, live_server, open_page
):
    teacher = open_page(False)
    log_in_as(teacher, live_server.url, "tea")
    teacher.goto(f"{live_server.url}/classes/{period_5.pk}/assignments/new/")
    expect(teacher.get_by_role("group", name="Study goal")).to_be_visible()
    expect(teacher.get_by_role("group", name="Quiz settings")).to_be_visible()
    expect(teacher.get_by_label("Target recall (%)")).to_have_value("85")

    teacher.get_by_label("Lesson set").select_option(label="The mini set")
    due_at = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    teacher.get_by_label("Due").fill(due_at)
    teacher.get_by_label("Target recall (%)").fill("90")
    teacher.get_by_role("button", name="Assign").click()
    expect(teacher.get_by_role("status")).to_contain_text("Assigned.")
    assignment = Assignment.objects.get()
    assert assignment.title == "The mini set" and assignment.target_recall == pytest.approx(0.9)


@JS
def test_a_join_link_signs_in_then_asks_before_joining(
    period_5, live_server, open_page, javascript
):
    StudentFactory(username="newbie")
    student = open_page(javascript)
    code = period_5.join_code
    student.goto(f"{live_server.url}/join/{code}/")
    student.get_by_label("Username").fill("newbie")
    student.get_by_label("Password").fill(PASSWORD)
    student.get_by_role("button", name="Log in").click()

    expect(student.get_by_role("heading", level=1)).to_have_text("Join Period 5?")
    expect(student.get_by_label("Join a class with a code")).to_have_value(code)
    assert serious(student, javascript) == []
    assert not Enrollment.objects.filter(student__username="newbie").exists()
    student.get_by_role("button", name="Join Period 5").click()
    expect(student.get_by_role("status")).to_contain_text("You joined Period 5.")
    assert Enrollment.objects.filter(student__username="newbie").exists()

    student.goto(f"{live_server.url}/join/")
    student.get_by_label("Join a class with a code").fill("WRONG234")
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_role("alert")).to_contain_text("No open class has that join code")
    expect(student.get_by_label("Join a class with a code")).to_have_value("WRONG234")
    assert serious(student, javascript) == []


def test_the_teacher_projects_the_join_link_and_its_qr_code(period_5, live_server, open_page):
    teacher = open_page(True)
    log_in_as(teacher, live_server.url, "tea")
    teacher.goto(f"{live_server.url}/classes/{period_5.pk}/")
    expect(teacher.get_by_role("img", name="QR code of the join link")).to_be_visible()
    assert serious(teacher) == []

    teacher.get_by_role("link", name="Join link and QR code").click()
    link = f"{live_server.url}/join/{period_5.join_code}/"
    qr = teacher.get_by_role("img", name=f"QR code of the join link {link}")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth > 0 && img.complete")  # the SVG was drawn
    box = qr.bounding_box()
    assert box["width"] >= 300 and box["width"] == pytest.approx(box["height"], abs=1)
    expect(teacher.get_by_role("link", name=link)).to_be_visible()
    assert serious(teacher) == []


def test_first_sign_in_after_a_roster_import(period_5, live_server, open_page, tmp_path):
    teacher = open_page(True)
    log_in_as(teacher, live_server.url, "tea")
    teacher.goto(f"{live_server.url}/classes/{period_5.pk}/")
    roster = tmp_path / "roster.csv"
    roster.write_text("kit,Kit Lee,\n", encoding="utf-8")
    teacher.get_by_label(re.compile("^Roster")).set_input_files(roster)
    teacher.get_by_role("button", name="Import roster").click()
    code = teacher.locator("tbody code").inner_text()

    student = open_page(True)
    student.goto(f"{live_server.url}/accounts/login/")
    student.get_by_role("link", name="New here, with a sign-in code from your teacher?").click()
    student.get_by_label("Username").fill("kit")
    student.get_by_label("Sign-in code").fill(code)
    student.get_by_role("button", name="Sign in").click()

    expect(student.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(student.get_by_text("You signed in with your one-time code")).to_be_visible()
    expect(student.get_by_label("Old password")).to_have_count(0)
    assert serious(student) == []
    student.get_by_label("New password:", exact=True).fill("kit-chooses-2026!")
    student.get_by_label("New password confirmation:").fill("kit-chooses-2026!")
    student.get_by_role("button", name="Save password").click()
    expect(student.get_by_role("status")).to_contain_text("Your password is changed.")
    expect(student.get_by_role("heading", level=1)).to_have_text(re.compile("^Welcome"))
