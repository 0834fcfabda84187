"""A student in a real Chromium: reviewing by keyboard, taking quizzes with and without
JavaScript, and pages that pass an accessibility check at phone width."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from quizzes.models import Answer, Attempt, MemoryState, ReviewLog
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


def test_a_review_session_by_keyboard_with_undo(student, log_in, live_server, page):
    log_in("stu", PASSWORD)
    page.goto(f"{live_server.url}/study/")
    card = page.locator("#review-card")

    expect(card.locator("a:focus")).to_have_text("Show answer")
    page.keyboard.press("Space")
    expect(card.get_by_role("button", name=re.compile("^Good"))).to_be_focused()
    expect(card.get_by_role("button", name=re.compile("^Again"))).to_contain_text(
        re.compile(r"\d+m")
    )
    first_front = card.locator(".front").inner_text()
    page.keyboard.press("4")  # Easy
    expect(card.locator(".front")).not_to_have_text(first_front)
    assert ReviewLog.objects.count() == 1

    page.keyboard.press("Control+z")
    expect(card.locator(".front")).to_have_text(first_front)
    assert ReviewLog.objects.count() == 0
    assert not MemoryState.objects.exists()

    for _ in range(3):  # the mini course allows three new cards a day
        expect(card.locator("a:focus")).to_have_text("Show answer")  # focus follows each swap
        page.keyboard.press("Enter")
        expect(card.get_by_role("button", name=re.compile("^Easy"))).to_be_visible()
        expect(card.get_by_role("button", name=re.compile("^Good"))).to_be_focused()
        page.keyboard.press("4")
        expect(card.locator(".back")).to_have_count(0)
    expect(card.get_by_role("heading", name="Done for today")).to_be_visible()
    expect(card.locator("h2:focus")).to_have_text("Done for today")
    assert ReviewLog.objects.filter(rating=4).count() == 3
    assert all(log.duration_ms is not None for log in ReviewLog.objects.all())


def submit_from_the_summary(page) -> None:
    """On the summary page: "Submit all and finish…", then confirm."""
    expect(page.get_by_role("heading", name="Summary of attempt")).to_be_visible()
    page.get_by_role("link", name="Submit all and finish…").click()
    page.get_by_role("button", name="Submit all and finish").click()


def take_quiz_to_the_end(page, *, javascript: bool = True) -> None:
    """Answer every remaining question of the mini quiz (the first option, or 1977 typed),
    then submit the attempt from the summary page. With JavaScript, matching and ordering
    are answered with the drag list's order; without it, through their selects."""
    panel = page.locator("#question-panel")
    while True:
        finish = panel.get_by_role("link", name="Finish attempt…").and_(panel.locator("a.button"))
        check = panel.get_by_role("button", name="Check answer")
        onward = panel.get_by_role("button", name="Next question")
        expect(finish.or_(check).or_(onward)).to_be_visible()
        number = re.search(r"Question (\d+) of", panel.inner_text()).group(1)
        if finish.is_visible():
            finish.click()
            submit_from_the_summary(page)
            return
        if onward.is_visible():
            onward.click()
            # Until the next question is in, "Next question" is still there to be seen again.
            expect(panel.get_by_text(f"Question {number} of")).to_have_count(0)
            continue
        radios = panel.get_by_role("radio")
        if radios.count():
            radios.first.check()
        for box in panel.get_by_role("checkbox").all()[:1]:
            box.check()
        for field in panel.get_by_role("textbox").all():
            field.fill("1977")
        if javascript and panel.locator("form[data-sortable]").count():
            # The drag list replaces the selects once htmx settles: wait for it, so the
            # selects are not caught between being counted and being hidden.
            expect(panel.locator(".sortable-host[data-ready]")).to_have_count(1)
        for i, select in enumerate(panel.get_by_role("combobox").all()):
            select.select_option(index=i + 1)
        check.click()
        status = panel.get_by_role("status")
        expect(status).to_have_text(re.compile(r"^\s*(Correct|Incorrect|Partly right: \d+%)"))
        expect(status).to_contain_text("Right answer:")
        onward = panel.get_by_role("button", name="Next question").or_(finish)
        if onward.inner_text().startswith("Finish"):
            onward.click()
            submit_from_the_summary(page)
            return
        onward.click()
        expect(panel.get_by_text(f"Question {number} of")).to_have_count(0)


def test_a_quiz_with_feedback_a_resumed_attempt_and_the_review(student, log_in, live_server, page):
    log_in("stu", PASSWORD)
    page.goto(f"{live_server.url}/lessons/mini-lesson/")
    page.get_by_role("link", name="Take quiz").first.click()
    page.get_by_role("button", name="Start quiz").click()
    panel = page.locator("#question-panel")
    expect(panel).to_contain_text("Question 1 of 8")

    page.wait_for_load_state("load")  # the whole page, not the part parsed so far
    source = page.content()
    assert "Both interests and ideology." not in source  # the explanation, before answering
    panel.get_by_label("Shared interests and ideology").check()
    panel.get_by_role("button", name="Check answer").click()
    expect(panel.get_by_role("status")).to_have_text(re.compile(r"^\s*Correct"))
    expect(panel.get_by_role("status")).to_be_focused()
    expect(panel).to_contain_text("A mini source")
    panel.get_by_role("button", name="Next question").click()
    expect(panel).to_contain_text("Question 2 of 8")
    expect(panel.get_by_role("checkbox").first).to_be_focused()  # the question's first input

    page.reload()  # the attempt survives a reload
    expect(page.locator("#question-panel")).to_contain_text("Question 2 of 8")
    page.goto(f"{live_server.url}/lessons/mini-lesson/quiz/")
    page.get_by_role("button", name="Resume attempt").click()
    expect(page.locator("#question-panel")).to_contain_text("Question 2 of 8")

    take_quiz_to_the_end(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Results")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"You scored \d+%"))
    expect(page.locator("ol.review > li")).to_have_count(8)
    attempt = Attempt.objects.get()
    assert attempt.finished_at is not None
    assert Answer.objects.filter(attempt=attempt).count() == 8


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_the_same_quiz_works_with_javascript_off(student, live_server, no_js_page):
    page = no_js_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("stu")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/lessons/mini-lesson/quiz/")
    page.get_by_role("button", name="Start quiz").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))
    page.get_by_label("Shared borders").check()
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\s*Incorrect"))
    take_quiz_to_the_end(page, javascript=False)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Results")
    assert Attempt.objects.get().finished_at is not None


def test_student_pages_pass_an_accessibility_check_at_phone_width(
    student, log_in, live_server, page
):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in("stu", PASSWORD)
    page.goto(f"{live_server.url}/lessons/mini-lesson/quiz/")
    page.get_by_role("button", name="Start quiz").click()
    expect(page.locator("#question-panel")).to_contain_text("Question 1 of 8")
    quiz_url = page.url
    for path in ["/", "/lessons/mini-lesson/", quiz_url, "/study/", "/settings/"]:
        page.goto(path if path.startswith("http") else f"{live_server.url}{path}")
        assert serious_violations(page) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto(f"{live_server.url}/study/")
    page.get_by_role("link", name="Show answer").click()
    expect(page.get_by_role("button", name=re.compile("^Good"))).to_be_visible()
    assert serious_violations(page) == []
