"""The review card's htmx reply (the next card after a rating) is built in Python
(quizzes.views._review_card_html): it must be, byte for byte, what the template's `review-card`
partial renders from the same context, and it must leave to the template what it does not build
(messages, the held-back notice, the done screen)."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.cache import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from courses.selectors import study_context
from quizzes import selectors, views
from quizzes.models import Card
from quizzes.services import attempt_start, review_record
from tests.factories import QuizFactory


def _request(user, path: str = "/study/"):
    request = RequestFactory().post(path, headers={"HX-Request": "true"})
    request.htmx = HtmxDetails(request)  # as django-htmx's middleware sets it
    request.user = user
    request.session = SessionStore()
    request._messages = default_storage(request)
    return request


def _context(request, *, shown: bool = False, lesson=None) -> dict:
    """The study view's context for its partial, built as the view builds it."""
    now = timezone.now()
    student = study_context(user=request.user, now=now)
    lesson_ids = [lesson.pk] if lesson else list(student.lesson_ids)
    day = student.day(now)
    queue = selectors.study_queue(
        student=request.user,
        lesson_ids=lesson_ids,
        day=day,
        held_questions=student.held_questions,
        suspended=student.suspended,
    )
    here = request.path
    context = {
        "lesson": lesson,
        "queue": queue,
        "undo_form": views._undo_form(request, here) if queue.rated_today > 0 else "",
        "partial": True,
    }
    if queue.card is not None:
        context["card_html"] = views._card_html(
            request,
            queue,
            day=day,
            shown=shown,
            here=here,
            lessons=views._lesson_names(student, lesson),
        )
    else:
        context["summary"] = selectors.day_summary(
            student=request.user, lesson_ids=lesson_ids, day=day
        )
        context["has_cards"] = bool(lesson_ids)
    return context


def _both(request, context) -> tuple[str | None, str]:
    mine = views._review_card_html(request, context)
    template = render_to_string("quizzes/study.html#review-card", context, request)
    return mine, template


def _rate_next(user) -> None:
    request = _request(user)
    queue = _context(request)["queue"]
    review_record(
        student=user, card=queue.card, state=queue.state, rating=3, reviewed_at=timezone.now()
    )


@pytest.mark.django_db
def test_the_next_card_is_the_templates_to_the_byte(student):
    request = _request(student)
    seen = []
    for shown in (False, True):  # before any rating: no undo form
        mine, template = _both(request, _context(request, shown=shown))
        seen.append(mine)
        assert mine == template
    _rate_next(student)
    for shown in (False, True):  # with the undo form
        context = _context(request, shown=shown)
        mine, template = _both(request, context)
        seen.append(mine)
        assert mine == template and "undo" in mine
    lesson = Card.objects.get(pk=_context(request)["queue"].card.pk).lesson
    lesson_request = _request(student, path=f"/lessons/{lesson.key}/study/")
    mine, template = _both(lesson_request, _context(lesson_request, lesson=lesson))
    seen.append(mine)
    assert mine == template and f'action="/lessons/{lesson.key}/study/"' in mine
    assert all(html.startswith('\n<section id="review-card"') for html in seen)
    assert len(set(seen)) == len(seen)


@pytest.mark.django_db
def test_messages_the_held_back_notice_and_the_done_screen_are_left_to_the_template(student):
    request = _request(student)
    messages.error(request, "That card is not in your reviews.")
    context = _context(request)
    assert views._review_card_html(request, context) is None
    assert "That card is not in your reviews." in render_to_string(
        "quizzes/study.html#review-card", context, request
    )

    quiz = QuizFactory()
    card = Card.objects.filter(question__isnull=False).first()
    quiz.lessons.add(card.lesson)
    attempt_start(quiz=quiz, student=student, now=timezone.now())
    request = _request(student)
    context = _context(request)
    assert context["queue"].held_count and context.get("card_html")
    assert views._review_card_html(request, context) is None

    while _context(request).get("card_html"):
        _rate_next(student)
    context = _context(request)
    assert context["queue"].card is None and views._review_card_html(request, context) is None
