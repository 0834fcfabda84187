"""Rating and undoing flashcard reviews at the same moment: a double click, a resent form, two tabs.

After every race each memory state must be what replaying the review log gives.
"""

import re
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from quizzes.models import Card, MemoryState, ReviewLog
from quizzes.services import memory_state_rebuild, review_record
from tests.factories import StudentFactory

ROUNDS = 3
CLICKS = 6
STUDY = "/study/mini-lesson/"


STATE_FIELDS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due_at",
    "last_review_at",
    "reps",
    "lapses",
)


def _state(state: MemoryState | None) -> tuple | None:
    return tuple(getattr(state, name) for name in STATE_FIELDS) if state else None


def assert_states_match_the_log(student) -> None:
    """Each of the student's memory states is what replaying their review log gives."""
    for card in Card.objects.all():
        stored = MemoryState.objects.filter(student=student, card=card).first()
        with transaction.atomic():
            rebuilt = memory_state_rebuild(student=student, card=card)
            transaction.set_rollback(True)
        assert _state(stored) == _state(rebuilt), card.key


def rating_form(tabs, rating: int = 3) -> dict[str, str]:
    """Turn the queue's current card over and fill its rating form, as the page drew it."""
    card_id = re.search(r"\?show=(\d+)", tabs.get(STUDY).text).group(1)
    fields = tabs.fields(f"{STUDY}?show={card_id}")
    return {"card": fields["card"], "reps": fields["reps"], "rating": str(rating)}


def test_one_rating_clicked_many_times_is_recorded_once_on_a_new_and_on_a_due_card(
    mini, tabs_for, race, server_errors
):
    for _ in range(ROUNDS):
        student = StudentFactory()
        tabs = tabs_for(student)
        for reps in (0, 1):
            form = rating_form(tabs)
            assert form["reps"] == str(reps)

            responses = race(*[partial(tabs.post, STUDY, form)] * CLICKS)

            assert [r.status_code for r in responses] == [302] * CLICKS
            assert ReviewLog.objects.filter(student=student).count() == reps + 1
            assert MemoryState.objects.get(student=student).reps == reps + 1
            assert_states_match_the_log(student)
            # The card comes round again: due now, first in the queue.
            MemoryState.objects.filter(student=student).update(due_at=timezone.now())
    assert server_errors() == []


def _rate_three_cards(student) -> None:
    for key in ("mini-f1", "mini-f2", "mini-f3"):
        card = Card.objects.get(key=key)
        review_record(student=student, card=card, rating=3, reviewed_at=timezone.now())


def test_two_undos_at_once_take_back_one_or_two_ratings_and_leave_the_state_true(
    mini, tabs_for, race, server_errors
):
    for _ in range(ROUNDS):
        student = StudentFactory()
        _rate_three_cards(student)
        tabs = tabs_for(student)

        responses = race(*[partial(tabs.post, STUDY, {"action": "undo"})] * 2)

        assert [r.status_code for r in responses] == [302] * 2
        assert ReviewLog.objects.filter(student=student).count() in {1, 2}
        assert_states_match_the_log(student)
    assert server_errors() == []


def test_an_undo_and_a_rating_at_once_leave_the_state_equal_to_the_log(
    mini, tabs_for, race, server_errors
):
    """Undo rebuilds a card's state from its log while another tab rates the same card."""
    for _ in range(ROUNDS * 2):
        student = StudentFactory()
        card = Card.objects.get(key="mini-f1")
        earlier = timezone.now() - timedelta(seconds=1)
        review_record(student=student, card=card, rating=1, reviewed_at=earlier)
        review_record(student=student, card=card, rating=3, reviewed_at=timezone.now())
        tabs = tabs_for(student)
        rate = {"card": str(card.pk), "reps": "2", "rating": "3"}

        responses = race(
            partial(tabs.post, STUDY, {"action": "undo"}), partial(tabs.post, STUDY, rate)
        )

        assert [r.status_code for r in responses] == [302] * 2
        assert ReviewLog.objects.filter(student=student).count() in {1, 2}
        assert_states_match_the_log(student)
    assert server_errors() == []
