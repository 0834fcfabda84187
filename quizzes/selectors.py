"""Reads for students: the review queue, due counts, the forecast, retention and streaks."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, When

from quizzes import scheduling
from quizzes.models import Attempt, Card, MemoryState, QuestionVersion, ReviewLog, ReviewSource
from quizzes.studyday import study_date


@dataclass(frozen=True)
class StudyDay:
    """Who is studying, when their day started, and the limits of their course."""

    now: datetime
    start: datetime
    end: datetime
    time_zone: str
    day_starts_at: int
    new_per_day: int
    reviews_per_day: int
    desired_retention: float


@dataclass
class Queue:
    card: Card | None
    state: MemoryState | None
    due_count: int
    new_count: int
    done_today: int
    # Due or new cards left out because they ask a question of an unfinished attempt, and the
    # student's unfinished attempts (see `study_queue`).
    held_count: int = 0
    held_by: list[Attempt] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.due_count + self.new_count


def _cards(lesson_ids: Iterable[int]) -> QuerySet[Card]:
    return Card.objects.active().filter(lesson_id__in=list(lesson_ids))


def attempts_unfinished(*, student: AbstractBaseUser) -> list[Attempt]:
    """The student's unfinished attempts at any quiz, oldest first, with their quizzes."""
    return list(
        Attempt.objects.filter(student=student, finished_at__isnull=True)
        .select_related("quiz")
        .only("pk", "versions", "started_at", "quiz__title")
        .order_by("started_at", "pk")
    )


def questions_in(attempts: list[Attempt]) -> QuerySet:
    """The ids of the questions these attempts ask, as a subquery."""
    versions = {version_id for attempt in attempts for version_id in attempt.versions}
    return QuestionVersion.objects.filter(pk__in=versions).values("question_id")


def cards_held_back(*, student: AbstractBaseUser, cards: QuerySet[Card]) -> QuerySet[Card]:
    """Of `cards`, those whose question is in one of the student's unfinished attempts: their
    backs give the answers away, so they wait until the attempt is finished (one query)."""
    return cards.filter(question_id__in=questions_in(attempts_unfinished(student=student)))


def study_queue(
    *, student: AbstractBaseUser, lesson_ids: list[int], day: StudyDay, with_card: bool = True
) -> Queue:
    """The next card to review: due cards first (most overdue first), then new cards.

    With `with_card`, cards whose question is in one of the student's unfinished attempts (at
    any quiz) are left out of the queue and its counts until the attempt is finished: their backs
    would give the quiz's answers away, as Moodle and Anki would not.

    Whatever the number of cards: four queries for the counts (reviews and new cards done
    today, due cards, unseen cards), and with `with_card` one for the unfinished attempts, one
    more to count the cards they hold back (only if there are any) and one for the next card.
    """
    today = ReviewLog.objects.filter(
        student=student, reviewed_at__gte=day.start, source=ReviewSource.FLASHCARD
    )
    reviews_today = today.filter(state_before__isnull=False).count()
    new_today = ReviewLog.objects.filter(
        student=student, reviewed_at__gte=day.start, state_before__isnull=True
    ).count()
    cards = _cards(lesson_ids)
    held_by = attempts_unfinished(student=student) if with_card else []
    held_count = 0
    if held_by:
        held = cards.filter(question_id__in=questions_in(held_by))
        seen = MemoryState.objects.filter(student=student)
        held_count = held.filter(
            Q(pk__in=seen.filter(due_at__lte=day.now).values("card_id"))
            | ~Q(pk__in=seen.values("card_id"))
        ).count()
        cards = cards.exclude(question_id__in=questions_in(held_by))
    states = MemoryState.objects.filter(student=student, card__in=cards, due_at__lte=day.now)
    due_count = min(states.count(), max(0, day.reviews_per_day - reviews_today))
    state = states.select_related("card").order_by("due_at", "pk").first() if due_count else None
    unseen = cards.exclude(memory_states__student=student)
    new_count = min(unseen.count(), max(0, day.new_per_day - new_today))
    card = state.card if state else None
    if card is None and new_count and with_card and not due_count:
        # New cards come in the order of the lessons given: assignment order, then lesson order.
        lesson_order = Case(
            *[When(lesson_id=lesson_id, then=i) for i, lesson_id in enumerate(lesson_ids)],
            output_field=IntegerField(),
        )
        card = unseen.order_by(lesson_order, "position", "pk").first()
    return Queue(
        card=card,
        state=state,
        due_count=due_count,
        new_count=new_count,
        done_today=reviews_today + new_today,
        held_count=held_count,
        held_by=held_by if held_count else [],
    )


def due_tomorrow(*, student: AbstractBaseUser, lesson_ids: list[int], day: StudyDay) -> int:
    return MemoryState.objects.filter(
        student=student, card__in=_cards(lesson_ids), due_at__lt=day.end + timedelta(days=1)
    ).count()


def interval_previews(state: MemoryState | None, *, card_id: int, day: StudyDay) -> dict[int, str]:
    """What each rating would give, as Anki shows it on its buttons ("10m", "3d", "1.2mo")."""
    scheduler = scheduling.scheduler_for(desired_retention=day.desired_retention, fuzz=False)
    previews = {}
    for rating in (1, 2, 3, 4):
        result = scheduling.review(
            scheduler, state, card_id=card_id, rating=rating, reviewed_at=day.now
        )
        previews[rating] = format_interval(result.due_at - day.now)
    return previews


def format_interval(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes / 60
    if hours < 24:
        return f"{hours:.0f}h"
    days = hours / 24
    if days < 30:
        return f"{days:.0f}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


@dataclass(frozen=True)
class LessonRetention:
    lesson_id: int
    cards: int
    studied: int
    recall_now: float | None
    recall_week: float | None


def card_counts(lesson_ids: Iterable[int]) -> dict[int, int]:
    """Active cards per lesson, counted by the database."""
    rows = _cards(lesson_ids).order_by().values_list("lesson_id").annotate(n=Count("id"))
    return dict(rows)


def recall_by_lesson(states: QuerySet[MemoryState], *, at: datetime) -> dict[int, dict]:
    """Per lesson, the mean predicted recall of these memory states at `at` and 7 days later,
    and how many there are; averaged by the database (quizzes.scheduling.recall_expression)."""
    rows = (
        states.filter(card__retired_at__isnull=True, stability__isnull=False)
        .order_by()
        .values("card__lesson_id")
        .annotate(
            now=Avg(scheduling.recall_expression(at)),
            week=Avg(scheduling.recall_expression(at + timedelta(days=7))),
            studied=Count("id"),
        )
    )
    return {row["card__lesson_id"]: row for row in rows}


def retention_by_lesson(
    *, student: AbstractBaseUser, lesson_ids: list[int], day: StudyDay
) -> dict[int, LessonRetention]:
    """Mean predicted recall of the student's studied cards per lesson, now and in 7 days.

    Two queries: card counts per lesson, and the recall of the student's cards per lesson.
    """
    totals = card_counts(lesson_ids)
    recall = recall_by_lesson(
        MemoryState.objects.filter(student=student, card__lesson_id__in=lesson_ids), at=day.now
    )
    return {
        lesson_id: LessonRetention(
            lesson_id=lesson_id,
            cards=totals.get(lesson_id, 0),
            studied=recall.get(lesson_id, {}).get("studied", 0),
            recall_now=recall.get(lesson_id, {}).get("now"),
            recall_week=recall.get(lesson_id, {}).get("week"),
        )
        for lesson_id in lesson_ids
    }


def forecast(
    *, student: AbstractBaseUser, lesson_ids: list[int], day: StudyDay, days: int = 14
) -> list[tuple[date, int]]:
    """How many reviews fall due on each of the next `days` study days (overdue ones today)."""
    horizon = day.end + timedelta(days=days - 1)
    due = MemoryState.objects.filter(
        student=student, card__in=_cards(lesson_ids), due_at__lt=horizon
    ).values_list("due_at", flat=True)
    today = study_date(day.now, time_zone=day.time_zone, day_starts_at=day.day_starts_at)
    counts: Counter[date] = Counter()
    for due_at in due:
        when = study_date(due_at, time_zone=day.time_zone, day_starts_at=day.day_starts_at)
        counts[max(when, today)] += 1
    return [(today + timedelta(days=i), counts[today + timedelta(days=i)]) for i in range(days)]


def streak(*, student: AbstractBaseUser, day: StudyDay) -> int:
    """Consecutive study days with at least one review or quiz answer, up to today.

    A streak that includes yesterday but not yet today still counts: today is not over.
    """
    since = day.start - timedelta(days=366)
    moments = ReviewLog.objects.filter(student=student, reviewed_at__gte=since).values_list(
        "reviewed_at", flat=True
    )
    days = {
        study_date(m, time_zone=day.time_zone, day_starts_at=day.day_starts_at) for m in moments
    }
    today = study_date(day.now, time_zone=day.time_zone, day_starts_at=day.day_starts_at)
    current = today if today in days else today - timedelta(days=1)
    count = 0
    while current in days:
        count += 1
        current -= timedelta(days=1)
    return count


def attempt_for_student(*, student: AbstractBaseUser, attempt_id: int) -> Attempt | None:
    return Attempt.objects.select_related("quiz").filter(pk=attempt_id, student=student).first()
