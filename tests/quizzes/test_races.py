"""The guards that make concurrent requests safe, one request at a time: the conditions that
review_record checks under its row lock, and the one-open-attempt constraint.
(tests/concurrency races the same paths with real threads against a live server.)"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes.models import Attempt, Card, MemoryState, Quiz, ReviewLog, ReviewSource
from quizzes.services import attempt_finish, attempt_start, review_record
from tests.factories import StudentFactory


@pytest.mark.django_db
def test_a_rating_drawn_before_the_last_one_records_nothing(mini):
    student, card = StudentFactory(), Card.objects.get(key="mini-f1")
    first = review_record(
        student=student, card=card, rating=3, reviewed_at=timezone.now(), expected_reps=0
    )
    assert first is not None and first.reps == 1
    before = MemoryState.objects.values().get(student=student, card=card)

    again = review_record(
        student=student, card=card, rating=1, reviewed_at=timezone.now(), expected_reps=0
    )

    assert again is None
    assert MemoryState.objects.values().get(student=student, card=card) == before
    assert ReviewLog.objects.filter(student=student).count() == 1


@pytest.mark.django_db
def test_a_new_card_rated_with_a_stale_count_records_nothing(mini):
    student, card = StudentFactory(), Card.objects.get(key="mini-f1")

    assert (
        review_record(
            student=student, card=card, rating=3, reviewed_at=timezone.now(), expected_reps=2
        )
        is None
    )

    assert not MemoryState.objects.filter(student=student).exists()
    assert not ReviewLog.objects.exists()


@pytest.mark.django_db
def test_a_quiz_review_counts_once_per_study_day(mini):
    student, card = StudentFactory(), Card.objects.get(key="mini-f1")
    now = timezone.now()
    day_start = now - timedelta(hours=2)
    review_record(student=student, card=card, rating=3, reviewed_at=now - timedelta(hours=1))

    skipped = review_record(
        student=student,
        card=card,
        rating=1,
        reviewed_at=now,
        source=ReviewSource.QUIZ,
        unless_reviewed_since=day_start,
    )
    counted = review_record(
        student=student,
        card=card,
        rating=1,
        reviewed_at=now,
        source=ReviewSource.QUIZ,
        unless_reviewed_since=now - timedelta(minutes=30),  # the next study day
    )

    assert skipped is None and counted is not None
    assert list(ReviewLog.objects.values_list("source", flat=True)) == ["flashcard", "quiz"]
    assert MemoryState.objects.get(student=student, card=card).reps == 2


@pytest.mark.django_db
def test_the_database_allows_one_unfinished_attempt_per_quiz_and_student(mini):
    student = StudentFactory()
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
    assert attempt_start(quiz=quiz, student=student, now=timezone.now()) == attempt

    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(
            quiz=quiz, student=student, number=2, versions=attempt.versions,
            started_at=timezone.now(),
        )  # fmt: skip

    attempt_finish(attempt=attempt, now=timezone.now())
    second = attempt_start(quiz=quiz, student=student, now=timezone.now())
    assert (second.number, second.finished_at) == (2, None)


@pytest.mark.django_db
def test_a_state_read_before_another_review_is_not_written_back(mini):
    """The write is a compare-and-set on what was read: a rating computed from a state that
    another review has since moved on records nothing from a form, and is recomputed on top
    (under the row lock) for a quiz answer, so that neither review is lost."""
    student, card = StudentFactory(), Card.objects.get(key="mini-f1")
    now = timezone.now()
    review_record(student=student, card=card, rating=3, reviewed_at=now - timedelta(days=2))
    read = MemoryState.objects.get(student=student, card=card)  # what a request read
    review_record(student=student, card=card, rating=3, reviewed_at=now - timedelta(days=1))
    moved_on = MemoryState.objects.values().get(student=student, card=card)

    from_form = review_record(
        student=student, card=card, rating=1, reviewed_at=now, state=read, expected_reps=read.reps
    )
    assert from_form is None
    assert MemoryState.objects.values().get(student=student, card=card) == moved_on

    from_quiz = review_record(
        student=student, card=card, rating=1, reviewed_at=now, state=read, source="quiz"
    )
    assert from_quiz is not None and from_quiz.reps == moved_on["reps"] + 1
    assert MemoryState.objects.get(student=student, card=card).reps == 3
    assert list(
        ReviewLog.objects.filter(student=student, card=card).values_list("rating", flat=True)
    ) == [3, 3, 1]
