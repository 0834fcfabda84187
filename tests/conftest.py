import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

# pytest-playwright runs a session-wide sync Playwright (an event loop in this thread); Django's
# test-database setup and live_server teardown would otherwise refuse to run. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BUNDLE = Path(__file__).resolve().parent.parent / "content" / "bundle" / "alliance-politics"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser on these machines."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture
def bundle() -> Path:
    return BUNDLE


@pytest.fixture
def roles(db) -> dict[str, Group]:
    """The groups that the data migration created."""
    return {group.name: group for group in Group.objects.all()}


# A skipped test proves nothing: the run fails if any test was skipped (CI counts them as
# failures too, so this keeps `make test` honest in the same way).
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_line(
            f"FAILED: {len(_skipped)} test(s) skipped; a skip counts as a failure", red=True
        )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


MINI_COURSE = Path(__file__).resolve().parent / "data" / "mini-course"


@pytest.fixture
def mini(db):
    """A tiny course with one question of every type and four flashcards, loaded."""
    from content.loader import load_content

    load_content([MINI_COURSE])
    from courses.models import Course

    return Course.objects.get(key="mini")


@pytest.fixture
def student(mini):
    """A student enrolled in a class that has the mini course's lesson set assigned."""
    from courses.models import LessonSet
    from tests.factories import AssignmentFactory, EnrollmentFactory, StudentFactory

    user = StudentFactory(username="stu")
    assignment = AssignmentFactory(lesson_set=LessonSet.objects.get(key="mini-set"))
    EnrollmentFactory(classroom=assignment.classroom, student=user)
    return user
