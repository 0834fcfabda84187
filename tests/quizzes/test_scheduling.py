"""The schedule written to the database is py-fsrs's, and can be rebuilt from the review log."""

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from quizzes import scheduling
from quizzes.models import MemoryState, ReviewLog
from quizzes.services import review_record
from tests.factories import CardFactory, StudentFactory

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# (rating, minutes after START): a learning step, a lapse, a relearning step and reviews.
SESSION = [(3, 0), (3, 12), (3, 60 * 24 * 3), (1, 60 * 24 * 20), (3, 60 * 24 * 20 + 15),
           (4, 60 * 24 * 30), (2, 60 * 24 * 75)]  # fmt: skip


@pytest.mark.django_db
def test_stored_state_matches_py_fsrs_for_the_same_ratings_and_times():
    student, card = StudentFactory(), CardFactory()
    expected = FsrsCard(card_id=card.pk, due=START)
    scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=False)

    for rating, minutes in SESSION:
        at = START + timedelta(minutes=minutes)
        state = review_record(student=student, card=card, rating=rating, reviewed_at=at, fuzz=False)
        expected, _ = scheduler.review_card(expected, Rating(rating), review_datetime=at)

        state.refresh_from_db()
        assert state.state == int(expected.state)
        assert state.step == expected.step
        assert state.stability == pytest.approx(expected.stability)
        assert state.difficulty == pytest.approx(expected.difficulty)
        assert state.due_at == expected.due

    assert ReviewLog.objects.filter(student=student, card=card).count() == len(SESSION)
    assert MemoryState.objects.get(student=student, card=card).lapses == 1


@pytest.mark.django_db
def test_the_schedule_can_be_rebuilt_from_the_review_log():
    student, card = StudentFactory(), CardFactory()
    for rating, minutes in SESSION:
        review_record(
            student=student,
            card=card,
            rating=rating,
            reviewed_at=START + timedelta(minutes=minutes),
            fuzz=True,  # fuzzed due dates too: the log records each one
        )
    stored = MemoryState.objects.get(student=student, card=card)

    rebuilt = FsrsCard(card_id=card.pk, due=START)
    scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    logs = list(ReviewLog.objects.filter(student=student, card=card).order_by("reviewed_at"))
    for log in logs:
        rebuilt, _ = scheduler.review_card(rebuilt, Rating(log.rating), log.reviewed_at)

    assert stored.state == int(rebuilt.state)
    assert stored.step == rebuilt.step
    assert stored.stability == pytest.approx(rebuilt.stability)
    assert stored.difficulty == pytest.approx(rebuilt.difficulty)
    assert stored.due_at == logs[-1].due_after
    assert [log.state_after for log in logs[:-1]] == [log.state_before for log in logs[1:]]


@pytest.mark.django_db
def test_the_due_date_of_each_rating_is_the_one_that_rating_would_record():
    student, card = StudentFactory(), CardFactory()
    scheduler = scheduling.scheduler_for(fuzz=False)
    state = None
    for rating, minutes in SESSION:
        at = START + timedelta(minutes=minutes)
        previews = scheduling.due_after_each_rating(
            scheduler, state, card_id=card.pk, reviewed_at=at
        )
        assert previews == {
            r: scheduling.review(scheduler, state, card_id=card.pk, rating=r, reviewed_at=at).due_at
            for r in (1, 2, 3, 4)
        }
        assert len(set(previews.values())) > 1
        state = review_record(student=student, card=card, rating=rating, reviewed_at=at, fuzz=False)
        assert state.due_at == previews[rating]
