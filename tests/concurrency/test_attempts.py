"""Starting and answering quiz attempts at the same moment from several tabs."""

from functools import partial

import pytest

from quizzes.models import Answer, Attempt, MemoryState, Quiz, ReviewLog
from tests.factories import QuizFactory, StudentFactory

ROUNDS = 3
TABS = 6


@pytest.fixture
def quiz(mini) -> Quiz:
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    quiz.attempts_allowed = 2
    quiz.save(update_fields=["attempts_allowed"])
    return quiz


def test_starting_at_once_makes_exactly_the_allowed_attempts(quiz, tabs_for, race, server_errors):
    quiz_url = f"/quizzes/{quiz.pk}/"
    for _ in range(ROUNDS):
        student = StudentFactory()
        tabs = tabs_for(student)
        for number in (1, 2):
            responses = race(*[partial(tabs.post, quiz_url)] * TABS)

            attempts = Attempt.objects.filter(quiz=quiz, student=student)
            assert attempts.count() == number
            started = attempts.get(finished_at=None)
            assert [r.status_code for r in responses] == [302] * TABS
            assert {r.headers["Location"] for r in responses} == {f"/attempts/{started.pk}/"}
            tabs.post(f"/attempts/{started.pk}/", {"action": "finish"})

        responses = race(*[partial(tabs.post, quiz_url)] * TABS)  # the limit is reached

        assert Attempt.objects.filter(quiz=quiz, student=student).count() == 2
        assert [r.status_code for r in responses] == [302] * TABS
        assert {r.headers["Location"] for r in responses} == {quiz_url}
    assert server_errors() == []


def _answer_form(tabs, attempt_url: str) -> dict[str, str]:
    fields = tabs.fields(attempt_url)
    return {
        "action": "answer",
        "seq": fields["seq"],
        "position": fields["position"],
        "choice": fields["choice"],  # any offered choice: right or wrong, it is recorded once
    }


def test_the_same_answer_from_two_tabs_is_recorded_once_and_feeds_the_schedule_once(
    quiz, tabs_for, race, server_errors
):
    for _ in range(ROUNDS):
        student = StudentFactory()
        tabs = tabs_for(student)
        attempt_url = tabs.post(f"/quizzes/{quiz.pk}/").headers["Location"]
        form = _answer_form(tabs, attempt_url)  # the first question is the flashcard mini-single

        responses = race(*[partial(tabs.post, attempt_url, form)] * 2)

        assert Answer.objects.filter(attempt__student=student).count() == 1
        assert ReviewLog.objects.filter(student=student).count() == 1
        assert MemoryState.objects.get(student=student).reps == 1
        assert [r.status_code for r in responses] == [302, 302]
    assert server_errors() == []


def test_one_card_answered_in_two_quizzes_at_once_feeds_the_schedule_once(
    quiz, tabs_for, race, server_errors
):
    """The rule "at most once per study day per card" holds when two attempts race for it."""
    other = QuizFactory(key="mini-again", lessons=list(quiz.lessons.all()), shuffle_questions=False)
    for _ in range(ROUNDS):
        student = StudentFactory()
        tabs = tabs_for(student)
        urls = [tabs.post(f"/quizzes/{q.pk}/").headers["Location"] for q in (quiz, other)]
        forms = [_answer_form(tabs, url) for url in urls]  # both start with mini-single

        responses = race(
            *[partial(tabs.post, url, form) for url, form in zip(urls, forms, strict=True)]
        )

        assert Answer.objects.filter(attempt__student=student).count() == 2
        assert ReviewLog.objects.filter(student=student).count() == 1
        assert MemoryState.objects.get(student=student).reps == 1
        assert [r.status_code for r in responses] == [302, 302]
    assert server_errors() == []


def test_flags_from_several_tabs_at_once_are_all_kept(quiz, tabs_for, race, server_errors):
    """Each tab flags another question at the same moment (and one tab sends its flag twice):
    a read-modify-write without the attempt's row lock would keep only some of them."""
    for _ in range(ROUNDS):
        student = StudentFactory()
        tabs = tabs_for(student)
        started = tabs.post(f"/quizzes/{quiz.pk}/")
        attempt = Attempt.objects.get(student=student, finished_at=None)
        assert started.headers["Location"] == f"/attempts/{attempt.pk}/"
        url = f"/attempts/{attempt.pk}/"
        flags = [
            partial(tabs.post, url, {"action": "flag", "position": str(p), "flagged": "1"})
            for p in (0, 1, 2, 3, 4, 5, 5)
        ]
        responses = race(*flags)

        assert [r.status_code for r in responses] == [302] * len(flags)
        attempt.refresh_from_db()
        assert attempt.flagged == [0, 1, 2, 3, 4, 5]

        unflags = [
            partial(tabs.post, url, {"action": "flag", "position": str(p), "flagged": "0"})
            for p in (1, 3, 5)
        ]
        race(*unflags, partial(tabs.post, url, {"action": "flag", "position": "7", "flagged": "1"}))
        attempt.refresh_from_db()
        assert attempt.flagged == [0, 2, 4, 7]
        assert attempt.seq == 0  # no flag moved the attempt on
    assert server_errors() == []
