"""The load benchmark (bench/) at a tiny size against the live server: the generator, every
scenario of the load client, the database checks and the report, on SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from django.urls import Resolver404, resolve

from bench import checks, generate, load, report
from tests.conftest import MINI_COURSE

pytestmark = pytest.mark.django_db(transaction=True)

STUDENTS = 3


@pytest.fixture
def data(settings) -> dict:
    settings.ROOT_URLCONF = "bench.urls"  # what config.settings.bench sets: the bare view
    # Every card due, so that a handful of reviews never runs out of cards.
    return generate.generate(
        generate.Options(students=STUDENTS, due_share=1.0, course_paths=(str(MINI_COURSE),))
    )


def test_the_generator_makes_a_class_with_history_and_signed_in_sessions(data):
    from django.contrib.sessions.backends.db import SessionStore

    from quizzes.models import Attempt, MemoryState, ReviewLog

    counts = data["counts"]
    assert len(data["students"]) == STUDENTS
    assert counts["memory_states"] == STUDENTS * counts["cards"] > 0
    assert MemoryState.objects.count() == counts["memory_states"]
    assert ReviewLog.objects.count() == counts["review_logs"] >= counts["memory_states"]
    assert Attempt.objects.filter(finished_at__isnull=False).count() == STUDENTS * 2
    assert not Attempt.objects.filter(quiz_id=data["start_quiz_id"]).exists()
    session = SessionStore(session_key=data["students"][0]["session"]).load()
    assert session["_auth_user_id"] == str(data["students"][0]["id"])


def _in_own_thread(function, *args, **kwargs):
    """`function` on a thread of its own: the load client runs its own asyncio loop, which
    cannot start on a thread where one runs already (Playwright's, after a browser test ran in
    this process)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def test_a_tiny_run_makes_no_errors_and_reports_every_row(data, live_server):
    options = load.Options(
        users=2, rounds=1, seconds=30, warmup_seconds=0, steps=3, quiz_starts=2 * STUDENTS
    )
    per_request = _in_own_thread(
        load.run, live_server.url, data, replace(options, scenarios=("bare",)), starts=False
    )
    results = _in_own_thread(load.run, live_server.url, data, options, starts=False)
    assert checks.record_missing_ratings(data, results) == results.reviews_posted
    queries = checks.count_queries(data)
    started = _in_own_thread(load.run_quiz_starts, live_server.url, data, options)
    results.stats.update(started.stats)
    results.started_attempts = started.started_attempts
    results.stats["bare_per_request"] = per_request.stats["bare"]
    figures = report.figures(
        results,
        bare_per_request=per_request.stats["bare"],
        queries=queries,
        production_persistent=None,
        open_attempts_ok=checks.open_attempts_ok(data, results),
    )

    assert {name: s.errors for name, s in results.stats.items() if s.errors} == {}
    assert all(s.requests > 0 for s in results.stats.values())
    assert results.reviews_posted == 3  # three loop iterations, each a rating recorded
    assert results.stats["review"].requests == 2 * 3
    assert len(results.started_attempts) == STUDENTS
    assert [f.figure for f in figures] == report.FIGURE_ROWS
    by_name = {f.figure: f for f in figures}
    assert by_name["synchronized quiz starts"].passed is True
    assert by_name["errors in every scenario"].passed is True
    table = report.scenario_table(results.stats)
    assert [row[0] for row in table[1:]] == [label for _, label in report.SCENARIO_ROWS]
    assert "not run" not in {cell for row in table for cell in row}


def test_the_bare_view_exists_only_in_the_benchmark_urlconf():
    assert resolve(load.BARE_PATH, urlconf="bench.urls").url_name == "bench_bare"
    with pytest.raises(Resolver404):
        resolve(load.BARE_PATH)  # config.urls, the site's
