"""A study session as an Anki user expects it: learning cards come back within the learn-ahead
limit, the end of the day says what was done and what comes next, cards can be suspended or
reported, leeches are suspended, and a student may lower or raise today's new cards."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Course, Profile
from quizzes import scheduling
from quizzes.models import (
    Card,
    CardFlag,
    CardState,
    CardSuspension,
    MemoryState,
    ReviewLog,
    ReviewSource,
)
from quizzes.selectors import format_interval
from quizzes.services import review_record
from quizzes.studyday import study_date
from tests.factories import AuthorFactory, StudentFactory
from tests.quizzes.test_study_views import front_card_id, rate


def _seen_all_but(student, *keep: Card, due_in=timedelta(days=9)) -> None:
    """Every card but `keep` reviewed and due far ahead, so that only `keep` can come up."""
    for card in Card.objects.exclude(pk__in=[c.pk for c in keep]):
        MemoryState.objects.create(
            student=student, card=card, state=CardState.REVIEW, due_at=timezone.now() + due_in
        )


def reviewed(
    student,
    card: Card,
    *,
    due_in: timedelta,
    seen_ago: timedelta,
    state: int = CardState.REVIEW,
    stability: float = 2.0,
    difficulty: float = 8.0,
    reps: int = 20,
    lapses: int = 0,
) -> MemoryState:
    """The student's state for a card they last reviewed `seen_ago`, due in `due_in` (negative:
    overdue), with `last_review_days` derived as a rating writes it."""
    seen = timezone.now() - seen_ago
    return MemoryState.objects.create(
        student=student,
        card=card,
        state=state,
        step=0 if state == CardState.LEARNING else None,
        stability=stability,
        difficulty=difficulty,
        due_at=timezone.now() + due_in,
        last_review_at=seen,
        last_review_days=seen.timestamp() / 86400,
        reps=reps,
        lapses=lapses,
    )


def _learning(student, card: Card, *, due_in: timedelta, lapses: int = 0) -> MemoryState:
    return reviewed(
        student,
        card,
        due_in=due_in,
        seen_ago=timedelta(minutes=1),
        state=CardState.LEARNING,
        stability=0.5,
        difficulty=5.0,
        reps=1,
        lapses=lapses,
    )


# Learn ahead ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_learning_card_due_within_the_learn_ahead_limit_is_shown_when_nothing_else_is(
    client, student
):
    card = Card.objects.order_by("pk").first()
    _seen_all_but(student, card)
    _learning(student, card, due_in=timedelta(minutes=8))
    client.force_login(student)

    page = client.get("/study/").content.decode()

    assert front_card_id(page) == card.pk
    assert "Done for" not in page


@pytest.mark.django_db
def test_new_cards_come_before_a_learning_card_that_is_not_due_yet(client, student):
    first, *others = Card.objects.order_by("pk")
    _learning(student, first, due_in=timedelta(minutes=8))
    client.force_login(student)

    page = client.get("/study/").content.decode()

    assert front_card_id(page) in {card.pk for card in others}


@pytest.mark.django_db
def test_a_learning_card_beyond_the_limit_is_announced_with_its_time(client, student):
    card = Card.objects.order_by("pk").first()
    _seen_all_but(student, card)
    _learning(student, card, due_in=timedelta(minutes=45))
    client.force_login(student)

    page = client.get("/study/").content.decode()

    assert "?show=" not in page
    assert "Done for now" in page
    assert "1 card comes back today: the next in 45 minutes." in page
    wait = int(re.search(r'data-wait-seconds="(\d+)"', page).group(1))
    assert 24 * 60 <= wait <= 25 * 60 + 1  # until it is 20 minutes from due


@pytest.mark.django_db
def test_the_course_sets_the_learn_ahead_limit(client, student):
    Course.objects.update(learn_ahead_minutes=0)
    card = Card.objects.order_by("pk").first()
    _seen_all_but(student, card)
    _learning(student, card, due_in=timedelta(minutes=8))
    client.force_login(student)

    page = client.get("/study/").content.decode()

    assert "?show=" not in page and "the next in 8 minutes" in page


@pytest.mark.django_db
def test_a_review_card_due_later_today_is_not_learned_ahead(client, student):
    card = Card.objects.order_by("pk").first()
    _seen_all_but(student, card)
    MemoryState.objects.filter(student=student).update(due_at=timezone.now() + timedelta(days=9))
    state = _learning(student, card, due_in=timedelta(minutes=8))
    MemoryState.objects.filter(pk=state.pk).update(state=CardState.REVIEW)
    client.force_login(student)

    page = client.get("/study/").content.decode()

    assert "?show=" not in page and "Done for today" in page


@pytest.mark.django_db
def test_again_on_the_last_new_card_brings_it_back_in_the_same_session(client, student):
    client.force_login(student)
    seen = []
    while (match := re.search(r"\?show=(\d+)", client.get("/study/").content.decode())) and len(
        seen
    ) < 10:
        card_id = int(match.group(1))
        state = MemoryState.objects.filter(student=student, card_id=card_id).first()
        rate(client, card_id, 1 if not seen else 4, reps=state.reps if state else 0)
        seen.append(card_id)
    # The first card, rated Again (due in a minute), came back after the new ones.
    assert seen.count(seen[0]) >= 2


# The end of the day ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_done_screen_sums_up_today(client, student):
    client.force_login(student)
    ratings = iter([1, 4, 4, 4, 4, 4, 4, 4])
    while match := re.search(r"\?show=(\d+)", client.get("/study/").content.decode()):
        card_id = int(match.group(1))
        state = MemoryState.objects.filter(student=student, card_id=card_id).first()
        rate(client, card_id, next(ratings), reps=state.reps if state else 0)
    page = client.get("/study/").content.decode()

    reviewed = ReviewLog.objects.filter(student=student).count()
    assert f"{reviewed} cards reviewed" in page
    assert "1 forgotten (Again)" in page
    assert re.search(r"\d+ minutes? spent", page)
    assert re.search(r"Tomorrow: \d+ cards? (is|are) due", page)


@pytest.mark.django_db
def test_undo_is_offered_only_when_there_is_a_rating_to_take_back(client, student):
    client.force_login(student)
    assert 'name="action" value="undo"' not in client.get("/study/").content.decode()
    # A quiz answer fed the schedule today: Undo does not take quiz answers back.
    card = Card.objects.order_by("pk").first()
    review_record(
        student=student,
        card=card,
        rating=3,
        reviewed_at=timezone.now(),
        source=ReviewSource.QUIZ,
    )
    assert 'name="action" value="undo"' not in client.get("/study/").content.decode()

    rate(client, front_card_id(client.get("/study/").content.decode()), 3)

    assert 'name="action" value="undo"' in client.get("/study/").content.decode()


# The card's back ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_card_says_its_lesson_and_why_it_is_shown_now(client, student):
    card = Card.objects.order_by("pk").first()
    _seen_all_but(student, card)
    reviewed(
        student,
        card,
        due_in=-timedelta(hours=1),
        seen_ago=timedelta(days=6),
        stability=10.0,
        difficulty=5.0,
        reps=3,
        lapses=1,
    )
    client.force_login(student)

    front = client.get("/study/").content.decode()
    back = client.get(f"/study/?show={card.pk}").content.decode()

    assert f'From the lesson <a href="/lessons/{card.lesson.key}/">{card.lesson.title}</a>' in front
    why = re.search(r"<summary>Why now\?</summary><p>([^<]+)</p>", back).group(1)
    recall = int(re.search(r"predicted recall now (\d+)%", why).group(1))
    assert 70 <= recall <= 95  # six days on a ten-day stability
    assert "last seen 6 days ago" in why and "3 reviews, forgotten 1 time" in why
    assert [
        int(k) for k in re.findall(r'<span class="key" aria-hidden="true">(\d)</span>', back)
    ] == [
        1,
        2,
        3,
        4,
    ]


# Suspending ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_suspended_card_leaves_the_queue_until_it_is_put_back(client, student):
    client.force_login(student)
    card_id = front_card_id(client.get("/study/").content.decode())

    response = client.post("/study/", {"action": "suspend", "card": card_id}, follow=True)

    page = response.content.decode()
    assert "Card suspended" in page
    assert f"?show={card_id}" not in page
    assert CardSuspension.objects.filter(
        student=student, card_id=card_id, reason="student"
    ).exists()
    # Its rating form, drawn before, is refused now.
    rate(client, card_id, 3)
    assert not ReviewLog.objects.filter(student=student, card_id=card_id).exists()
    listed = client.get("/cards/suspended/").content.decode()
    assert "You suspended it" in listed

    client.post("/cards/suspended/", {"card": card_id})

    assert not CardSuspension.objects.filter(student=student).exists()
    assert f"?show={card_id}" in client.get("/study/").content.decode()


@pytest.mark.django_db
def test_a_student_cannot_suspend_a_card_outside_their_lessons_or_put_back_anothers(
    client, student
):
    card = Card.objects.order_by("pk").first()
    other = StudentFactory()
    CardSuspension.objects.create(student=other, card=card, reason="student")
    client.force_login(student)

    client.post("/study/", {"action": "suspend", "card": 987654321})
    client.post("/study/", {"action": "suspend", "card": "x"})
    client.post("/cards/suspended/", {"card": card.pk})

    assert not CardSuspension.objects.filter(student=student).exists()
    assert CardSuspension.objects.filter(student=other).exists()
    assert card.front not in client.get("/cards/suspended/").content.decode()


@pytest.mark.django_db
def test_the_eighth_lapse_makes_a_leech_suspended_and_the_student_is_told(client, student):
    card = Card.objects.order_by("pk").first()
    _seen_all_but(student, card)
    reviewed(student, card, due_in=-timedelta(hours=1), seen_ago=timedelta(days=2), lapses=7)
    client.force_login(student)

    page = rate(client, card.pk, 1, reps=20, follow=True).content.decode()

    suspension = CardSuspension.objects.get(student=student, card=card)
    assert (suspension.reason, suspension.lapses) == ("leech", 8)
    assert "forgotten that card 8 times: it is a leech" in page
    assert f"?show={card.pk}" not in page  # not learned ahead: suspended
    assert "Leech: forgotten 8 times" in client.get("/cards/suspended/").content.decode()


@pytest.mark.django_db
def test_a_seventh_lapse_or_a_lapse_of_a_new_card_is_no_leech(student):
    card = Card.objects.order_by("pk").first()
    reviewed(student, card, due_in=timedelta(0), seen_ago=timedelta(days=2), reps=10, lapses=6)
    review_record(student=student, card=card, rating=1, reviewed_at=timezone.now())
    assert MemoryState.objects.get(student=student, card=card).lapses == 7
    assert not CardSuspension.objects.exists()


# Reporting ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_report_reaches_the_authors_without_the_students_name(client, mini):
    card = Card.objects.order_by("pk").first()
    student = StudentFactory(username="reporter-xq7", first_name="Quetzal", last_name="Ximenes")
    client.force_login(student)
    form = client.get(f"/cards/{card.pk}/report/?next=/study/").content.decode()
    assert card.front_html in form and card.back_html not in form

    response = client.post(
        f"/cards/{card.pk}/report/", {"note": "The date is wrong.", "next": "/study/"}
    )
    client.post(f"/cards/{card.pk}/report/", {"note": "The date in ¶3 is wrong.", "next": "/"})

    assert response.status_code == 302 and response["Location"] == "/study/"
    flag = CardFlag.objects.get()  # one open report per student and card
    assert flag.note == "The date in ¶3 is wrong."
    author = AuthorFactory()
    client.force_login(author)
    listed = client.get("/cards/reported/").content.decode()
    assert "The date in ¶3 is wrong." in listed
    assert "reporter-xq7" not in listed and "Quetzal" not in listed and "Ximenes" not in listed

    client.post("/cards/reported/", {"flag": flag.pk})

    flag.refresh_from_db()
    assert flag.resolved_at is not None and flag.resolved_by == author
    client.force_login(student)
    client.post(f"/cards/{card.pk}/report/", {"note": "Still wrong."})
    assert CardFlag.objects.count() == 2  # a new report once the first is resolved


@pytest.mark.django_db
def test_a_report_refuses_an_empty_note_and_an_outside_next(client, student):
    card = Card.objects.order_by("pk").first()
    client.force_login(student)

    empty = client.post(f"/cards/{card.pk}/report/", {"note": "   "})
    outside = client.post(
        f"/cards/{card.pk}/report/", {"note": "x", "next": "https://evil.example/"}
    )

    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    assert outside["Location"] == "/study/"
    assert CardFlag.objects.count() == 1


# Daily limits ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_student_may_lower_their_new_cards_and_study_more_once_they_are_done(client, student):
    Profile.objects.update_or_create(user=student, defaults={"new_cards_per_day": 1})
    client.force_login(student)
    rate(client, front_card_id(client.get("/study/").content.decode()), 4)

    done = client.get("/study/").content.decode()

    assert "?show=" not in done
    assert re.search(r"You have studied today’s new cards; \d+ new cards? (is|are) left", done)
    assert "Study " in done and 'value="more"' in done

    page = client.post("/study/", {"action": "more"}, follow=True).content.decode()

    assert "?show=" in page
    profile = Profile.objects.get(user=student)
    assert profile.extra_new_cards == 10 and profile.extra_new_cards_on is not None


@pytest.mark.django_db
def test_study_more_counts_only_on_its_day(client, student):
    Profile.objects.update_or_create(
        user=student,
        defaults={
            "new_cards_per_day": 1,
            "extra_new_cards": 10,
            "extra_new_cards_on": timezone.now().date() - timedelta(days=3),
        },
    )
    client.force_login(student)
    rate(client, front_card_id(client.get("/study/").content.decode()), 4)

    assert "?show=" not in client.get("/study/").content.decode()


@pytest.mark.django_db
def test_the_dashboard_counts_cards_as_the_queue_does(client, student):
    learning, suspended, *_ = Card.objects.order_by("pk")
    _seen_all_but(student, learning, suspended)
    _learning(student, learning, due_in=timedelta(minutes=8))
    CardSuspension.objects.create(student=student, card=suspended, reason="student")
    client.force_login(student)

    page = client.get("/").content.decode()

    # The card in learning is due within the learn-ahead limit; the suspended one is not new.
    assert re.search(r'<span class="big">1</span> cards due now', page)
    assert re.search(r'<span class="big">0</span> new cards available today', page)


@pytest.mark.django_db
def test_the_settings_page_sets_the_students_own_new_card_limit(client, student):
    client.force_login(student)
    fields = {"time_zone": "UTC", "day_starts_at": 4}

    refused = client.post("/settings/", {**fields, "new_cards_per_day": -1})
    client.post("/settings/", {**fields, "new_cards_per_day": 1})

    assert refused.status_code == 422
    assert Profile.objects.get(user=student).new_cards_per_day == 1
    rate(client, front_card_id(client.get("/study/").content.decode()), 4)
    assert "?show=" not in client.get("/study/").content.decode()
    client.post("/settings/", {**fields, "new_cards_per_day": ""})
    assert Profile.objects.get(user=student).new_cards_per_day is None
    assert "?show=" in client.get("/study/").content.decode()


# Review ahead ------------------------------------------------------------------------------------


def _due_soon_and_later(student) -> tuple[Card, Card]:
    """Every card seen: one review card due in 20 hours (by the end of tomorrow's study day,
    whatever the hour), one in 3 days, one in relearning due in 2 hours (beyond the learn-ahead
    limit: "Review ahead" is for review cards only), the others in 9."""
    soon, later, relearning, *_others = Card.objects.order_by("pk")
    _seen_all_but(student, soon, later, relearning)
    reviewed(student, soon, due_in=timedelta(hours=20), seen_ago=timedelta(days=5))
    reviewed(student, later, due_in=timedelta(days=3), seen_ago=timedelta(days=5))
    state = _learning(student, relearning, due_in=timedelta(hours=2), lapses=1)
    MemoryState.objects.filter(pk=state.pk).update(state=CardState.RELEARNING)
    return soon, later


@pytest.mark.django_db
def test_review_ahead_is_offered_only_when_review_cards_are_due_within_a_day(client, student):
    _seen_all_but(student)
    client.force_login(student)

    nothing_soon = client.get("/study/").content.decode()
    MemoryState.objects.filter(student=student, card=Card.objects.order_by("pk").first()).update(
        due_at=timezone.now() + timedelta(hours=20)
    )
    one_soon = client.get("/study/").content.decode()

    assert "Done for today" in nothing_soon and 'value="ahead"' not in nothing_soon
    assert "Done for today" in one_soon and 'value="ahead"' in one_soon
    assert "Review 1 card ahead" in one_soon


@pytest.mark.django_db
def test_review_ahead_brings_the_cards_due_by_tomorrow_and_a_second_post_changes_nothing(
    client, student
):
    soon, later = _due_soon_and_later(student)
    client.force_login(student)

    page = client.post("/study/", {"action": "ahead"}, follow=True).content.decode()

    assert front_card_id(page) == soon.pk
    profile = Profile.objects.get(user=student)
    assert profile.review_ahead_on is not None
    again = client.post("/study/", {"action": "ahead"}, follow=True).content.decode()
    assert front_card_id(again) == soon.pk
    assert Profile.objects.get(user=student).review_ahead_on == profile.review_ahead_on

    rate(client, soon.pk, 3, reps=20)

    done = client.get("/study/").content.decode()
    # The card due in 3 days waits, and so does the one in relearning, due in 2 hours.
    assert "?show=" not in done and "Done for now" in done
    assert "1 card comes back today: the next in 2 hours." in done
    assert 'value="ahead"' not in done
    assert ReviewLog.objects.filter(student=student, card=later).count() == 0


@pytest.mark.django_db
def test_review_ahead_is_off_again_the_next_day(client, student):
    _due_soon_and_later(student)
    today = study_date(timezone.now(), time_zone="UTC", day_starts_at=4)
    Profile.objects.update_or_create(
        user=student, defaults={"review_ahead_on": today - timedelta(days=1)}
    )
    client.force_login(student)

    page = client.get("/study/").content.decode()

    assert "?show=" not in page and 'value="ahead"' in page


@pytest.mark.django_db
def test_an_early_cards_buttons_show_the_interval_its_rating_gives(client, student):
    soon, _later = _due_soon_and_later(student)
    client.force_login(student)
    client.post("/study/", {"action": "ahead"})
    before = MemoryState.objects.get(student=student, card=soon)
    back = client.get(f"/study/?show={soon.pk}").content.decode()
    shown = dict(
        re.findall(
            r'value="(\d)"[^>]*>\s*<span class="label">[^<]*</span> '
            r'<span class="interval">([^<]+)</span>',
            back,
        )
    )

    rate(client, soon.pk, 3, reps=20)

    after = MemoryState.objects.get(student=student, card=soon)
    log = ReviewLog.objects.get(student=student, card=soon)
    # Scheduled from the time really elapsed (5 days), not from the due date 20 hours away.
    assert 4.99 < log.elapsed_days < 5.01
    unfuzzed = scheduling.scheduler_for(desired_retention=0.9, fuzz=False)

    def good_at(moment):
        result = scheduling.review(unfuzzed, before, card_id=soon.pk, rating=3, reviewed_at=moment)
        return result.due_at - moment

    early = good_at(log.reviewed_at)
    assert shown["3"] == format_interval(early)
    # The rating itself is fuzzed, as Anki's is, around the interval shown.
    given = after.due_at - log.reviewed_at
    assert 0.5 * early <= given <= 1.5 * early  # py-fsrs's fuzz is a few days at a week
