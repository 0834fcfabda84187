"""The review log as CSV for FSRS optimizers: columns, values, pseudonyms, who may download it."""

import calendar
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse

from content.export import REVIEW_COLUMNS, csv_chunks, pseudonym, review_rows
from quizzes.models import Card, Quiz, ReviewLog, ReviewSource
from quizzes.services import answer_record, attempt_start, review_record
from tests.factories import (
    AuthorFactory,
    CardFactory,
    CourseFactory,
    LessonFactory,
    LessonSetFactory,
    LessonSetItemFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def ms(moment: datetime) -> str:
    return str(calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000)


def review(student, card, rating: int, at: datetime, **kwargs) -> None:
    review_record(student=student, card=card, rating=rating, reviewed_at=at, fuzz=False, **kwargs)


def read(course) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(csv_chunks(review_rows(course))))))


@pytest.fixture
def reviews(mini):
    """Two students' reviews of the mini course: flashcard ratings and a quiz-fed one."""
    sam, kim = StudentFactory(username="sam"), StudentFactory(username="kim")
    card, question_card = Card.objects.get(key="mini-f1"), Card.objects.get(key="mini-single")
    review(sam, card, 3, T0, duration_ms=4200)
    review(sam, card, 1, T0 + timedelta(minutes=10, milliseconds=5))
    review(sam, question_card, 3, T0 + timedelta(days=1), source=ReviewSource.QUIZ)
    review(kim, card, 4, T0 + timedelta(hours=2), duration_ms=900)
    return {"sam": sam, "kim": kim}


def test_the_csv_has_the_optimizers_columns_and_a_row_per_review(mini, reviews):
    rows = read(mini)
    assert list(rows[0]) == list(REVIEW_COLUMNS)
    assert list(REVIEW_COLUMNS[:5]) == [
        "card_id", "review_time", "review_rating", "review_state", "review_duration",
    ]  # fmt: skip
    sam = pseudonym(mini, reviews["sam"].pk)
    kim = pseudonym(mini, reviews["kim"].pk)
    by_student = {
        name: [{k: v for k, v in r.items() if k != "card_id"} for r in rows if r["student"] == name]
        for name in (sam, kim)
    }
    assert by_student[sam] == [
        # A new card (state 0) rated Good enters learning (1); Again there keeps it learning.
        {"review_time": ms(T0), "review_rating": "3", "review_state": "0",
         "review_duration": "4200", "student": sam, "card_key": "mini-f1", "source": "flashcard"},
        {"review_time": ms(T0 + timedelta(minutes=10, milliseconds=5)), "review_rating": "1",
         "review_state": "1", "review_duration": "", "student": sam, "card_key": "mini-f1",
         "source": "flashcard"},
        # A quiz answer on a question studied as a flashcard is a review too.
        {"review_time": ms(T0 + timedelta(days=1)), "review_rating": "3", "review_state": "0",
         "review_duration": "", "student": sam, "card_key": "mini-single", "source": "quiz"},
    ]  # fmt: skip
    assert by_student[kim] == [
        {"review_time": ms(T0 + timedelta(hours=2)), "review_rating": "4", "review_state": "0",
         "review_duration": "900", "student": kim, "card_key": "mini-f1", "source": "flashcard"},
    ]  # fmt: skip
    assert len(rows) == 4


def test_each_students_history_of_a_card_is_a_card(mini, reviews):
    """An optimizer reads one card's history per card_id, as in Anki, where every student has
    their own cards: the id is one number per student and card."""
    rows = read(mini)
    ids = {(row["student"], row["card_key"]): row["card_id"] for row in rows}
    assert len(ids) == 3
    assert len(set(ids.values())) == 3
    assert all(value.isdigit() and int(value) < 2**63 for value in ids.values())
    sam = pseudonym(mini, reviews["sam"].pk)
    assert [row["card_id"] for row in rows if row["student"] == sam][:2] == [
        ids[(sam, "mini-f1")]
    ] * 2


def test_students_are_pseudonymised_stably_and_per_course(mini, reviews):
    sam = reviews["sam"]
    rows = read(mini)
    names = {row["student"] for row in rows}
    assert len(names) == 2
    for name in names:
        assert len(name) == 16 and int(name, 16) >= 0
        assert name not in {str(sam.pk), sam.username, str(reviews["kim"].pk), "kim"}
    assert read(mini) == rows  # the same at every export
    other = CourseFactory(key="other-course")
    assert pseudonym(other, sam.pk) != pseudonym(mini, sam.pk)


def test_only_the_courses_cards_are_in_its_log(mini, reviews):
    other = CourseFactory(key="other-course")
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set=LessonSetFactory(course=other), lesson=lesson, position=0)
    review(reviews["sam"], CardFactory(lesson=lesson, key="other-card"), 3, T0)

    assert [row["card_key"] for row in read(other)] == ["other-card"]
    assert "other-card" not in {row["card_key"] for row in read(mini)}


def test_the_command_writes_the_csv(mini, reviews, tmp_path, capsys):
    call_command("export_reviews", "mini", str(tmp_path / "reviews.csv"))
    assert "Wrote 4 reviews" in capsys.readouterr().out
    expected = "".join(csv_chunks(review_rows(mini)))
    assert (tmp_path / "reviews.csv").read_text(encoding="utf-8") == expected
    call_command("export_reviews", "mini", "-")
    assert capsys.readouterr().out == expected


# The download -----------------------------------------------------------------------------------


def url(key: str = "mini") -> str:
    return reverse("author_reviews_csv", kwargs={"course_key": key})


def test_authors_download_the_log_streamed(client, mini, reviews):
    client.force_login(AuthorFactory())
    response = client.get(url())
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mini-reviews.csv"'
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode()
    assert body == "".join(csv_chunks(review_rows(mini)))
    assert body.count("\n") == 5


def test_only_authors_and_superusers_may_download_the_log(client, mini, reviews):
    assert client.get(url()).status_code == 302  # sign in first
    for user in (StudentFactory(), TeacherFactory(), UserFactory(is_staff=True)):
        client.force_login(user)
        assert client.get(url()).status_code == 404
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(url()).status_code == 200
    client.force_login(AuthorFactory())
    assert client.get(url("no-such-course")).status_code == 404
    assert client.post(url()).status_code == 405


def test_the_author_dashboard_links_each_course_to_its_log(client, mini):
    client.force_login(AuthorFactory())
    html = client.get(reverse("author_dashboard")).content.decode()
    assert f'href="{url()}"' in html
    client.force_login(TeacherFactory())
    assert client.get(reverse("author_dashboard")).status_code == 404


@pytest.mark.parametrize("students", [1, 12])
def test_the_download_runs_the_same_queries_at_any_size(client, mini, assert_queries, students):
    cards = list(Card.objects.filter(lesson__key="mini-lesson"))
    for i in range(students):
        student = StudentFactory()
        for j, card in enumerate(cards):
            review(student, card, 3, T0 + timedelta(minutes=i * 60 + j))
    client.force_login(AuthorFactory())
    # The user (its session is cached), the user's roles, the course, the reviews (one query,
    # read in chunks).
    with assert_queries(4):
        response = client.get(url())
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 1 + students * len(cards)


def test_reviews_of_retired_cards_stay_in_the_log(mini, reviews):
    Card.objects.filter(key="mini-f1").update(retired_at=T0 + timedelta(days=2))
    assert [row["card_key"] for row in read(mini)].count("mini-f1") == 3


def test_a_quiz_answers_review_takes_the_time_the_answer_took(mini, student):
    quiz = Quiz.objects.get(key="lesson-mini-lesson")  # in file order: mini-single first
    attempt = attempt_start(quiz=quiz, student=student, now=T0)
    answer_record(
        attempt=attempt, seq=attempt.seq, position=0, response={"choice": 1}, now=T0,
        day_start=T0 - timedelta(hours=1), duration_ms=6100,
    )  # fmt: skip
    [row] = read(mini)
    assert (row["card_key"], row["source"], row["review_rating"]) == ("mini-single", "quiz", "3")
    assert row["review_duration"] == "6100"


def test_a_long_log_is_sent_in_pieces(client, mini, assert_queries):
    """2,500 reviews (history rows written directly: a read test needs only their number) go
    out as three pieces of at most 1,000 lines, from the one query."""
    card, student = Card.objects.get(key="mini-f1"), StudentFactory()
    ReviewLog.objects.bulk_create(
        ReviewLog(
            student=student,
            card=card,
            rating=3,
            reviewed_at=T0 + timedelta(hours=i),
            state_after=2,
            due_after=T0 + timedelta(hours=i + 1),
        )
        for i in range(2500)
    )
    client.force_login(AuthorFactory())
    with assert_queries(4):
        pieces = list(client.get(url()).streaming_content)
    assert [piece.count(b"\n") for piece in pieces] == [1000, 1000, 501]
