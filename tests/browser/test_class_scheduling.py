"""A class's scheduling page in a real Chromium (issue 13): the class's teacher sees the fit in
force with its evidence, and the cost of a typed desired retention before anyone saves it, with
htmx and without JavaScript; nothing is saved. Free of serious axe violations, console errors,
failed requests and CSP violations."""

import re

import pytest
from playwright.sync_api import expect

from courses.fitting import fit_put_in_force
from courses.models import Classroom, Course
from tests.browser.test_student_pages import serious_violations, sign_in, watch
from tests.courses.test_author_scheduling import _winning_fit
from tests.factories import TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def classroom(student) -> Classroom:
    """The mini course's class, taught by "tea", with a fit of the course in force."""
    classroom = Classroom.objects.get(enrollments__student=student)
    classroom.teachers.add(TeacherFactory(username="tea"))
    fit_put_in_force(fit=_winning_fit(Course.objects.get(key="mini")))
    return classroom


def test_the_teacher_sees_the_evidence_and_the_cost_of_a_typed_retention(
    classroom, live_server, page
):
    course = Course.objects.get(key="mini")
    problems = watch(page)
    sign_in(page, live_server, "tea")
    page.goto(f"{live_server.url}/classes/{classroom.pk}/")
    page.get_by_role("link", name="Scheduling").click()

    expect(page.locator(f"#in-force-{course.pk}")).to_contain_text("on a log of 1500 reviews")
    expect(page.locator(f"#retention-{course.pk}")).to_contain_text("0.90 (now)")
    field = page.get_by_label("The cost of another desired retention")
    expect(field).to_have_value("0.9")
    # htmx takes the field over once the page has loaded: typed into sooner, it asks nothing.
    page.wait_for_load_state("load")

    field.fill("0.87")

    preview = page.locator(f"#retention-preview-{course.pk}")
    expect(preview).to_contain_text(re.compile(r"At 0\.87: [\d.]+ minutes and [\d.]+ reviews"))
    field.fill("2")
    expect(preview.get_by_role("alert")).to_be_visible()
    assert Course.objects.get(key="mini").desired_retention == 0.9
    assert page.evaluate("window.cspViolations || []") == []
    assert serious_violations(page) == []
    assert problems == []


def test_without_javascript_preview_is_a_button(classroom, live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        course = Course.objects.get(key="mini")
        page = context.new_page()
        problems = watch(page)
        sign_in(page, live_server, "tea")
        page.goto(f"{live_server.url}/classes/{classroom.pk}/scheduling/")
        page.get_by_label("The cost of another desired retention").fill("0.82")

        page.get_by_role("button", name="Preview").click()

        expect(page.locator(f"#retention-preview-{course.pk}")).to_contain_text("At 0.82: ")
        field = page.get_by_label("The cost of another desired retention")
        expect(field).to_have_value("0.82")
        assert Course.objects.get(key="mini").desired_retention == 0.9
        assert problems == []
    finally:
        context.close()
