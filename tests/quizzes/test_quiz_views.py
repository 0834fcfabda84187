"""Taking a quiz: one question at a time, feedback, resuming, finishing, and what stays private."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes.models import (
    Answer,
    Attempt,
    MemoryState,
    QuestionVersion,
    Quiz,
    ReviewLog,
    ReviewSource,
)
from quizzes.services import attempt_start
from tests.factories import StudentFactory

# The right response to each mini-course question, as form data with authored indexes for the
# options; `right` turns them into the displayed positions that the form sends (even unshuffled
# options are not shown in the authored order, and ordering items are always shuffled).
RIGHT = {
    "single_choice": {"choice": 1},
    "multiple_response": {"choices": [0, 2]},
    "true_false": {"value": "false"},
    "short_answer": {"text": "  Shared IDEOLOGY! "},
    "numeric": {"text": "1,977"},
    "matching": {"match_0": 0, "match_1": 1},
    "cloze": {"blank_0": "1977", "blank_1": "40000"},
}
WRONG = {"single_choice": {"choice": 0}, "true_false": {"value": "true"}}


@pytest.fixture
def quiz(mini) -> Quiz:
    return Quiz.objects.get(key="lesson-mini-lesson")


def start(client, quiz) -> Attempt:
    response = client.post(f"/quizzes/{quiz.pk}/")
    attempt = Attempt.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"/attempts/{attempt.pk}/"
    return attempt


def answer(client, attempt, data, **headers):
    attempt.refresh_from_db()
    form = {"action": "answer", "seq": attempt.seq, "position": attempt.position, **data}
    return client.post(f"/attempts/{attempt.pk}/", form, **headers)


def right(attempt, responses=RIGHT) -> dict:
    """The right (or, from WRONG, a wrong) response to the attempt's current question, as the
    form data a student would send: options by their displayed position."""
    attempt.refresh_from_db()
    version = QuestionVersion.objects.get(pk=attempt.versions[attempt.position])
    shown = attempt.settings_snapshot["orders"].get(str(version.pk), [])
    if version.type == "ordering":
        places = version.answer_key["order"]  # item indices, first to last
        return {f"item_{p}": str(places.index(i) + 1) for p, i in enumerate(shown)}
    data = {}
    for name, value in responses[version.type].items():
        if version.type in {"single_choice", "multiple_response", "matching"}:
            value = (
                [str(shown.index(i)) for i in value]
                if isinstance(value, list)
                else (str(shown.index(value)))
            )
        data[name] = value
    return data


def wrong(attempt) -> dict:
    return right(attempt, WRONG)


def next_question(client, attempt):
    attempt.refresh_from_db()
    return client.post(f"/attempts/{attempt.pk}/", {"action": "next", "seq": attempt.seq})


def current_type(attempt) -> str:
    from quizzes.models import QuestionVersion

    attempt.refresh_from_db()
    return QuestionVersion.objects.get(pk=attempt.versions[attempt.position]).type


@pytest.mark.django_db
def test_the_lesson_links_to_its_quiz_and_flashcards(client, student, quiz):
    client.force_login(student)
    html = client.get("/lessons/mini-lesson/").content.decode()
    assert 'href="/study/mini-lesson/">Study flashcards</a>' in html
    assert 'href="/lessons/mini-lesson/quiz/">Take quiz</a>' in html
    assert client.get("/lessons/mini-lesson/quiz/")["Location"] == f"/quizzes/{quiz.pk}/"


@pytest.mark.django_db
def test_a_whole_quiz_with_immediate_feedback(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    assert len(attempt.versions) == 8

    for number in range(1, 9):
        page = client.get(f"/attempts/{attempt.pk}/").content.decode()
        assert f"Question {number} of 8" in page
        assert "Check answer" in page
        response = answer(client, attempt, right(attempt))
        assert response.status_code == 302
        page = client.get(f"/attempts/{attempt.pk}/").content.decode()
        status = re.search(r'<div role="status"[^>]*>\s*<p class="verdict"><strong>(\w+)', page)
        assert status.group(1) == "Correct", (number, current_type(attempt))
        assert "Right answer:" in page and "A mini source" in page
        if number < 8:
            assert next_question(client, attempt).status_code == 302

    response = client.post(f"/attempts/{attempt.pk}/", {"action": "finish"})
    assert response["Location"] == f"/attempts/{attempt.pk}/review/"
    attempt.refresh_from_db()
    assert attempt.score == 1.0
    assert attempt.finished_at is not None
    review = client.get(f"/attempts/{attempt.pk}/review/").content.decode()
    assert "You scored 100%: 8 of 8 correct." in review
    assert review.count("Right answer:") == 8


@pytest.mark.django_db
def test_a_wrong_answer_says_incorrect_and_shows_the_right_one(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    answer(client, attempt, wrong(attempt))
    page = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert re.search(r'role="status"[^>]*>\s*<p class="verdict"><strong>Incorrect', page)
    assert "Right answer: <strong>Shared interests and ideology</strong>" in page
    assert "Both interests and ideology." in page


@pytest.mark.django_db
def test_the_answer_key_never_reaches_the_page_before_the_answer(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    secrets = {
        "short_answer": ["shared ideology"],
        "numeric": ["1977"],
        "cloze": ["1977", "40,000", "40000"],
    }
    for _ in range(8):
        qtype = current_type(attempt)
        page = client.get(f"/attempts/{attempt.pk}/").content.decode()
        body = page[page.index('id="question-panel"') :]
        assert "Right answer" not in body and "explanation" not in body
        assert "answer_key" not in page and "data-correct" not in page
        for secret in secrets.get(qtype, []):
            assert secret not in body, (qtype, secret)
        answer(client, attempt, right(attempt))
        next_question(client, attempt)


@pytest.mark.django_db
def test_htmx_gets_the_partial_and_a_plain_post_redirects(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)

    full = client.get(f"/attempts/{attempt.pk}/")
    partial = client.get(f"/attempts/{attempt.pk}/", headers={"HX-Request": "true"})
    swapped = answer(client, attempt, right(attempt), headers={"HX-Request": "true"})

    assert "<html" in full.content.decode()
    assert "HX-Request" in full["Vary"]
    assert "<html" not in partial.content.decode()
    assert partial.content.decode().lstrip().startswith('<section id="question-panel"')
    assert swapped.status_code == 200
    assert '<div role="status"' in swapped.content.decode()


@pytest.mark.django_db
def test_an_invalid_answer_is_shown_again_with_an_error(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    response = answer(client, attempt, {"choice": "99"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_the_same_answer_sent_twice_is_recorded_once(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    form = {"action": "answer", "seq": 0, "position": 0, **right(attempt)}
    client.post(f"/attempts/{attempt.pk}/", form)
    second = client.post(f"/attempts/{attempt.pk}/", form, follow=True)
    assert Answer.objects.filter(attempt=attempt).count() == 1
    assert "not saved" not in second.content.decode()


@pytest.mark.django_db
def test_a_stale_form_is_refused_and_not_recorded(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    stale = {"action": "answer", "seq": 0, "position": 0, **wrong(attempt)}
    answer(client, attempt, right(attempt))
    next_question(client, attempt)

    response = client.post(f"/attempts/{attempt.pk}/", stale, follow=True)

    assert "already been answered" in response.content.decode()
    assert Answer.objects.get(attempt=attempt, position=0).correct
    old_seq_for_current = {"action": "answer", "seq": 0, "position": 1, "choices": ["0", "2"]}
    response = client.post(f"/attempts/{attempt.pk}/", old_seq_for_current, follow=True)
    assert "out of date" in response.content.decode()
    assert not Answer.objects.filter(attempt=attempt, position=1).exists()


@pytest.mark.django_db
def test_an_attempt_survives_logout_and_resumes_where_it_was(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    answer(client, attempt, right(attempt))
    next_question(client, attempt)
    client.post("/accounts/logout/")
    client.force_login(student)

    page = client.get(f"/quizzes/{quiz.pk}/").content.decode()
    assert "Resume attempt" in page
    assert start(client, quiz) == attempt
    assert "Question 2 of 8" in client.get(f"/attempts/{attempt.pk}/").content.decode()


@pytest.mark.django_db
def test_feedback_at_the_end_moves_straight_on(client, student, quiz):
    quiz.feedback = "end"
    quiz.save()
    client.force_login(student)
    attempt = start(client, quiz)
    answer(client, attempt, WRONG["single_choice"])
    page = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert "Question 2 of 8" in page and 'role="status"' not in page


@pytest.mark.django_db
def test_attempts_allowed_is_enforced(client, student, quiz):
    quiz.attempts_allowed = 1
    quiz.save()
    client.force_login(student)
    attempt = start(client, quiz)
    client.post(f"/attempts/{attempt.pk}/", {"action": "finish"})
    response = client.post(f"/quizzes/{quiz.pk}/", follow=True)
    assert "used all the attempts" in response.content.decode()
    assert Attempt.objects.count() == 1


@pytest.mark.django_db
def test_an_attempt_past_its_time_limit_is_submitted(client, student, quiz):
    quiz.time_limit_minutes = 5
    quiz.save()
    client.force_login(student)
    attempt = start(client, quiz)
    Attempt.objects.filter(pk=attempt.pk).update(started_at=timezone.now() - timedelta(minutes=6))
    response = client.get(f"/attempts/{attempt.pk}/")
    assert response["Location"] == f"/attempts/{attempt.pk}/review/"
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.score == 0


@pytest.mark.django_db
def test_another_students_attempt_is_404(client, student, quiz):
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
    client.force_login(StudentFactory())
    assert client.get(f"/attempts/{attempt.pk}/").status_code == 404
    assert client.post(f"/attempts/{attempt.pk}/", {"action": "finish"}).status_code == 404
    assert client.get(f"/attempts/{attempt.pk}/review/").status_code == 404
    assert client.get("/attempts/999999/").status_code == 404


@pytest.mark.django_db
def test_a_quiz_answer_feeds_the_flashcard_schedule_once_a_day(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    answer(client, attempt, right(attempt))
    log = ReviewLog.objects.get(student=student)
    assert (log.card.key, log.rating, log.source) == ("mini-single", 3, ReviewSource.QUIZ)
    assert log.answer == Answer.objects.get()
    client.post(f"/attempts/{attempt.pk}/", {"action": "finish"})

    second = start(client, quiz)
    answer(client, second, wrong(second))

    assert ReviewLog.objects.filter(student=student).count() == 1
    assert MemoryState.objects.get(student=student).reps == 1


@pytest.mark.django_db
def test_malformed_posts_do_not_fail(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    url = f"/attempts/{attempt.pk}/"
    for data in [{}, {"action": "answer"}, {"action": "answer", "position": "x", "seq": "y"},
                 {"action": "answer", "position": "-1", "seq": "0"},
                 {"action": "answer", "position": "500", "seq": "0"},
                 {"action": "next", "seq": "zzz"}, {"action": "bogus"}]:  # fmt: skip
        assert client.post(url, data).status_code in {200, 302, 422}, data
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_the_attempt_page_query_count_does_not_grow(
    client, student, quiz, django_assert_num_queries
):
    client.force_login(student)

    def page_for_new_attempt():
        attempt = start(client, quiz)
        for _qtype in ("single_choice", "multiple_response", "true_false"):
            answer(client, attempt, right(attempt))
            next_question(client, attempt)
        return attempt

    # user, the attempt with its quiz, the current version, its answer (none yet); the session
    # comes from the cache
    first = page_for_new_attempt()
    with django_assert_num_queries(4):
        client.get(f"/attempts/{first.pk}/")
    client.post(f"/attempts/{first.pk}/", {"action": "finish"})
    for _ in range(3):
        attempt = page_for_new_attempt()
        client.post(f"/attempts/{attempt.pk}/", {"action": "finish"})
    last = page_for_new_attempt()
    with django_assert_num_queries(4):
        client.get(f"/attempts/{last.pk}/")
