"""Flashcard review: the queue, showing and rating cards, undo, limits and query budgets."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from courses.models import Profile
from quizzes.models import Card, MemoryState, Quiz, ReviewLog
from quizzes.services import attempt_finish, attempt_start, review_record
from quizzes.studyday import day_bounds, study_date
from tests.factories import CardFactory, StudentFactory


def front_card_id(html: str) -> int:
    return int(re.search(r"\?show=(\d+)", html).group(1))


def rate(client, card_id: int, rating: int, reps: int = 0, url: str = "/study/", **kw):
    data = {"card": card_id, "reps": reps, "rating": rating, "duration_ms": 1500}
    return client.post(url, data, **kw)


@pytest.mark.django_db
def test_the_front_comes_first_and_the_back_only_when_asked(client, student):
    client.force_login(student)
    page = client.get("/study/").content.decode()
    card = Card.objects.get(pk=front_card_id(page))
    assert "Show answer" in page and card.front in page
    assert card.back not in page
    assert "Again" not in page

    shown = client.get(f"/study/?show={card.pk}").content.decode()

    assert card.back in shown
    labels = re.findall(
        r'<span class="label">(\w+)</span> <span class="interval">(\S+)</span>', shown
    )
    assert [label for label, _ in labels] == ["Again", "Hard", "Good", "Easy"]
    assert all(re.fullmatch(r"\d+(\.\d)?(m|h|d|mo|y)", interval) for _, interval in labels)


@pytest.mark.django_db
def test_a_question_card_does_not_show_its_answer_on_the_front(client, student):
    client.force_login(student)
    card = Card.objects.get(key="mini-single")
    other_cards = Card.objects.exclude(pk=card.pk)
    for other in other_cards:  # make the question card the next new card
        MemoryState.objects.create(
            student=student, card=other, state=2, due_at=timezone.now() + timedelta(days=9)
        )
    page = client.get("/study/").content.decode()
    assert front_card_id(page) == card.pk
    assert "Both interests and ideology." not in page  # the explanation is on the back


@pytest.mark.django_db
def test_rating_a_card_records_it_and_moves_on(client, student):
    client.force_login(student)
    first = front_card_id(client.get("/study/").content.decode())

    response = rate(client, first, 3)

    assert response.status_code == 302 and response["Location"] == "/study/"
    state = MemoryState.objects.get(student=student, card_id=first)
    assert state.reps == 1 and state.due_at > timezone.now()
    log = ReviewLog.objects.get(student=student)
    assert (log.rating, log.duration_ms, log.state_before, log.source) == (
        3,
        1500,
        None,
        "flashcard",
    )
    assert front_card_id(client.get("/study/").content.decode()) != first


@pytest.mark.django_db
def test_a_rating_sent_twice_is_recorded_once(client, student):
    client.force_login(student)
    first = front_card_id(client.get("/study/").content.decode())
    rate(client, first, 3)
    rate(client, first, 3)
    assert ReviewLog.objects.filter(student=student).count() == 1


@pytest.mark.django_db
def test_undo_restores_the_state_exactly(client, student):
    client.force_login(student)
    card = Card.objects.get(key="mini-f1")
    start = timezone.now() - timedelta(days=5)
    review_record(student=student, card=card, rating=3, reviewed_at=start)
    review_record(student=student, card=card, rating=3, reviewed_at=start + timedelta(minutes=11))
    MemoryState.objects.filter(card=card).update(due_at=timezone.now() - timedelta(hours=1))
    before = MemoryState.objects.values().get(student=student, card=card)

    page = client.get("/study/").content.decode()
    assert front_card_id(page) == card.pk  # a due review comes before new cards
    rate(client, card.pk, 1, reps=before["reps"])
    assert MemoryState.objects.get(student=student, card=card).reps == before["reps"] + 1

    client.post("/study/", {"action": "undo"})

    after = MemoryState.objects.values().get(student=student, card=card)
    assert {k: v for k, v in after.items() if k != "id"} == {
        k: v for k, v in before.items() if k != "id"
    } | {"due_at": ReviewLog.objects.filter(card=card).latest("reviewed_at").due_after}
    assert ReviewLog.objects.filter(student=student, card=card).count() == 2


@pytest.mark.django_db
def test_undo_of_a_new_card_makes_it_new_again(client, student):
    client.force_login(student)
    first = front_card_id(client.get("/study/").content.decode())
    rate(client, first, 4)
    client.post("/study/", {"action": "undo"})
    assert not MemoryState.objects.filter(student=student).exists()
    assert not ReviewLog.objects.exists()
    assert front_card_id(client.get("/study/").content.decode()) == first


@pytest.mark.django_db
def test_new_cards_stop_at_the_daily_limit_and_the_done_screen_says_what_comes(client, student):
    client.force_login(student)  # the mini course allows 3 new cards a day; it has 5 cards
    for _ in range(3):
        card_id = front_card_id(client.get("/study/").content.decode())
        rate(client, card_id, 4)  # Easy: graduates at once, due in days
    page = client.get("/study/").content.decode()
    assert "Done for today" in page
    assert re.search(r"Tomorrow: \d+ cards? (is|are) due", page)
    assert Card.objects.active().exclude(memory_states__student=student).count() == 2


@pytest.mark.django_db
def test_a_lesson_can_be_studied_on_its_own_even_if_not_assigned(client, mini):
    client.force_login(StudentFactory())
    assert "Show answer" in client.get("/study/mini-lesson/").content.decode()
    assert "No cards yet" in client.get("/study/").content.decode()


@pytest.mark.django_db
def test_cards_outside_the_queue_cannot_be_rated(client, mini):
    client.force_login(StudentFactory())
    card = Card.objects.first()
    response = rate(client, card.pk, 3, follow=True)
    assert "not in your reviews" in response.content.decode()
    assert not ReviewLog.objects.exists()
    assert client.post("/study/", {"card": "x", "rating": "9"}).status_code == 302


# What htmx sends when "Show answer" is clicked: it swaps the back into #card-answer.
SHOW_ANSWER = {"HX-Request": "true", "HX-Target": "card-answer"}


@pytest.mark.django_db
def test_show_answer_swaps_in_only_the_back_and_the_rating_form(client, student):
    client.force_login(student)
    page = client.get("/study/").content.decode()
    card = Card.objects.get(pk=front_card_id(page))
    assert 'hx-target="#card-answer"' in page

    response = client.get(f"/study/?show={card.pk}", headers=SHOW_ANSWER)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="card-answer">') and "<section" not in html
    assert card.back in html and card.front not in html
    assert f'name="card" value="{card.pk}"' in html and 'name="reps" value="0"' in html
    assert "HX-Retarget" not in response and "HX-Target" in response["Vary"]
    rated = rate(client, card.pk, 3, headers={"HX-Request": "true", "HX-Target": "review-card"})
    assert rated.status_code == 200 and ReviewLog.objects.filter(card=card).count() == 1


@pytest.mark.django_db
def test_show_answer_for_a_card_not_to_be_shown_swaps_the_whole_card_instead(client, student):
    client.force_login(student)
    elsewhere = CardFactory()  # a card of a lesson the student is not assigned
    for show in (str(elsewhere.pk), "x", "-1", "9" * 40):
        response = client.get(f"/study/?show={show}", headers=SHOW_ANSWER)
        html = response.content.decode()
        assert response.status_code == 200 and response["HX-Retarget"] == "#review-card"
        assert html.lstrip().startswith('<section id="review-card"')
        assert elsewhere.back not in html and "Show answer" in html


@pytest.mark.django_db
def test_htmx_gets_the_review_card_partial(client, student):
    client.force_login(student)
    response = client.get("/study/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="review-card"') and "<html" not in html
    assert "HX-Request" in response["Vary"]
    card_id = front_card_id(html)
    swapped = rate(client, card_id, 3, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and "<html" not in swapped.content.decode()


# Study days -------------------------------------------------------------------------------------


def test_the_study_day_turns_over_at_four_in_the_students_time_zone():
    hanoi = "Asia/Ho_Chi_Minh"  # UTC+7
    # 20:30 UTC is 03:30 the next morning in Hanoi: still the day before, for a 4 a.m. turnover.
    late = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)
    assert study_date(late, time_zone=hanoi, day_starts_at=4).isoformat() == "2026-03-01"
    assert study_date(late, time_zone=hanoi, day_starts_at=0).isoformat() == "2026-03-02"
    start, end = day_bounds(late, time_zone=hanoi, day_starts_at=4)
    assert start == datetime(2026, 2, 28, 21, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)
    assert study_date(late, time_zone="Not/AZone", day_starts_at=4).isoformat() == "2026-03-01"


@pytest.mark.django_db
def test_the_new_card_count_follows_the_students_day(client, student):
    Profile.objects.create(user=student, time_zone="UTC", day_starts_at=4)
    client.force_login(student)
    card = Card.objects.first()
    # Rated yesterday (a study day ago): today's new-card allowance is full again.
    review_record(
        student=student,
        card=card,
        rating=4,
        reviewed_at=timezone.now() - timedelta(days=1, hours=1),
    )
    page = client.get("/study/").content.decode()
    assert re.search(r"\d+ due · 3 new", page)


@pytest.mark.django_db
def test_new_cards_come_in_the_order_of_the_assignments(client, student):
    from courses.models import Enrollment
    from tests.factories import AssignmentFactory, AssignmentLessonFactory, CardFactory

    classroom = Enrollment.objects.get(student=student).classroom
    sooner = AssignmentFactory(
        classroom=classroom, lesson_set=None, due_at=timezone.now() + timedelta(days=1)
    )
    link = AssignmentLessonFactory(assignment=sooner)
    first = CardFactory(lesson=link.lesson, position=5)
    client.force_login(student)
    assert front_card_id(client.get("/study/").content.decode()) == first.pk


# Cards held back by an unfinished quiz ----------------------------------------------------------


QUESTION_CARD_BACK = "Both interests and ideology."  # mini-single's explanation, on its back


def _only_the_question_card_left(student) -> Card:
    """Give every other card a state due in days, so that mini-single is the next (new) card."""
    card = Card.objects.get(key="mini-single")
    for other in Card.objects.exclude(pk=card.pk):
        MemoryState.objects.create(
            student=student, card=other, state=2, due_at=timezone.now() + timedelta(days=9)
        )
    return card


@pytest.mark.django_db
def test_a_card_from_an_unfinished_attempt_waits_and_its_back_is_never_sent(client, student):
    client.force_login(student)
    card = _only_the_question_card_left(student)
    assert front_card_id(client.get("/study/").content.decode()) == card.pk
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())

    page = client.get("/study/").content.decode()
    shown = client.get(f"/study/?show={card.pk}").content.decode()
    partial = client.get(f"/study/?show={card.pk}", headers={"HX-Request": "true"})
    answer = client.get(f"/study/?show={card.pk}", headers=SHOW_ANSWER)

    assert "Finish your quiz first" in page
    assert "1 card is held back" in page and f'href="/attempts/{attempt.pk}/"' in page
    for html in (page, shown, partial.content.decode(), answer.content.decode()):
        assert QUESTION_CARD_BACK not in html and "Show answer" not in html
    assert answer["HX-Retarget"] == "#review-card"
    assert "Done for today" not in page

    attempt_finish(attempt=attempt, now=timezone.now())
    shown = client.get(f"/study/?show={card.pk}").content.decode()
    assert QUESTION_CARD_BACK in shown and "held back" not in shown


@pytest.mark.django_db
def test_other_cards_go_on_while_a_quiz_is_unfinished_and_the_count_leaves_the_held_out(
    client, student
):
    client.force_login(student)
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    attempt_start(quiz=quiz, student=student, now=timezone.now())

    page = client.get("/study/").content.decode()

    card = Card.objects.get(pk=front_card_id(page))
    assert card.question_id is None  # an authored flashcard, not the quiz's question
    assert "1 card is held back" in page
    assert "0 due · 3 new" in page  # 4 authored cards, 3 new a day; mini-single is not counted


@pytest.mark.django_db
def test_a_card_held_back_cannot_be_rated(client, student):
    client.force_login(student)
    card = Card.objects.get(key="mini-single")
    attempt_start(
        quiz=Quiz.objects.get(key="lesson-mini-lesson"), student=student, now=timezone.now()
    )

    response = rate(client, card.pk, 3, follow=True)

    assert "not in your reviews" in response.content.decode()
    assert not ReviewLog.objects.exists()


@pytest.mark.parametrize(
    ("posted", "read"),
    [
        ({"card": "7", "reps": "0", "rating": "3", "duration_ms": "1500"}, (7, 0, 3, 1500)),
        ({"card": "7", "reps": "2", "rating": "1", "duration_ms": ""}, (7, 2, 1, None)),
        ({"card": "7", "reps": "2", "rating": "4"}, (7, 2, 4, None)),
        ({"card": "0", "reps": "0", "rating": "3"}, None),
        ({"card": "-7", "reps": "0", "rating": "3"}, None),
        ({"card": "9" * 19, "reps": "0", "rating": "3"}, None),
        ({"card": "7", "reps": str(2**31), "rating": "3"}, None),
        ({"card": "7", "reps": "0", "rating": "5"}, None),
        ({"card": "7", "reps": "0", "rating": "3.0"}, None),
        ({"card": "7", "rating": "3"}, None),
        ({"card": "7", "reps": "0", "rating": "3", "duration_ms": "-1"}, None),
        ({"card": "7", "reps": "0", "rating": "3", "duration_ms": "soon"}, None),
    ],
)
def test_the_rating_form_is_read_strictly(posted, read):
    from django.http import QueryDict

    from quizzes.forms import read_rating

    data = QueryDict(mutable=True)
    data.update(posted)
    found = read_rating(data)
    assert (found and (found.card, found.reps, found.rating, found.duration_ms)) == read


TOKENS = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.mark.django_db
def test_htmx_replies_carry_the_page_s_own_csrf_token(student):
    """What htmx swaps in carries the token htmx sent (the page's own) instead of a new one,
    and does not send the CSRF cookie again; a form posted before htmx took it over still
    passes. A token of another secret (a login since the page loaded) is not echoed."""
    from django.middleware.csrf import _mask_cipher_secret
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    page = client.get("/study/").content.decode()
    card = front_card_id(page)
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    show = {"HX-Request": "true", "HX-Target": "card-answer"}

    back = client.get(f"/study/?show={card}", headers={**show, "X-CSRFToken": token})
    assert TOKENS.findall(back.content.decode()) == [token, token]  # rating and suspend forms
    assert "csrftoken" not in back.cookies

    def posted(card_id: int, token: str, reps: int = 0):
        data = {"card": card_id, "reps": reps, "rating": 3, "csrfmiddlewaretoken": token}
        return client.post("/study/", data).status_code

    assert posted(card, token) == 302
    assert ReviewLog.objects.filter(student=student, card_id=card).count() == 1

    card = front_card_id(client.get("/study/").content.decode())
    stale = _mask_cipher_secret("b" * 32)
    back = client.get(f"/study/?show={card}", headers={**show, "X-CSRFToken": stale})
    fresh = TOKENS.findall(back.content.decode())
    assert len(set(fresh)) == 1 and stale not in fresh
    assert posted(card, fresh[0]) == 302
    assert posted(card, stale, reps=1) == 403
    assert ReviewLog.objects.filter(student=student, card_id=card).count() == 1


@pytest.mark.django_db
def test_the_review_loop_s_instances_are_those_from_db_makes(student):
    """The card and state the review loop reads are made without Model.__init__: the same
    fields, deferred fields and state as `from_db` gives; and by `from_db` when a receiver
    listens to the model's post_init."""
    from django.db.models.signals import post_init

    from courses.selectors import study_context
    from quizzes import selectors

    card = Card.objects.first()
    review_record(student=student, card=card, rating=3, reviewed_at=timezone.now())
    context = study_context(user=student, now=timezone.now())

    def read():
        return selectors.card_for_rating(
            student=student,
            card_id=card.pk,
            lesson_ids=list(context.lesson_ids),
            held_questions=frozenset(),
        )

    made, state = read()
    stored = MemoryState.objects.get(student=student, card=card)
    reference = Card.objects.only(*selectors._CARD_FIELDS).get(pk=card.pk)
    assert made == reference and made.get_deferred_fields() == reference.get_deferred_fields()
    assert {f: getattr(made, f) for f in selectors._CARD_FIELDS} == {
        f: getattr(reference, f) for f in selectors._CARD_FIELDS
    }
    assert (made._state.adding, made._state.db) == (False, "default")
    assert made.front == card.front  # a deferred field loads as on any instance
    assert state == stored and state.get_deferred_fields() == set()
    assert {f.attname: getattr(state, f.attname) for f in MemoryState._meta.concrete_fields} == {
        f.attname: getattr(stored, f.attname) for f in MemoryState._meta.concrete_fields
    }
    assert state.card is made and state.student == student

    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(sender)

    post_init.connect(listener, sender=MemoryState)
    try:
        read()
    finally:
        post_init.disconnect(listener, sender=MemoryState)
    assert seen == [MemoryState]
