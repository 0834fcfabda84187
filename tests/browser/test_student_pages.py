"""The student's pages in a real Chromium (issue 10, "The dashboard and the rest"): quiz
results and due dates on the dashboard, the forecast, a class page, the lessons list and the
navigation, settings, messages, footnotes, and every page free of console errors, 404s and
CSP violations; with JavaScript off where it applies, at 375 px where it applies."""

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from courses import services as course_services
from courses.models import AssignmentKind, Classroom, LessonSet
from quizzes.models import Card, Quiz
from quizzes.services import attempt_finish, attempt_start, card_suspend, review_record
from tests.factories import PASSWORD, TeacherFactory
from tests.quizzes.test_regrade import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
ERROR_INK = "rgb(164, 38, 11)"  # --warn
OK_INK = "rgb(23, 102, 58)"  # --ok


def serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


def watch(page) -> list[str]:
    """What goes wrong on `page` from now on: console errors, page errors, 4xx/5xx responses
    and failed requests (the list fills as they come); CSP violations are counted in the page
    as `window.cspViolations`."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    # A request the browser aborted (net::ERR_ABORTED) was cancelled, by a navigation that
    # replaced the page (a refresh, a redirect) while it loaded: not a failure of the page.
    page.on(
        "requestfailed",
        lambda r: (
            problems.append(f"failed {r.url} ({r.failure})")
            if r.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " (window.cspViolations = window.cspViolations || []).push(e.violatedDirective); });"
    )
    return problems


def sign_in(page, live_server, username="stu"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


@pytest.fixture
def context_of(browser):
    """`context_of(**options)`: a fresh browser context (its own cookies), closed afterwards."""
    made = []

    def make(**options):
        context = browser.new_context(**options)
        made.append(context)
        return context.new_page()

    yield make
    for context in made:
        context.close()


@pytest.fixture
def class_quiz(student):
    """The student's class gets a teacher and a quiz of two attempts, due Friday 19 December
    2031 at 06:59 in Hanoi (23:59 UTC the day before)."""
    classroom = Classroom.objects.get(enrollments__student=student)
    teacher = TeacherFactory(username="tea", first_name="Tam", last_name="Tran")
    course_services.coteacher_add(classroom=classroom, username=teacher.username)
    assignment = course_services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=datetime(2031, 12, 18, 23, 59, tzinfo=UTC),
        quiz_settings=course_services.QuizSettings(
            question_count=None,
            shuffle_questions=False,
            shuffle_options=False,
            attempts_allowed=2,
        ),
    )
    assignment.title = "Unit quiz"
    assignment.save(update_fields=["title"])
    return assignment


def test_the_dashboard_shows_quiz_results_due_dates_and_the_forecast_without_javascript(
    student, class_quiz, live_server, context_of
):
    page = context_of(java_script_enabled=False, viewport=PHONE, timezone_id="Asia/Ho_Chi_Minh")
    sign_in(page, live_server)
    quiz_article = page.locator("article", has=page.get_by_role("heading", name="Unit quiz"))
    expect(quiz_article).to_contain_text("Not taken yet · 0 of 2 attempts used, 2 left")
    expect(page.get_by_text("Nothing due in the next 14 days.")).to_be_visible()

    # The site's zone is the student's setting, not the browser's.
    page.goto(f"{live_server.url}/settings/")
    page.get_by_label("Time zone").select_option("Asia/Ho_Chi_Minh")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your settings are saved.")
    graded = answer(class_quiz.quiz, student, "mini-short", {"text": "ideology"})
    for card in Card.objects.filter(lesson__key="mini-lesson")[:2]:
        review_record(
            student=student, card=card, rating=3, reviewed_at=timezone.now() - timedelta(days=1)
        )

    page.goto(f"{live_server.url}/")
    expect(quiz_article).to_contain_text(
        f"Best score {round(graded.attempt.score * 100)}% · 1 of 2 attempts used, 1 left"
    )
    expect(quiz_article).to_contain_text("Due Fri 19 Dec 2031, 06:59")
    expect(quiz_article).to_contain_text("Done ✓")
    expect(quiz_article.get_by_role("link", name="Try again")).to_be_visible()
    goal = page.locator("article", has=page.get_by_role("heading", name="The mini set")).first
    expect(goal).to_contain_text(re.compile(r"2 of \d+ cards studied"))
    expect(goal).to_contain_text(re.compile(r"Recall \d+% · target 85%"))
    expect(goal).not_to_contain_text("%)")  # no blended percentage

    forecast = page.locator(".forecast-bars")
    expect(forecast.locator("li")).to_have_count(14)
    expect(forecast.locator(".count").filter(has_text=re.compile(r"^\d+$"))).not_to_have_count(0)
    expect(forecast.locator(".day").first).to_contain_text(
        re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s*\d{1,2}$")
    )
    # Each lesson is linked once on the dashboard.
    expect(page.get_by_role("link", name="A mini lesson")).to_have_count(1)

    # The same page at 375 px, measured (page scripts run for that, not for the page).
    page = context_of(viewport=PHONE)
    sign_in(page, live_server)
    page.wait_for_load_state("load")  # its stylesheets applied: what is measured below
    days = page.locator(".forecast-bars .day")
    expect(days).to_have_count(14)
    boxes = [days.nth(i).bounding_box() for i in range(14)]
    assert all(a["x"] + a["width"] <= b["x"] + 0.5 for a, b in pairwise(boxes)), "no overlap"
    assert all(box["x"] + box["width"] <= 375 for box in boxes)
    assert float(days.first.evaluate("e => getComputedStyle(e).fontSize")[:-2]) >= 11
    counts = page.locator(".forecast-bars .count")
    assert float(counts.first.evaluate("e => getComputedStyle(e).fontSize")[:-2]) >= 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert serious_violations(page) == []


def test_a_class_page_lessons_list_and_the_navigation_without_javascript(
    student, class_quiz, live_server, context_of
):
    answer(class_quiz.quiz, student, "mini-short", {"text": "ideology"})
    page = context_of(java_script_enabled=False, viewport=PHONE)
    sign_in(page, live_server)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Learnhall")).to_have_attribute("aria-current", "page")

    nav.get_by_role("link", name="Classes").click()
    expect(nav.get_by_role("link", name="Classes")).to_have_attribute("aria-current", "page")
    expect(nav.locator("[aria-current]")).to_have_count(1)
    page.get_by_role("link", name=class_quiz.classroom.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(class_quiz.classroom.name)
    expect(page.get_by_text("Teacher: Tam Tran")).to_be_visible()
    expect(page.get_by_role("heading", name="Unit quiz")).to_be_visible()
    expect(page.get_by_role("link", name="Review attempt 1")).to_be_visible()

    nav.get_by_role("link", name="Lessons").click()
    expect(nav.get_by_role("link", name="Lessons")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lessons")
    page.get_by_role("link", name="A mini lesson").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A mini lesson")
    expect(nav.locator("[aria-current]")).to_have_count(0)

    nav.get_by_role("link", name="Study").click()
    expect(nav.get_by_role("link", name="Study")).to_have_attribute("aria-current", "page")


def test_the_lesson_numbers_footnotes_with_links_back_and_repeats_its_actions(
    student, live_server, context_of
):
    page = context_of(java_script_enabled=False)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/lessons/mini-lesson/")

    first = page.locator("sup.footnote-ref a").first
    expect(first).to_have_text("1")
    first.click()
    expect(page).to_have_url(re.compile(r"#fn-1$"))
    note = page.locator("#fn-1")
    expect(note).to_contain_text("shared interests and shared ideology")
    note.get_by_role("link", name=re.compile("Back to reference 1")).first.click()
    expect(page).to_have_url(re.compile(r"#fnref-1$"))
    # The citation no text refers to comes after the cited one.
    expect(page.locator("#fn-2")).to_contain_text("signed in 1977")
    end = page.get_by_role("navigation", name="Practise this lesson (end of the lesson)")
    expect(end.get_by_role("link", name="Study flashcards")).to_be_visible()
    end.get_by_role("link", name="Take quiz").click()
    expect(page).to_have_url(re.compile(r"/quizzes/\d+/$"))


def test_settings_preselect_the_browsers_zone_and_show_messages_and_errors_by_level(
    student, live_server, context_of
):
    page = context_of(viewport=PHONE, timezone_id="Asia/Ho_Chi_Minh")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/settings/")
    zone = page.get_by_label("Time zone")
    # Chromium names Vietnam's zone by its older alias.
    expect(zone).to_have_value(re.compile(r"^Asia/(Ho_Chi_Minh|Saigon)$"))
    expect(page.get_by_text("Preselected from your browser")).to_be_visible()
    assert zone.evaluate("e => e.querySelector('optgroup').label") == "Common time zones"
    expect(page.get_by_role("link", name="Change your password")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_role("button", name="Save").click()
    saved = page.locator(".message.success")
    expect(saved).to_have_attribute("role", "status")
    expect(saved).to_contain_text("Your settings are saved.")
    expect(saved).to_have_css("border-left-color", OK_INK)
    expect(zone).to_have_value(re.compile(r"^Asia/(Ho_Chi_Minh|Saigon)$"))
    expect(page.get_by_text("Preselected from your browser")).to_be_hidden()

    # A value the list does not offer (as a crafted form would post) is refused in the field.
    zone.evaluate("e => { e.add(new Option('Factory', 'Factory')); e.value = 'Factory'; }")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#id_time_zone_error")
    expect(error).to_contain_text("Select a valid choice")
    expect(error).to_have_css("color", ERROR_INK)
    expect(zone).to_have_attribute("aria-invalid", "true")
    assert "id_time_zone_error" in zone.get_attribute("aria-describedby").split()

    # A stale review form (its card is not in the student's reviews) comes back as an error.
    page.goto(f"{live_server.url}/settings/")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/study/";
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            for (const [name, value] of [["csrfmiddlewaretoken", token], ["action", "suspend"],
                                         ["card", "987654321"]]) {
                const field = document.createElement("input");
                field.type = "hidden";
                field.name = name;
                field.value = value;
                form.append(field);
            }
            document.body.append(form);
            form.submit();
        }"""
    )
    alert = page.locator(".message.error")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_have_css("border-left-color", ERROR_INK)


def test_the_settings_page_works_without_javascript(student, live_server, context_of):
    page = context_of(java_script_enabled=False, timezone_id="Asia/Ho_Chi_Minh")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/settings/")
    expect(page.get_by_label("Time zone")).to_have_value("UTC")  # nothing preselected
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your settings are saved.")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")


def test_every_student_page_loads_without_console_errors_404s_or_csp_violations(
    student, class_quiz, live_server, context_of
):
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    finished = attempt_start(quiz=quiz, student=student, now=timezone.now())
    attempt_finish(attempt=finished, now=timezone.now())
    open_attempt = attempt_start(quiz=class_quiz.quiz, student=student, now=timezone.now())
    suspended, reported = Card.objects.order_by("pk")[:2]
    card_suspend(student=student, card=suspended)
    page = context_of(viewport=PHONE)
    problems = watch(page)
    sign_in(page, live_server)
    pages = [
        "/",
        "/lessons/",
        "/lessons/mini-lesson/",
        "/study/",
        f"/quizzes/{quiz.pk}/",
        f"/attempts/{open_attempt.pk}/",
        f"/attempts/{finished.pk}/review/",
        "/settings/",
        "/classes/",
        f"/my-classes/{class_quiz.classroom_id}/",
        "/cards/suspended/",
        f"/cards/{reported.pk}/report/",
    ]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.cspViolations || []") == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        assert serious_violations(page) == [], path
    # The icon, the manifest and what it names are served.
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(f"{live_server.url}{manifest_url}")
    assert manifest.ok
    folder = manifest_url.rsplit("/", 1)[0]
    for icon in manifest.json()["icons"]:
        assert page.request.get(f"{live_server.url}{folder}/{icon['src']}").ok
    favicon = page.request.get(f"{live_server.url}/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"] in {
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
    assert problems == []
