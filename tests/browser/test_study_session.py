"""The study session in a real Chromium: Anki's button colours and keys, a learning card that
comes back in the same session, why a card is shown, suspending and reporting a card, the day's
summary and "Review ahead"; keys hidden on a touch screen at phone width."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from quizzes.models import CardFlag, CardState, CardSuspension, MemoryState, ReviewLog
from tests.factories import PASSWORD, AuthorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


def test_a_session_with_a_learning_card_why_now_suspend_and_the_summary(
    student, log_in, live_server, page
):
    log_in("stu", PASSWORD)
    page.goto(f"{live_server.url}/study/")
    card = page.locator("#review-card")
    expect(card.get_by_role("link", name="Show answer")).to_be_visible()
    expect(card.get_by_role("button", name="Undo")).to_have_count(0)  # nothing to undo yet
    expect(card.locator(".card-lesson")).to_contain_text("From the lesson")
    first_front = card.locator(".front").inner_text()

    page.keyboard.press("Space")
    again = card.get_by_role("button", name=re.compile("^Again"))
    expect(again).to_be_visible()
    assert again.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(179, 38, 30)"
    expect(card.locator(".ratings .key")).to_have_text(["1", "2", "3", "4"])
    for key in card.locator(".ratings .key").all():
        expect(key).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("^Good"))).to_be_focused()  # settled
    page.keyboard.press("1")  # Again: back in a minute
    expect(card.locator(".front")).not_to_have_text(first_front)
    expect(card.get_by_role("button", name="Undo")).to_be_visible()
    expect(card.locator(".undo .keys")).to_be_visible()

    for _ in range(2):  # the mini course's two other new cards of the day
        # Focus moves to "Show answer" once the swap has settled (or a plain page has loaded):
        # a key pressed before then may meet a page whose scripts do not handle it yet.
        expect(card.locator("a:focus")).to_have_text("Show answer")
        page.keyboard.press("Space")
        expect(card.get_by_role("button", name=re.compile("^Easy"))).to_be_visible()
        expect(card.get_by_role("button", name=re.compile("^Good"))).to_be_focused()
        page.keyboard.press("4")
        expect(card.locator(".back")).to_have_count(0)
    # Nothing else is left: the card in learning is learned ahead, not "Done for today".
    expect(card.locator(".front")).to_have_text(first_front)
    expect(card.locator("a:focus")).to_have_text("Show answer")
    page.keyboard.press("Space")
    # Settled: htmx has taken over the swapped-in forms (Suspend below posts through htmx).
    expect(card.get_by_role("button", name=re.compile("^Good"))).to_be_focused()
    card.get_by_text("Why now?").click()
    expect(card.locator(".why p")).to_contain_text("predicted recall now")
    expect(card.locator(".why p")).to_contain_text("1 review, forgotten 0 times")

    card.get_by_role("button", name="Suspend this card").click()

    expect(card.get_by_role("status")).to_contain_text("Card suspended")
    expect(card.get_by_role("heading", name="Done for today")).to_be_visible()
    expect(card.locator(".day-summary")).to_contain_text("3 cards reviewed")
    expect(card.locator(".day-summary")).to_contain_text("1 forgotten (Again)")
    assert CardSuspension.objects.filter(reason="student").count() == 1
    suspended_link = card.get_by_role("link", name="Suspended cards")
    expect(suspended_link).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("ahead"))).to_have_count(0)
    # A card due within a day: "Review ahead" brings it now.
    easy = MemoryState.objects.filter(state=CardState.REVIEW).order_by("pk")[:1]
    MemoryState.objects.filter(pk__in=easy).update(due_at=timezone.now() + timedelta(hours=20))
    page.reload()
    ahead = card.get_by_role("button", name="Review 1 card ahead")
    expect(ahead).to_be_visible()
    assert serious_violations(page) == []
    ahead.click()
    expect(card.get_by_role("link", name="Show answer")).to_be_visible()

    page.goto(f"{live_server.url}/cards/suspended/")
    expect(page.get_by_role("heading", name="Suspended cards")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Put back").click()
    expect(page.get_by_role("status")).to_contain_text("back in your reviews")
    assert not CardSuspension.objects.exists()
    assert ReviewLog.objects.count() == 3


def test_a_student_reports_a_card_and_returns_to_the_review(student, log_in, live_server, page):
    log_in("stu", PASSWORD)
    page.goto(f"{live_server.url}/study/")
    page.get_by_role("link", name="Show answer").click()
    page.get_by_role("link", name="Report a problem with this card").click()

    expect(page.get_by_role("heading", name="Report a problem with a card")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("What is wrong or unclear?").fill("The second option is ambiguous.")
    page.get_by_role("button", name="Send the report").click()

    expect(page).to_have_url(f"{live_server.url}/study/")
    expect(page.get_by_role("status")).to_contain_text("the course’s authors will read your note")
    assert CardFlag.objects.get().note == "The second option is ambiguous."
    AuthorFactory(username="auth")
    page.context.clear_cookies()
    log_in("auth", PASSWORD)
    # The author dashboard (from the navigation) counts the report and leads to it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Authoring").click()
    expect(page.get_by_role("heading", name="Author dashboard", level=1)).to_be_visible()
    expect(page.get_by_text("1 report is open.")).to_be_visible()
    expect(page.get_by_role("table", name="The mini set")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Read and resolve them").click()
    expect(page.get_by_role("cell", name="The second option is ambiguous.")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.get_by_role("status")).to_contain_text("resolved")
    assert CardFlag.objects.get().resolved_at is not None

    # The authoring guide, and its table of contents.
    page.goto(f"{live_server.url}/author/")
    expect(page.get_by_text("No open report")).to_be_visible()
    page.get_by_role("link", name="The authoring guide").click()
    expect(page.get_by_role("heading", name="Writing a course", level=1)).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("navigation", name="Contents").get_by_role(
        "link", name="Typed answers"
    ).click()
    expect(page).to_have_url(f"{live_server.url}/author/guide/#typed-answers")
    expect(page.get_by_role("heading", name="Typed answers", level=3)).to_be_in_viewport()


def test_on_a_touch_screen_the_keys_are_not_offered(student, browser, live_server):
    context = browser.new_context(
        viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("stu")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/study/")
    card = page.locator("#review-card")

    expect(card.locator(".keys").first).to_be_hidden()  # "Space or Enter"
    card.get_by_role("link", name="Show answer").tap()
    expect(card.get_by_role("button", name=re.compile("^Good"))).to_be_visible()
    for key in card.locator(".ratings .key").all():
        expect(key).to_be_hidden()
    card.get_by_role("button", name=re.compile("^Good")).tap()
    expect(card.get_by_role("button", name="Undo")).to_be_visible()
    expect(card.locator(".undo .keys")).to_be_hidden()  # no "Ctrl+Z" on a touch screen
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
