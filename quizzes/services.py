"""Writes for quizzes: recording reviews into a student's schedule."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from quizzes import scheduling
from quizzes.models import Card, MemoryState, ReviewLog, ReviewSource


def desired_retention_for(card: Card) -> float:
    """The desired retention of the first course whose lesson sets hold the card's lesson."""
    from courses.models import Course

    course = Course.objects.filter(lesson_sets__lessons=card.lesson_id).order_by("pk").first()
    return course.desired_retention if course else 0.9


@transaction.atomic
def review_record(
    *,
    student: AbstractBaseUser,
    card: Card,
    rating: int,
    reviewed_at: datetime,
    duration_ms: int | None = None,
    source: str = ReviewSource.FLASHCARD,
    fuzz: bool = True,
) -> MemoryState:
    """Apply a rating to the student's memory state for the card and append it to the log."""
    state = MemoryState.objects.select_for_update().filter(student=student, card=card).first()
    scheduler = scheduling.scheduler_for(desired_retention=desired_retention_for(card), fuzz=fuzz)
    result = scheduling.review(
        scheduler, state, card_id=card.pk, rating=rating, reviewed_at=reviewed_at
    )
    state_before = state.state if state else None
    if state is None:
        state = MemoryState(student=student, card=card)
    state.state = result.state
    state.step = result.step
    state.stability = result.stability
    state.difficulty = result.difficulty
    state.due_at = result.due_at
    state.last_review_at = result.last_review_at
    state.reps += 1
    if rating == 1 and state_before == scheduling.State.Review:
        state.lapses += 1
    state.save()
    ReviewLog.objects.create(
        student=student,
        card=card,
        rating=rating,
        reviewed_at=result.last_review_at,
        elapsed_days=result.elapsed_days,
        duration_ms=duration_ms,
        state_before=state_before,
        state_after=result.state,
        due_after=result.due_at,
        source=source,
    )
    return state
