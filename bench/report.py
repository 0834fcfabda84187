"""The benchmark's report: one table of every scenario, and one of the figures of issue 14 with
their goals, each passed or failed. The goals are ratios to the bare view where they can be,
so that they hold on any machine; the teacher pages' goal is in milliseconds."""

from dataclasses import dataclass

from bench.load import TEACHER_PAGES, Results, Stats

# Issue 14's goals.
REVIEW_RATE_GOAL = 0.5  # review loop req/s ÷ bare req/s, at least
REVIEW_P95_GOAL = 2.0  # review loop p95 ÷ bare p95, at most
DASHBOARD_RATE_GOAL = 0.3  # dashboard req/s ÷ bare req/s, at least
TEACHER_P50_GOAL_MS = 200.0  # each teacher page's p50, at most
QUERY_GOALS = {"rating_post": 5, "study_page": 5, "dashboard": 8}

SCENARIO_ROWS = [
    ("bare_per_request", "bare view, DJANGO_CONN_MAX_AGE=0"),
    ("bare", "bare view"),
    ("review", "review loop (show + rate)"),
    ("dashboard", "student dashboard"),
    *((f"teacher:{page}", f"teacher: {page.replace('_', ' ')}") for page in TEACHER_PAGES),
    ("quiz_starts", "synchronized quiz starts"),
    ("first_pages", "first pages of the day: dashboard, then study page (before the clock)"),
]
FIGURE_ROWS = [
    "bare view: CONN_MAX_AGE=0 vs persistent",
    "review loop req/s ÷ bare",
    "review loop p95 ÷ bare p95",
    "queries: rating POST (htmx) / study page / dashboard",
    "student dashboard req/s ÷ bare",
    "teacher overview / gradebook / item analysis p50",
    "synchronized quiz starts",
    "errors in every scenario",
]


@dataclass(frozen=True)
class Figure:
    figure: str
    measured: str
    goal: str
    passed: bool | None  # None: not measured in this run


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def scenario_table(stats: dict[str, Stats]) -> list[list[str]]:
    rows = [["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"]]
    for key, label in SCENARIO_ROWS:
        s = stats.get(key)
        if s is None:
            rows.append([label, "not run", "", "", "", "", ""])
            continue
        errors = str(s.error_count)
        if s.errors:
            errors += " (" + ", ".join(f"{k}: {v}" for k, v in s.errors.items()) + ")"
        rows.append(
            [
                label,
                str(s.requests),
                f"{s.per_second:.1f}",
                _ms(s.percentile_ms(50)),
                _ms(s.percentile_ms(95)),
                _ms(s.percentile_ms(99)),
                errors,
            ]
        )
    return rows


def figures(
    results: Results,
    *,
    bare_per_request: Stats | None,
    queries: dict[str, int] | None,
    production_persistent: bool | None,
    production_connections: str = "",
    open_attempts_ok: bool | None = None,
) -> list[Figure]:
    """Issue 14's table for this run. `production_persistent`: whether production's settings,
    with no DJANGO_CONN_MAX_AGE set, keep database connections (None: not checked)."""
    stats = results.stats
    bare, review, dashboard = stats.get("bare"), stats.get("review"), stats.get("dashboard")
    out = []

    persistent_rate = bare.per_second if bare else None
    per_request_rate = bare_per_request.per_second if bare_per_request else None
    out.append(
        Figure(
            FIGURE_ROWS[0],
            f"{per_request_rate or 0:.0f} vs {persistent_rate or 0:.0f} req/s"
            + (f"; production default: {production_connections}" if production_connections else ""),
            "persistent by default in production",
            production_persistent,
        )
    )

    rate = _ratio(review.per_second if review else None, persistent_rate)
    reviews_per_s = results.reviews_posted / review.seconds if review and review.seconds else 0
    out.append(
        Figure(
            FIGURE_ROWS[1],
            f"{_times(rate)} ({review.per_second if review else 0:.0f} req/s, "
            f"{reviews_per_s:.0f} reviews/s)",
            f"≥ {REVIEW_RATE_GOAL}×",
            None if rate is None else rate >= REVIEW_RATE_GOAL,
        )
    )

    p95 = _ratio(
        review.percentile_ms(95) if review else None, bare.percentile_ms(95) if bare else None
    )
    out.append(
        Figure(
            FIGURE_ROWS[2],
            f"{_times(p95)} ({_ms(review.percentile_ms(95) if review else None)} vs "
            f"{_ms(bare.percentile_ms(95) if bare else None)} ms)",
            f"≤ {REVIEW_P95_GOAL:g}×",
            None if p95 is None else p95 <= REVIEW_P95_GOAL,
        )
    )

    names = list(QUERY_GOALS)
    out.append(
        Figure(
            FIGURE_ROWS[3],
            " / ".join(str(queries[n]) for n in names) if queries else "not measured",
            " / ".join(f"≤ {QUERY_GOALS[n]}" for n in names),
            None if not queries else all(queries[n] <= QUERY_GOALS[n] for n in names),
        )
    )

    rate = _ratio(dashboard.per_second if dashboard else None, persistent_rate)
    out.append(
        Figure(
            FIGURE_ROWS[4],
            f"{_times(rate)} ({dashboard.per_second if dashboard else 0:.0f} req/s, "
            f"p50 {_ms(dashboard.percentile_ms(50) if dashboard else None)} ms)",
            f"≥ {DASHBOARD_RATE_GOAL}×",
            None if rate is None else rate >= DASHBOARD_RATE_GOAL,
        )
    )

    p50s = [
        stats[f"teacher:{p}"].percentile_ms(50) if f"teacher:{p}" in stats else None
        for p in TEACHER_PAGES
    ]
    out.append(
        Figure(
            FIGURE_ROWS[5],
            " / ".join(_ms(v) for v in p50s) + " ms",
            f"≤ {TEACHER_P50_GOAL_MS:.0f} ms each",
            None if None in p50s else all(v <= TEACHER_P50_GOAL_MS for v in p50s),
        )
    )

    starts = stats.get("quiz_starts")
    if starts is None:
        out.append(Figure(FIGURE_ROWS[6], "not run", "no errors; one open attempt each", None))
    else:
        several = sum(1 for ids in results.started_attempts.values() if len(ids) != 1)
        measured = (
            f"{starts.requests} starts by {len(results.started_attempts)} students: "
            f"{starts.error_count} errors, {several} sent to more than one attempt"
        )
        if open_attempts_ok is not None:
            measured += "; one open attempt each in the database: " + (
                "yes" if open_attempts_ok else "NO"
            )
        out.append(
            Figure(
                FIGURE_ROWS[6],
                measured,
                "no errors; one open attempt each",
                starts.error_count == 0 and several == 0 and open_attempts_ok is not False,
            )
        )

    every = {name: s.error_count for name, s in stats.items() if ":" not in name}
    if bare_per_request is not None and "bare_per_request" not in stats:
        every["bare_per_request"] = bare_per_request.error_count
    total = sum(every.values())
    out.append(
        Figure(
            FIGURE_ROWS[7],
            str(total)
            + (" (" + ", ".join(f"{k}: {v}" for k, v in every.items() if v) + ")" if total else ""),
            "0",
            total == 0,
        )
    )
    return out


def figure_table(rows: list[Figure]) -> list[list[str]]:
    verdict = {True: "pass", False: "FAIL", None: "–"}
    return [["figure", "measured", "goal", ""]] + [
        [f.figure, f.measured, f.goal, verdict[f.passed]] for f in rows
    ]


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(" --- " for _ in rows[0]) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)
