"""The web import in a real Chromium (issue 12, "Done when"): preview and confirm, cancel, a
file with errors showing their lines, an oversize file, and an import that is still running
updating itself when it is done; every page free of serious axe violations, console errors,
failed requests and CSP violations."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from content.imports import import_record_apply
from content.models import ImportRecord, ImportStatus
from quizzes.models import Question, QuestionVersion
from tests.browser.test_student_pages import serious_violations, sign_in, watch
from tests.content.test_imports import lesson_text, mini_zip
from tests.factories import AuthorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def author_page(mini, live_server, page):
    """An author signed in, on the import page, with what goes wrong recorded."""
    AuthorFactory(username="aut")
    problems = watch(page)
    sign_in(page, live_server, "aut")
    page.goto(f"{live_server.url}/author/import/")
    return page, problems


def _upload(page, name: str, data: bytes) -> None:
    page.get_by_label("File to import").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}
    )
    page.get_by_role("button", name="Preview the import").click()


def _clean(page, problems: list[str]) -> None:
    assert page.evaluate("window.cspViolations || []") == []
    assert serious_violations(page) == []
    assert problems == []


def test_preview_then_import(author_page):
    page, problems = author_page
    versions = QuestionVersion.objects.count()
    edited = lesson_text(**{"prompt: What do alliances need?": "prompt: What do alliances want?"})
    _upload(page, "mini-course.zip", mini_zip(**{"lessons/01-mini.yaml": edited}).data)

    expect(page.get_by_role("heading", level=1)).to_have_text("Import of mini-course.zip")
    diff = page.locator("#diff-mini-single")
    expect(diff.locator("del")).to_have_text("What do alliances need?")
    expect(diff.locator("ins")).to_have_text("What do alliances want?")
    _clean(page, problems)
    assert QuestionVersion.objects.count() == versions

    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Status: applied")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Imported: \d+ changes? written\."))).to_be_visible()
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    assert QuestionVersion.objects.count() == versions + 1
    assert Question.objects.get(key="mini-single").current_version.prompt == (
        "What do alliances want?"
    )
    _clean(page, problems)


def test_cancel_writes_nothing_and_the_history_says_so(author_page, live_server):
    page, problems = author_page
    _upload(page, "mini-course.zip", mini_zip(**{"course.yaml": _renamed_course()}).data)
    expect(page.get_by_text("updated course mini")).to_be_visible()

    page.get_by_role("button", name="Cancel").click()

    expect(page).to_have_url(f"{live_server.url}/author/import/")
    row = page.get_by_role("row", name=re.compile("mini-course.zip"))
    expect(row.get_by_role("cell", name="cancelled")).to_be_visible()
    expect(row.get_by_role("link", name=re.compile(r"^Download"))).to_be_visible()
    assert Question.objects.get(key="mini-single").lesson.course_key == "mini"
    from courses.models import Course

    assert Course.objects.get(key="mini").title == "Mini course"
    _clean(page, problems)


def _renamed_course() -> str:
    from tests.conftest import MINI_COURSE

    return (MINI_COURSE / "course.yaml").read_text().replace("Mini course", "Renamed course")


def test_a_file_with_errors_shows_each_with_its_file_and_line(author_page):
    page, problems = author_page
    broken = lesson_text(**{"type: true_false": "type: yes_no", "answer: 1977": "answer: soon"})
    _upload(page, "01-mini.yaml", broken.encode())

    errors = page.locator("#import-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("01-mini.yaml:39: ")
    expect(errors.nth(1)).to_contain_text("01-mini.yaml:5")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    _clean(page, problems)


def test_an_oversize_file_is_refused_with_a_clear_message(author_page, settings, live_server):
    page, problems = author_page
    settings.IMPORT_MAX_UPLOAD_BYTES = 100 * 1024

    _upload(page, "big.zip", b"x" * (200 * 1024))

    expect(page.get_by_role("alert")).to_have_text(
        "The file is larger than 0.0976562 MB, the most an upload may have."
    )
    assert ImportRecord.objects.count() == 0
    # The refusal is the page's answer (422), not a failure.
    assert problems == [
        f"422 {live_server.url}/author/import/",
        "console error: Failed to load resource: the server responded with a status of 422 "
        "(Unprocessable Content)",
    ]
    problems.clear()
    _clean(page, problems)


def test_a_running_import_shows_its_result_when_it_is_done(author_page, live_server):
    page, problems = author_page
    _upload(page, "mini-course.zip", mini_zip(**{"course.yaml": _renamed_course()}).data)
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of mini-course.zip")
    record = ImportRecord.objects.get()
    # As if a task worker had taken it but not finished: the page polls.
    ImportRecord.objects.filter(pk=record.pk).update(
        status=ImportStatus.QUEUED, queued_at=timezone.now()
    )
    page.reload()
    expect(page.get_by_role("heading", name="Status: importing")).to_be_visible()
    _clean(page, problems)

    import_record_apply(record_id=record.pk)

    expect(page.get_by_role("heading", name="Status: applied")).to_be_visible()
    expect(page.locator("progress")).to_have_count(0)
    _clean(page, problems)


def test_without_javascript_a_running_import_page_reloads_until_done(mini, live_server, browser):
    AuthorFactory(username="aut")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        problems = watch(page)
        sign_in(page, live_server, "aut")
        page.goto(f"{live_server.url}/author/import/")
        _upload(page, "mini-course.zip", mini_zip(**{"course.yaml": _renamed_course()}).data)
        expect(page.get_by_role("heading", level=1)).to_have_text("Import of mini-course.zip")
        record = ImportRecord.objects.get()
        ImportRecord.objects.filter(pk=record.pk).update(
            status=ImportStatus.QUEUED, queued_at=timezone.now()
        )
        page.reload()
        expect(page.get_by_role("heading", name="Status: importing")).to_be_visible()

        import_record_apply(record_id=record.pk)

        expect(page.get_by_role("heading", name="Status: applied")).to_be_visible()
        assert problems == []
    finally:
        context.close()


def test_a_gift_bank_into_a_chosen_lesson(author_page):
    """A GIFT file names no lesson of the site: the author picks one on the form, previews the
    question it adds, and imports it; the page says what a format left out, if anything."""
    page, problems = author_page
    bank = b"::mini-gift-new::Which year was the treaty signed?{#1977}\n"
    page.get_by_label("Lesson").select_option("mini-lesson")
    _upload(page, "bank.gift", bank)

    expect(page.get_by_role("heading", level=1)).to_have_text("Import of bank.gift")
    expect(page.get_by_text("mini-gift-new")).to_be_visible()
    _clean(page, problems)
    assert not Question.objects.filter(key="mini-gift-new").exists()

    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Status: applied")).to_be_visible()
    question = Question.objects.get(key="mini-gift-new")
    assert question.lesson.key == "mini-lesson" and question.type == "numeric"
    _clean(page, problems)
