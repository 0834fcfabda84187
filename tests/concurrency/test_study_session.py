"""Suspending, reporting, "Study more" and a leech's eighth lapse, from several tabs at once."""

from datetime import timedelta
from functools import partial

from courses.models import Profile
from quizzes.models import Card, CardFlag, CardSuspension, MemoryState, ReviewLog
from tests.factories import StudentFactory
from tests.quizzes.test_study_session import reviewed

TABS = 4
STUDY = "/study/mini-lesson/"


def test_one_card_suspended_from_four_tabs_is_suspended_once(mini, tabs_for, race, server_errors):
    student = StudentFactory()
    card = Card.objects.get(key="mini-f1")
    tabs = tabs_for(student)

    responses = race(*[partial(tabs.post, STUDY, {"action": "suspend", "card": card.pk})] * TABS)

    assert [r.status_code for r in responses] == [302] * TABS
    assert CardSuspension.objects.filter(student=student, card=card).count() == 1
    assert server_errors() == []


def test_one_card_reported_from_four_tabs_has_one_open_report(mini, tabs_for, race, server_errors):
    student = StudentFactory()
    card = Card.objects.get(key="mini-f1")
    tabs = tabs_for(student)
    url = f"/cards/{card.pk}/report/"

    responses = race(*[partial(tabs.post, url, {"note": f"Tab {i}"}) for i in range(TABS)])

    assert [r.status_code for r in responses] == [302] * TABS
    flag = CardFlag.objects.get(student=student, card=card, resolved_at__isnull=True)
    assert flag.note in {f"Tab {i}" for i in range(TABS)}
    assert server_errors() == []


def test_study_more_from_four_tabs_adds_one_batch_per_click(mini, tabs_for, race, server_errors):
    student = StudentFactory()
    tabs = tabs_for(student)

    responses = race(*[partial(tabs.post, STUDY, {"action": "more"})] * TABS)

    assert [r.status_code for r in responses] == [302] * TABS
    assert Profile.objects.get(user=student).extra_new_cards == 10 * TABS
    assert server_errors() == []


def test_the_eighth_lapse_from_four_tabs_is_recorded_once_and_suspends_once(
    mini, tabs_for, race, server_errors
):
    student = StudentFactory()
    card = Card.objects.get(key="mini-f1")
    reviewed(student, card, due_in=-timedelta(hours=1), seen_ago=timedelta(days=2), lapses=7)
    tabs = tabs_for(student)
    again = {"card": card.pk, "reps": 20, "rating": 1}

    responses = race(*[partial(tabs.post, STUDY, again)] * TABS)

    assert [r.status_code for r in responses] == [302] * TABS
    assert ReviewLog.objects.filter(student=student).count() == 1
    assert MemoryState.objects.get(student=student, card=card).lapses == 8
    suspension = CardSuspension.objects.get(student=student, card=card)
    assert suspension.reason == "leech"
    assert server_errors() == []
