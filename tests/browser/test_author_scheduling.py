"""A course's scheduling page in a real Chromium (issue 13, "Done when"): an author fits the
parameters of a course with a simulated log of a few thousand reviews through a real task
worker (`manage.py db_worker`, in a process of its own on the test database) and sees the fit
done with its figures and in force; the cost of a typed desired retention appears before
saving. Every page free of serious axe violations, console errors, failed requests and CSP
violations."""

import re
import subprocess
import sys

import pytest
from django.db import connection
from playwright.sync_api import expect

from courses.models import Course, FitStatus, ParameterFit
from quizzes.models import ReviewLog
from tests.browser.test_student_pages import serious_violations, sign_in, watch
from tests.courses.test_fitting import simulated_course
from tests.deploy.processes import ROOT, base_env, database_url
from tests.factories import AuthorFactory, CourseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _clean(page, problems: list[str]) -> None:
    assert page.evaluate("window.cspViolations || []") == []
    assert serious_violations(page) == []
    assert problems == []


@pytest.fixture
def course(db) -> Course:
    return simulated_course(course=CourseFactory(key="sim", title="Simulated course"))


@pytest.fixture
def author_page(course, live_server, page):
    AuthorFactory(username="aut")
    problems = watch(page)
    sign_in(page, live_server, "aut")
    page.goto(f"{live_server.url}/author/courses/sim/scheduling/")
    return page, problems


@pytest.fixture
def worker(settings, tmp_path):
    """A task worker on the test database, as `make run` starts one; stopped afterwards."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        env=base_env(
            DATABASE_URL=database_url(connection.settings_dict),
            DJANGO_CACHE_DIR=str(tmp_path / "cache"),
            FSRS_FIT_MIN_REVIEWS="1000",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_fit_now_through_the_worker_shows_the_fit_done_and_in_force(author_page, worker):
    page, problems = author_page
    reviews = ReviewLog.objects.count()
    assert reviews > 3000
    expect(page.get_by_role("heading", level=1)).to_have_text("Scheduling of Simulated course")
    expect(page.locator("#in-force")).to_contain_text("FSRS's defaults")
    expect(page.get_by_text(f"The review log holds {reviews} reviews")).to_be_visible()
    _clean(page, problems)

    page.get_by_role("button", name="Fit now").click()

    expect(
        page.get_by_text("Fit queued: this page shows its result when it is done.")
    ).to_be_visible()
    # The page polls; once the worker is done it loads itself again with the fit's figures.
    row = page.locator("#fits tbody tr").first
    expect(row.get_by_role("cell", name="in force", exact=True)).to_be_visible(timeout=60_000)
    assert worker.poll() is None, worker.stderr.read()
    fit = ParameterFit.objects.get()
    assert fit.status == FitStatus.DONE and fit.in_force
    assert fit.log_loss < fit.default_log_loss
    expect(row).to_contain_text(f"{fit.train_reviews} / {fit.test_reviews}")
    expect(row).to_contain_text(f"{fit.log_loss:.4f} / {fit.default_log_loss:.4f}")
    expect(row).to_contain_text(f"{fit.rmse_bins:.4f} / {fit.default_rmse_bins:.4f}")
    expect(row).to_contain_text("In force: on the")
    expect(page.locator("#in-force")).to_contain_text("Fitted to this course's reviews")
    expect(page.locator("progress")).to_have_count(0)
    expect(page.locator("#suggestion")).to_contain_text(
        f"Suggested: {fit.suggested_retention:.2f}."
    )
    _clean(page, problems)


def test_the_cost_of_a_typed_retention_shows_before_saving(author_page, live_server):
    page, problems = author_page
    field = page.get_by_label("Desired retention", exact=True)
    expect(field).to_have_value("0.9")

    field.fill("0.87")

    preview = page.locator("#retention-preview")
    expect(preview).to_contain_text(re.compile(r"At 0\.87: [\d.]+ minutes and [\d.]+ reviews"))
    assert Course.objects.get(key="sim").desired_retention == 0.9
    _clean(page, problems)

    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Desired retention saved: 0.87.")).to_be_visible()
    expect(page.locator("#retention")).to_contain_text("0.87 (now)")
    assert Course.objects.get(key="sim").desired_retention == 0.87
    _clean(page, problems)


def test_without_javascript_preview_is_a_button(course, live_server, browser):
    AuthorFactory(username="aut")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        problems = watch(page)
        sign_in(page, live_server, "aut")
        page.goto(f"{live_server.url}/author/courses/sim/scheduling/")
        page.get_by_label("Desired retention", exact=True).fill("0.82")

        page.get_by_role("button", name="Preview").click()

        expect(page.locator("#retention-preview")).to_contain_text("At 0.82: ")
        expect(page.get_by_label("Desired retention", exact=True)).to_have_value("0.82")
        assert Course.objects.get(key="sim").desired_retention == 0.9
        assert problems == []
    finally:
        context.close()
