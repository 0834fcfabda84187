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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as it starts with its own database rows: values
    derived from one test's rows (content.usercache) must not serve the next one's."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()


# Statements that only open and close transactions and savepoints: not queries of ours. (In a
# test, each `transaction.atomic` is a savepoint inside the test's transaction; on a server it
# is a BEGIN and a COMMIT, which Django logs on PostgreSQL and, as `BEGIN IMMEDIATE`, on SQLite.)
_TRANSACTION_CONTROL = (
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK TO SAVEPOINT",
    "BEGIN",
    "COMMIT",
)


@pytest.fixture
def assert_queries():
    """`with assert_queries(n):` the block runs exactly `n` queries, not counting the statements
    that open and close transactions and savepoints; on failure, lists what ran."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(expected: int):
        with CaptureQueriesContext(connection) as captured:
            yield captured
        queries = [
            q["sql"]
            for q in captured.captured_queries
            if not q["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)
        ]
        assert len(queries) == expected, (
            f"expected {expected} queries, ran {len(queries)}:\n\n" + "\n\n".join(queries)
        )

    return check
