"""A quiz in a real Chromium, with JavaScript on and off: errors that must be seen, focus on the
question's first input, the navigator and its flags, Moodle's summary page and its
confirmation, the countdown of a timed attempt, the review's grid, and Yes/No questions; each
page passes the accessibility check, at phone width where it matters."""

import re
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from content.loader import load_content
from quizzes import services
from quizzes.grading import key_response
from quizzes.models import Attempt, QuestionVersion, Quiz
from tests.browser.test_student import serious_violations
from tests.conftest import MINI_COURSE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORDERING, CLOZE = 6, 7  # positions in the mini quiz, which is not shuffled


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def js(request):
    return request.param


@pytest.fixture
def quiz_page(browser, live_server, student, js):
    """A signed-in student's page, with JavaScript on or off."""
    context = browser.new_context(java_script_enabled=js)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("stu")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    yield page
    context.close()


@pytest.fixture
def quiz(student) -> Quiz:
    return Quiz.objects.get(key="lesson-mini-lesson")


def attempt_at(quiz, student, position: int) -> Attempt:
    """Start an attempt and answer (rightly) the questions before `position`, as the services
    record them."""
    now = timezone.now()
    attempt = services.attempt_start(quiz=quiz, student=student, now=now)
    for p in range(position):
        attempt.refresh_from_db()
        version = QuestionVersion.objects.get(pk=attempt.versions[p])
        services.answer_record(
            attempt=attempt,
            seq=attempt.seq,
            position=p,
            response=key_response(version.type, version.answer_key),
            now=now,
            day_start=now - timedelta(hours=1),
        )
        attempt.refresh_from_db()
        if attempt.position == p:
            services.attempt_advance(attempt=attempt, seq=attempt.seq)
    attempt.refresh_from_db()
    return attempt


# 1. Errors are shown, with focus on them -------------------------------------------------------


def test_an_ordering_with_a_place_used_twice_shows_its_message(
    quiz_page, live_server, quiz, student, js
):
    page = quiz_page
    attempt = attempt_at(quiz, student, ORDERING)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    panel = page.locator("#question-panel")
    selects = panel.locator("select")
    expect(selects).to_have_count(3)
    if js:
        # Drag and drop (below) always sends each place once; the selects it fills, hidden,
        # are given a place twice here, as a page drawn before it would send them.
        expect(panel.locator(".sortable")).to_be_visible()
        for select, place in zip(selects.all(), ["1", "1", "2"], strict=True):
            select.evaluate("(el, value) => { el.value = value; }", place)
    else:
        for select, place in zip(selects.all(), ["1", "1", "2"], strict=True):
            select.select_option(place)

    panel.get_by_role("button", name="Check answer").click()

    errors = panel.get_by_role("alert").filter(has_text="Give each item a different place.")
    expect(errors).to_be_visible()
    if js:
        expect(errors).to_be_focused()
    expect(selects.first).to_have_value("1")  # the student's choices are kept
    assert not attempt.answers.filter(position=ORDERING).exists()

    # Put right, the same form is answered.
    right = ["Zebra first", "Apple second", "Mango third"]
    for label, place in zip(right, ["1", "2", "3"], strict=True):
        field = panel.locator("p.field", has_text=label).locator("select")
        if js:
            field.evaluate("(el, value) => { el.value = value; }", place)
        else:
            field.select_option(place)
    panel.get_by_role("button", name="Check answer").click()
    expect(panel.get_by_role("status")).to_contain_text("Right answer:")
    assert attempt.answers.count() == ORDERING + 1


def test_an_empty_cloze_shows_its_message(quiz_page, live_server, quiz, student, js):
    page = quiz_page
    attempt = attempt_at(quiz, student, CLOZE)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    panel = page.locator("#question-panel")

    panel.get_by_role("button", name="Check answer").click()

    errors = panel.get_by_role("alert").filter(has_text="Fill in at least one blank.")
    expect(errors).to_be_visible()
    if js:
        expect(errors).to_be_focused()
    assert not attempt.answers.filter(position=CLOZE).exists()


# 2. Focus on the question's first input --------------------------------------------------------


def test_focus_lands_on_the_first_input_of_each_question(page, log_in, live_server, quiz, student):
    log_in("stu", PASSWORD)
    attempt = attempt_at(quiz, student, 3)  # a short answer
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    panel = page.locator("#question-panel")
    expect(panel.get_by_role("textbox")).to_be_focused()

    page.keyboard.type("ideology")
    page.keyboard.press("Enter")
    expect(panel.get_by_role("status")).to_be_focused()
    panel.get_by_role("button", name="Next question").click()
    expect(panel).to_contain_text("Question 5 of 8")
    expect(panel.get_by_role("textbox")).to_be_focused()
    page.keyboard.type("1977")
    page.keyboard.press("Enter")
    panel.get_by_role("button", name="Next question").click()
    expect(panel).to_contain_text("Question 6 of 8")
    # Matching: drag and drop hides the selects; focus is on its first working button.
    expect(panel.locator(".sortable button:focus")).to_have_attribute("data-move", "down")
    expect(panel.get_by_role("button", name="Check answer")).not_to_be_focused()


# 3. The summary page and its confirmation ------------------------------------------------------


def test_the_summary_lists_the_questions_and_submits_after_a_confirmation(
    quiz_page, live_server, quiz, student, js
):
    page = quiz_page
    page.set_viewport_size({"width": 375, "height": 800})
    attempt = attempt_at(quiz, student, 2)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    page.get_by_role("button", name="Flag question 3 for later").click()
    expect(page.get_by_role("button", name="Remove the flag from question 3")).to_be_visible()

    page.get_by_role("link", name="Finish attempt…").click()

    expect(page).to_have_url(f"{live_server.url}/attempts/{attempt.pk}/summary/")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(8)
    expect(rows.nth(0)).to_contain_text("Answered")
    expect(rows.nth(2)).to_contain_text("Not yet answered")
    expect(rows.nth(2)).to_contain_text("Flagged")
    assert not js or serious_violations(page) == []  # axe runs as a script
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_role("link", name="Return to attempt").click()  # and back
    expect(page.locator("#question-panel")).to_contain_text("Question 3 of 8")
    page.get_by_role("link", name="Finish attempt…").click()

    page.get_by_role("link", name="Submit all and finish…").click()
    heading = page.get_by_role("heading", name="Submit all your answers and finish?")
    expect(heading).to_be_visible()
    if js:
        expect(heading).to_be_focused()
    expect(page.get_by_text("6 questions are not answered and will score nothing.")).to_be_visible()
    assert not js or serious_violations(page) == []  # axe runs as a script
    attempt.refresh_from_db()
    assert attempt.finished_at is None

    page.get_by_role("link", name="Cancel").click()  # a second thought
    expect(page.get_by_role("link", name="Submit all and finish…")).to_be_visible()
    page.get_by_role("link", name="Submit all and finish…").click()
    page.get_by_role("button", name="Submit all and finish").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Results")
    attempt.refresh_from_db()
    assert attempt.finished_at is not None


# 4. The navigator and flags --------------------------------------------------------------------


def test_flag_for_later_keeps_what_the_student_chose(quiz_page, live_server, quiz, student, js):
    page = quiz_page
    page.set_viewport_size({"width": 375, "height": 800})
    attempt = attempt_at(quiz, student, 1)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    nav = page.locator("#question-nav")
    boxes = nav.locator(".qbox")
    expect(boxes).to_have_count(8)
    expect(boxes.nth(0)).to_have_class(re.compile(r"\banswered\b"))
    expect(boxes.nth(1)).to_have_attribute("aria-current", "step")
    expect(nav.get_by_role("link", name=re.compile(r"^\d"))).to_have_count(0)  # sequential
    assert not js or serious_violations(page) == []  # axe runs as a script
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#question-panel").get_by_role("checkbox").first.check()

    nav.get_by_role("button", name="Flag question 2 for later").click()

    unflag = nav.get_by_role("button", name="Remove the flag from question 2")
    expect(unflag).to_be_visible()
    expect(boxes.nth(1)).to_have_class(re.compile(r"\bflagged\b"))
    if js:  # swapped in place: focus stays on the button, the answer as it was
        expect(unflag).to_be_focused()
        expect(page.locator("#question-panel").get_by_role("checkbox").first).to_be_checked()
    attempt.refresh_from_db()
    assert attempt.flagged == [1]

    unflag.click()
    expect(nav.get_by_role("button", name="Flag question 2 for later")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.flagged == []


def test_free_navigation_jumps_saves_and_changes_an_answer(
    page, log_in, live_server, quiz, student
):
    quiz.navigation, quiz.feedback = "free", "end"
    quiz.save(update_fields=["navigation", "feedback"])
    log_in("stu", PASSWORD)
    attempt = services.attempt_start(quiz=quiz, student=student, now=timezone.now())
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    nav, panel = page.locator("#question-nav"), page.locator("#question-panel")

    nav.get_by_role("link", name=re.compile(r"^Question 3\b")).click()  # true or false

    expect(panel).to_contain_text("Question 3 of 8")
    expect(panel.get_by_role("radio").first).to_be_focused()
    panel.get_by_role("radio").first.check()
    panel.get_by_role("button", name="Save and go to the next question").click()
    expect(panel).to_contain_text("Question 4 of 8")  # swapped in by htmx
    expect(page).to_have_url(re.compile(r"\?question=4$"))
    box = nav.get_by_role("link", name=re.compile(r"^Question 3\b"))
    expect(box).to_have_class(re.compile(r"\banswered\b"))
    box.click()
    expect(panel).to_contain_text("Your answer is saved")
    expect(panel.get_by_role("radio").first).to_be_checked()
    assert serious_violations(page) == []
    nav.get_by_role("link", name="Finish attempt…").click()
    page.get_by_role("link", name="Question 3", exact=True).click()
    expect(panel).to_contain_text("Question 3 of 8")


# 5. The countdown ------------------------------------------------------------------------------


def test_a_timed_attempt_counts_down_and_the_server_ends_it(
    quiz_page, live_server, quiz, student, js
):
    page = quiz_page
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt = attempt_at(quiz, student, 0)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    deadline = page.locator(".deadline")
    expect(deadline).to_contain_text(re.compile(r"Time limit ends at \d\d:\d\d UTC"))
    countdown = deadline.locator(".countdown")
    if not js:
        expect(countdown).to_be_hidden()
        return
    expect(countdown).to_have_text(re.compile(r"^ \(time left (9:[0-5]\d|10:00)\)$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first)  # it ticks

    # Three seconds before the server's deadline: at zero the page goes back to the server,
    # which submits the attempt and shows the results.
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(minutes=10) + timedelta(seconds=3)
    )
    page.reload()
    expect(page).to_have_url(f"{live_server.url}/attempts/{attempt.pk}/review/", timeout=15_000)
    expect(page.get_by_text("Time is up: your attempt was submitted.")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.finished_at is not None


# 6. The review ---------------------------------------------------------------------------------


def test_the_review_grid_links_to_each_question(quiz_page, live_server, quiz, student, js):
    page = quiz_page
    page.set_viewport_size({"width": 375, "height": 800})
    attempt = attempt_at(quiz, student, 4)
    services.attempt_finish(attempt=attempt, now=timezone.now())
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/review/")

    grid = page.get_by_role("navigation", name="Questions")
    expect(grid.get_by_role("link")).to_have_count(8)
    first, seventh = (
        grid.get_by_role("link", name=re.compile(r"^1\W+correct$")),
        grid.get_by_role("link", name=re.compile(r"^7\W+not answered$")),
    )
    expect(first).to_be_visible()
    expect(seventh).to_be_visible()
    expect(page.locator(".mark").nth(0)).to_have_text("Mark 1.00 out of 1.00")
    expect(page.locator(".mark").nth(6)).to_have_text("Mark 0.00 out of 1.00")
    assert not js or serious_violations(page) == []  # axe runs as a script
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    seventh.click()
    expect(page).to_have_url(re.compile(r"#question-7$"))
    expect(page.locator("#question-7")).to_be_in_viewport()


# 7. Yes/No labels ------------------------------------------------------------------------------


def test_a_true_false_question_can_ask_yes_or_no(quiz_page, live_server, quiz, student, tmp_path):
    course = tmp_path / "mini-course"
    shutil.copytree(MINI_COURSE, course)
    lesson = course / "lessons" / "01-mini.yaml"
    lesson.write_text(
        lesson.read_text().replace(
            "    prompt: Shared interests alone are enough.\n",
            "    prompt: Are shared interests alone enough?\n    labels: yes_no\n",
        )
    )
    load_content([course])
    page = quiz_page
    attempt = attempt_at(quiz, student, 2)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    panel = page.locator("#question-panel")
    expect(panel.get_by_role("group", name="Yes or no?")).to_be_visible()

    panel.get_by_label("No", exact=True).check()
    panel.get_by_role("button", name="Check answer").click()

    expect(panel.get_by_role("status")).to_contain_text("Correct")
    expect(panel.get_by_role("status")).to_contain_text("Your answer: No")


# 8. Drag and drop for ordering and matching, on top of the selects ----------------------------

MATCHING = 5


def test_an_ordering_question_is_put_in_order_by_keyboard(
    quiz_page, live_server, quiz, student, js
):
    page = quiz_page
    page.set_viewport_size({"width": 375, "height": 800})
    attempt = attempt_at(quiz, student, ORDERING)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    panel = page.locator("#question-panel")
    right = ["Zebra first", "Apple second", "Mango third"]
    if not js:  # the selects, as ever
        for label, place in zip(right, ["1", "2", "3"], strict=True):
            panel.get_by_label(label).select_option(place)
    else:
        rows = panel.locator(".sortable .item")
        expect(rows).to_have_count(3)
        expect(panel.get_by_role("combobox")).to_have_count(0)  # hidden, still in the form
        # Focus on the first row's first button that works ("Move … down").
        expect(panel.locator(".sortable button:focus")).to_have_attribute("data-move", "down")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        moved = 0
        for place, label in enumerate(right):
            while rows.all_inner_texts().index(label) > place:
                up = panel.get_by_role("button", name=f"Move {label} up")
                up.focus()
                page.keyboard.press("Enter")
                moved += 1
                expect(panel.get_by_role("status")).to_contain_text(f"{label} is now at place")
            expect(rows.nth(place)).to_have_text(label)
        if not moved:  # the shuffle may show them in order: move one down and back up
            panel.get_by_role("button", name="Move Zebra first down").click()
            expect(rows.nth(1)).to_have_text("Zebra first")
            panel.get_by_role("button", name="Move Zebra first up").click()
            expect(rows.nth(0)).to_have_text("Zebra first")
        for label, place in zip(right, ["1", "2", "3"], strict=True):
            field = panel.locator("p.field", has_text=label).locator("select")
            expect(field).to_have_value(place)

    panel.get_by_role("button", name="Check answer").click()

    expect(panel.get_by_role("status")).to_contain_text("Correct")
    assert attempt.answers.get(position=ORDERING).correct


def drag(page, source, target) -> None:
    box, to = source.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + to["height"] / 2, steps=8)
    page.mouse.up()


def test_a_matching_question_is_answered_by_dragging(page, log_in, live_server, quiz, student):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in("stu", PASSWORD)
    attempt = attempt_at(quiz, student, MATCHING)
    page.goto(f"{live_server.url}/attempts/{attempt.pk}/")
    panel = page.locator("#question-panel")
    rows = panel.locator(".sortable .sortable-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".left")).to_have_text("Treaty")
    expect(rows.nth(1).locator(".left")).to_have_text("Troops")
    first, second = (rows.nth(i).locator(".item") for i in (0, 1))
    expect(first).to_have_text("1977")

    drag(page, second, first)  # "40,000" up to the treaty: wrong

    expect(first).to_have_text("40,000")
    expect(rows.nth(0).locator(".left")).to_have_text("Treaty")  # the lefts stay put
    matches = [panel.locator(f"select[name=match_{i}]") for i in (0, 1)]
    expect(matches[0].locator("option:checked")).to_have_text("40,000")
    expect(matches[1].locator("option:checked")).to_have_text("1977")

    drag(page, first, second)  # and back
    expect(first).to_have_text("1977")
    expect(matches[0].locator("option:checked")).to_have_text("1977")
    panel.get_by_role("button", name="Check answer").click()

    expect(panel.get_by_role("status")).to_contain_text("Correct")
    assert attempt.answers.get(position=MATCHING).correct
