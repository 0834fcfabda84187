"""Query budgets of the pages every student opens many times a day, at two sizes of everything.

The review loop (show the back, then rate and get the next card) and the dashboard run a fixed
number of queries, whether the site has one student or 3,000, and 150 card states or 15,000.
Counts leave out the statements that only open and close transactions (see `assert_queries`);
each request is made once before it is counted, as a student's second request is: the first of
a session reads the study context into the cache (content.usercache).
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from courses.models import Enrollment
from quizzes.models import Card, MemoryState, ReviewLog
from quizzes.services import review_record

HTMX = {"HX-Request": "true"}


def grow(student, *, students: int, states: int) -> None:
    """Add `students - 1` classmates and `states` card states in all, 150 of them the student's
    (due now); the others spread over the classmates and 150 more cards."""
    lesson = Card.objects.first().lesson
    classroom = Enrollment.objects.get(student=student).classroom
    cards = [
        Card(lesson=lesson, key=f"grown-{i}", position=100 + i, front=f"Front {i}", back="Back")
        for i in range(300)
    ]
    for card in cards:
        card.render_html(footnotes={})  # bulk_create does not save() them
    cards = Card.objects.bulk_create(cards)
    User = get_user_model()
    others = User.objects.bulk_create(
        User(username=f"classmate-{i}", password="!") for i in range(students - 1)
    )
    Enrollment.objects.bulk_create(Enrollment(classroom=classroom, student=o) for o in others)
    now = timezone.now()
    rows = [(student, card) for card in cards[:150]]
    rest = states - len(rows)
    rows += [(others[i % len(others)], cards[150 + i % 150]) for i in range(rest)]
    MemoryState.objects.bulk_create(
        MemoryState(
            student=who,
            card=card,
            state=2,
            stability=5.0,
            difficulty=5.0,
            due_at=now - timedelta(hours=1),
            last_review_at=now - timedelta(days=5),
            last_review_days=(now - timedelta(days=5)).timestamp() / 86400,
            reps=1,
        )
        for who, card in rows
    )
    ReviewLog.objects.bulk_create(
        ReviewLog(
            student=who,
            card=card,
            rating=3,
            reviewed_at=now - timedelta(days=5),
            state_after=2,
            due_after=now - timedelta(hours=1),
        )
        for who, card in rows
    )


def due_now(student, count: int) -> None:
    """Give the student `count` cards reviewed three days ago and due an hour ago."""
    for card in Card.objects.all()[:count]:
        review_record(
            student=student, card=card, rating=3, reviewed_at=timezone.now() - timedelta(days=3)
        )
    MemoryState.objects.filter(student=student).update(due_at=timezone.now() - timedelta(hours=1))
    ReviewLog.objects.filter(student=student).update(reviewed_at=timezone.now() - timedelta(days=3))


def the_card(html: str) -> tuple[int, int]:
    """The card on the page and its review count, from the rating form."""
    card = re.search(r'name="card" value="(\d+)"', html)
    reps = re.search(r'name="reps" value="(\d+)"', html)
    return int(card.group(1)), int(reps.group(1))


SHOW_ANSWER = {**HTMX, "HX-Target": "card-answer"}


def review_loop(client, assert_queries) -> None:
    """Show the back of the first card, then rate it and get the next one, as htmx does."""
    front = client.get("/study/", headers=HTMX).content.decode()
    card_id = int(re.search(r"show=(\d+)", front).group(1))
    with assert_queries(2):
        # user; the card with the student's state ("Show answer" swaps in only the back)
        back = client.get(f"/study/?show={card_id}", headers=SHOW_ANSWER).content.decode()
    card, reps = the_card(back)
    # user; the card with the student's state; update the state and append to the log (one
    # statement on PostgreSQL, two on SQLite); the queue with the next card
    with assert_queries(4 if connection.vendor == "postgresql" else 5):
        response = client.post("/study/", {"card": card, "rating": 3, "reps": reps}, headers=HTMX)
    assert response.status_code == 200
    assert MemoryState.objects.get(student__username="stu", card_id=card).reps == reps + 1
    assert re.search(r"show=(\d+)", response.content.decode()), "the next card comes with it"


@pytest.mark.django_db
def test_the_review_loop_runs_the_same_queries_at_every_size(client, student, assert_queries):
    client.force_login(student)
    due_now(student, 3)
    client.get("/study/")  # the session's first request reads the study context
    review_loop(client, assert_queries)

    grow(student, students=3000, states=15000)
    review_loop(client, assert_queries)


def dashboard(client, assert_queries) -> str:
    with assert_queries(2):
        # user; per lesson the cards, due and new cards, recall and the forecast, with today's
        # counts (the roles, assignments and invitations are in the cached study context, the
        # streak up to yesterday is cached for the day)
        return client.get("/").content.decode()


@pytest.mark.django_db
def test_the_dashboard_runs_the_same_queries_at_every_size(client, student, assert_queries):
    client.force_login(student)
    due_now(student, 3)
    client.get("/")
    small = dashboard(client, assert_queries)
    assert "cards due now" in small

    grow(student, students=3000, states=15000)
    large = dashboard(client, assert_queries)
    # The student's 3 + 150 studied cards of the lesson's 5 + 300.
    assert "<td>153 / 305</td>" in large
    assert '<span class="big">50</span>' in large, "due now: the mini course's 50 a day"


def long_attempt(student, *, questions: int, answered: int):
    """An open attempt of `questions` questions (a lesson of its own), the first `answered` of
    them answered and every third one flagged, beside 40 finished attempts of other students."""
    from content.models import Lesson
    from quizzes.models import Attempt
    from tests.factories import AnswerFactory, AttemptFactory, QuestionFactory, QuizFactory

    lesson = Lesson.objects.first()
    quiz = QuizFactory(lessons=[lesson])
    questions_ = [QuestionFactory(lesson=lesson) for _ in range(questions)]
    versions = [q.current_version_id for q in questions_]
    for other in AttemptFactory.create_batch(40, quiz=quiz, versions=versions):
        Attempt.objects.filter(pk=other.pk).update(finished_at=timezone.now(), score=0.5)
    attempt = AttemptFactory(
        quiz=quiz,
        student=student,
        versions=versions,
        position=answered,
        flagged=list(range(0, questions, 3)),
        started_at=timezone.now(),
    )
    for position in range(answered):
        AnswerFactory(
            attempt=attempt,
            version=questions_[position].current_version,
            position=position,
            answered_at=timezone.now(),
        )
    return attempt


def summary_page(client, assert_queries, attempt) -> str:
    with assert_queries(3):
        # user; the attempt with its quiz; its answers' positions (the flags are on the attempt)
        response = client.get(f"/attempts/{attempt.pk}/summary/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_summary_page_runs_the_same_queries_at_every_size(client, student, assert_queries):
    client.force_login(student)
    small = long_attempt(student, questions=3, answered=1)
    client.get(f"/attempts/{small.pk}/summary/")
    page = summary_page(client, assert_queries, small)
    assert page.count(">Answered") == 1 and page.count("Not yet answered") == 2

    large = long_attempt(student, questions=120, answered=90)
    page = summary_page(client, assert_queries, large)
    assert page.count(">Answered") == 90 and page.count("Not yet answered") == 30
    assert page.count('class="flag-mark"') == 40


def attempt_page(client, assert_queries, attempt) -> str:
    with assert_queries(4):
        # user; the attempt with its quiz; the current question's version; the attempt's answers
        # (for the navigator and the current question's feedback; the flags are on the attempt)
        response = client.get(f"/attempts/{attempt.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_attempt_page_with_its_navigator_runs_the_same_queries_at_every_size(
    client, student, assert_queries
):
    client.force_login(student)
    small = long_attempt(student, questions=3, answered=1)
    client.get(f"/attempts/{small.pk}/")
    page = attempt_page(client, assert_queries, small)
    assert page.count('class="qbox') == 3

    large = long_attempt(student, questions=120, answered=90)
    page = attempt_page(client, assert_queries, large)
    assert page.count('class="qbox') == 120
    assert page.count('class="qbox answered') == 90


@pytest.mark.django_db
def test_a_free_attempts_page_runs_the_same_queries_at_every_size(client, student, assert_queries):
    """Free navigation: any question by its number, the boxes as links; the same four queries
    (the answers read once, for the first unanswered question, the navigator and the feedback)."""
    from quizzes.models import Attempt

    client.force_login(student)
    for questions, answered in ((3, 1), (120, 90)):
        attempt = long_attempt(student, questions=questions, answered=answered)
        snapshot = {"feedback": "end", "navigation": "free"}
        Attempt.objects.filter(pk=attempt.pk).update(settings_snapshot=snapshot)
        client.get(f"/attempts/{attempt.pk}/")
        with assert_queries(4):
            # user; the attempt with its quiz; its answers; the question's version
            first_unanswered = client.get(f"/attempts/{attempt.pk}/").content.decode()
        with assert_queries(4):
            answered_one = client.get(f"/attempts/{attempt.pk}/?question=1").content.decode()
        assert f"Question {answered + 1} of {questions}" in first_unanswered
        assert first_unanswered.count('<a href="?question=') == questions
        assert "Your answer is saved" in answered_one
