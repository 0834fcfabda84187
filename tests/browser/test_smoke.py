"""In a real Chromium: the demo student logs in and sees the dashboard."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_the_demo_student_logs_in_and_sees_the_dashboard(demo, log_in, live_server):
    page = log_in("student")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Sam")).to_be_visible()
    expect(page.get_by_role("heading", name="Your assignments")).to_be_visible()
    page.get_by_role("link", name='Vietnam\'s "Three Nos"').first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Three Nos")
    expect(page.get_by_role("heading", name="Key terms")).to_be_visible()


def test_a_wrong_password_shows_an_error(demo, log_in):
    page = log_in("student", "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")


def test_the_dashboard_and_lesson_have_no_serious_accessibility_violations(demo, log_in):
    page = log_in("student")
    expect(page.get_by_role("heading", name="Your assignments")).to_be_visible()
    pages = {"dashboard": page.url}
    page.get_by_role("link", name='Vietnam\'s "Three Nos"').first.click()
    expect(page.get_by_role("heading", name="Key terms")).to_be_visible()
    pages["lesson"] = page.url

    for name, url in pages.items():
        page.goto(url)
        violations = Axe().run(page).response["violations"]
        serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{name}: {serious}"


def test_pages_work_at_phone_width_without_console_errors(demo, log_in, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in("student")
    expect(page.get_by_role("heading", name="Your assignments")).to_be_visible()
    page.wait_for_load_state("load")  # its stylesheets applied and its scripts run
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    assert errors == []
