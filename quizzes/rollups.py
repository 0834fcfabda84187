"""Recall rollups: per (student, lesson), the count of memory states and the sum of their
predicted recall at 00:00 UTC of sixteen consecutive days, so that a school-wide report reads one
row per student and lesson instead of every memory state (docs/scale.md).

The rows are kept exact by database triggers (migration 0007; on PostgreSQL, 0010 gives a rating's
write a shorter way): a state's recall at a fixed moment is a constant, so each insert, update or
delete of a state adds its new contribution minus its old one at every day point of its row, and
a card retired, restored or moved to another lesson moves its states' contributions.
`rollup_rebuild` (`manage.py recall_rollup`, nightly) moves the rows' first day point to today,
so that they keep answering "now" and "in 7 days".

A report at an instant between two day points interpolates linearly. Every state's recall falls
(or stays) as time passes, so at any t in [d, d+1] both the state's recall and the line lie between
its recall at d+1 and at d: the interpolated mean is within mean(d) - mean(d+1) of the exact one,
the lesson's own fall in mean recall over that day (a bound the rows themselves give). Measured
errors are far smaller (docs/scale.md). At a day point the figure is exact.
"""

import math
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum

from quizzes import scheduling
from quizzes.models import MemoryState, RecallRollup
from quizzes.selectors import recall_by_lesson as recall_by_lesson_from_states

POINTS = 16  # day points base_day + 0 … base_day + 15: "in 7 days" answerable for 8 days
SUMS = [f"r{k}" for k in range(POINTS)]
COLUMNS = "student_id, lesson_id, base_day, n, " + ", ".join(SUMS)


def today() -> int:
    """Today's number, in days since 1970-01-01 UTC."""
    return int(time.time() // 86400)


def _recall_sql(day: str, state: str) -> str:
    """quizzes.scheduling.recall_expression as SQL, at 00:00 UTC of `day` (days since 1970), for
    the memory state `state` (an alias), with its own curve."""
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    return (
        f"POWER(1.0 + {state}.factor * {greatest}(({day}) - {state}.last_review_days, 0.0)"
        f" / {state}.stability, {state}.decay)"
    )


def rollup_rebuild(
    *, day: int | None = None, batch: int = 500, student_ids: list[int] | None = None
) -> int:
    """Recompute every row (or those of `student_ids`) from the memory states with `day`
    (default today) as day point 0, `batch` students per transaction; returns the number of
    rows written.

    Each batch deletes its students' rows and inserts them again from their states in one
    transaction. A review that writes a state meanwhile waits for the batch's row locks in its
    trigger and then adds its change to the rebuilt row (which was read without it); one that
    committed before the insert is in it. Reports read either the old rows or the new ones.
    """
    day = today() if day is None else day
    sums = ", ".join(f"SUM({_recall_sql(str(day + k), 'ms')})" for k in range(POINTS))
    replace = ", ".join(f"{c} = excluded.{c}" for c in ["base_day", "n", *SUMS])
    insert = (
        f"INSERT INTO quizzes_recallrollup ({COLUMNS})"
        f" SELECT ms.student_id, c.lesson_id, %s, COUNT(*), {sums}"
        " FROM quizzes_memorystate ms JOIN quizzes_card c ON c.id = ms.card_id"
        " WHERE ms.student_id BETWEEN %s AND %s AND c.retired_at IS NULL"
        " AND ms.stability IS NOT NULL AND ms.last_review_days IS NOT NULL"
        " GROUP BY ms.student_id, c.lesson_id"
        # A first review that committed between this batch's delete and its insert made its own
        # row, which the insert (reading that state too) replaces.
        f" ON CONFLICT (student_id, lesson_id) DO UPDATE SET {replace}"
    )
    if student_ids is None:
        ids = list(get_user_model().objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(student_ids)
    written = 0
    for start in range(0, len(ids), batch):
        # A range of ids: rebuilding a student not asked for is harmless.
        low, high = ids[start], ids[min(start + batch, len(ids)) - 1]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM quizzes_recallrollup WHERE student_id BETWEEN %s AND %s", [low, high]
            )
            cursor.execute(insert, [day, low, high])
            written += cursor.rowcount
    return written


def _at(row: dict, x: float) -> float | None:
    """The row's recall sum at `x` days after its day point 0, interpolated between day points;
    None when `x` is outside them."""
    if x < 0 or x > POINTS - 1:
        return None
    i = math.floor(x)
    w = x - i
    if w == 0:
        return row[SUMS[i]]
    return (1 - w) * row[SUMS[i]] + w * row[SUMS[i + 1]]


def _groups(students: QuerySet, lesson_ids: list[int]) -> QuerySet:
    """The rollup's rows of these students in these lessons, summed per lesson and base day."""
    return (
        RecallRollup.objects.filter(student__in=students, lesson_id__in=lesson_ids)
        .order_by()
        .values("lesson_id", "base_day")
        .annotate(count=Sum("n"), **{c: Sum(c) for c in SUMS})
    )


def recall_by_lesson(*, students: QuerySet, lesson_ids: list[int], at: datetime) -> dict[int, dict]:
    """As quizzes.selectors.recall_by_lesson over these students' states in these lessons (the
    mean recall at `at` and 7 days later, and how many states), read from the rollup.

    Rows whose day points do not cover `at` and `at + 7 days` (not re-based lately) are not
    used: those students' states in those lessons are aggregated instead, so the figures are
    right however old the rows. Two queries when the rows are current, three otherwise.
    """
    groups = _groups(students, lesson_ids)
    x = scheduling.epoch_days(at)
    totals: dict[int, list] = defaultdict(lambda: [0, 0.0, 0.0])
    stale: dict[int, list[int]] = defaultdict(list)
    for group in groups:
        now = _at(group, x - group["base_day"])
        week = _at(group, x + 7 - group["base_day"])
        if now is None or week is None:
            stale[group["lesson_id"]].append(group["base_day"])
            continue
        total = totals[group["lesson_id"]]
        total[0] += group["count"]
        total[1] += now
        total[2] += week
    if stale:
        which = Q()
        for lesson_id, days in stale.items():
            which |= Q(
                card__lesson_id=lesson_id,
                student__in=RecallRollup.objects.filter(
                    lesson_id=lesson_id, base_day__in=days
                ).values("student_id"),
            )
        states = MemoryState.objects.filter(which, student__in=students)
        for lesson_id, row in recall_by_lesson_from_states(states, at=at).items():
            total = totals[lesson_id]
            total[0] += row["studied"]
            total[1] += row["now"] * row["studied"]
            total[2] += row["week"] * row["studied"]
    return {
        lesson_id: {"now": now / n, "week": week / n, "studied": n}
        for lesson_id, (n, now, week) in totals.items()
        if n
    }


def error_bound(*, students: QuerySet, lesson_ids: list[int], at: datetime) -> dict[int, tuple]:
    """Per lesson, the bound on the interpolation's error at `at` and at `at + 7 days` (see the
    module's docstring): the fall in mean recall over the day each lies in. Current rows only."""
    groups = _groups(students, lesson_ids)
    x = scheduling.epoch_days(at)
    falls: dict[int, list] = defaultdict(lambda: [0, 0.0, 0.0])
    for group in groups:
        fall = falls[group["lesson_id"]]
        fall[0] += group["count"]
        for slot, offset in ((1, 0), (2, 7)):
            here = x + offset - group["base_day"]
            day = math.floor(here)
            if here != day and 0 <= day < POINTS - 1:
                fall[slot] += group[SUMS[day]] - group[SUMS[day + 1]]
    return {lesson_id: (now / n, week / n) for lesson_id, (n, now, week) in falls.items() if n}


def day_point(day: int) -> datetime:
    """00:00 UTC of day `day` (days since 1970)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
