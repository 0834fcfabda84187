"""Quizzes and flashcard review, for any signed-in user, on their own attempts and cards only;
and, for authors, the questions whose typed answers may be accepted after the fact.

Each view is one URL and one page template; an htmx request gets the page's named partial with
the same context, and a plain POST redirects (post/redirect/get), so all of it works with
JavaScript off.
"""

import functools
import re
from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.db.models import Count, F, Min, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, _unmask_cipher_token, get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from config.reversing import url_for_each
from content.ids import parse_id
from content.markdown import render_markdown, render_plain
from content.models import Citation, Lesson
from courses.roles import Role, roles_of
from courses.selectors import quiz_is_open_to, study_context, study_day_for
from courses.services import attempt_submit
from quizzes import regrade, selectors, services
from quizzes.forms import AcceptForm, AnswerForm, CardReportForm, read_rating
from quizzes.grading import (
    FREE_TEXT_TYPES,
    accepts,
    answer_text,
    feedback_for,
    grade,
    response_text,
)
from quizzes.models import (
    Answer,
    Attempt,
    Card,
    CardFlag,
    CardSuspension,
    Question,
    QuestionVersion,
    Quiz,
    Rating,
    Regrade,
)
from quizzes.studyday import study_date


def wants_partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _citations(question_id: int) -> list:
    return _distinct_citations(
        Citation.objects.filter(questions=question_id).select_related("source")
    )


def _citations_by_question(question_ids: list[int]) -> dict[int, list]:
    """Each question's citations, each listed once. (A citation shared by two of the questions
    comes once per question from the join, and each time with all its questions.)"""
    found = (
        Citation.objects.filter(questions__in=question_ids)
        .distinct()
        .select_related("source")
        .prefetch_related("questions")
    )
    by_question: dict[int, list] = {}
    wanted = set(question_ids)
    for citation in found:
        for question in citation.questions.all():
            if question.pk in wanted:
                by_question.setdefault(question.pk, []).append(citation)
    return {pk: _distinct_citations(cited) for pk, cited in by_question.items()}


def _distinct_citations(citations) -> list:
    """The citations in order, without one that quotes the same paragraph of the same source
    with the same words as an earlier one (a quote that two lessons both cite)."""
    seen, kept = set(), []
    for citation in citations:
        key = (citation.source_id, citation.paragraph, citation.quote.strip())
        if key not in seen:
            seen.add(key)
            kept.append(citation)
    return kept


# Quizzes ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """A quiz's settings and the user's own attempts; POST starts or resumes an attempt.

    Open to everyone signed in for a lesson's quiz; a teacher's quiz only to those it was set for.
    """
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    if not quiz_is_open_to(user=request.user, quiz_id=quiz.pk, quiz_key=quiz.key):
        raise Http404
    if request.method == "POST":
        try:
            attempt = services.attempt_start(quiz=quiz, student=request.user, now=timezone.now())
        except services.QuizError as exc:
            messages.error(request, str(exc))
            return redirect("quizzes:quiz", quiz_id=quiz.pk)
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    attempts = list(Attempt.objects.filter(quiz=quiz, student=request.user).order_by("-number"))
    return render(
        request,
        "quizzes/quiz.html",
        {
            "quiz": quiz,
            "question_total": quiz.lessons.filter(questions__retired_at__isnull=True).count(),
            "attempts": attempts,
            "open_attempt": next((a for a in attempts if a.finished_at is None), None),
            "attempts_left": services.attempts_left(quiz=quiz, student=request.user),
        },
    )


@require_GET
@login_required
def lesson_quiz(request: HttpRequest, key: str) -> HttpResponse:
    """Any signed-in user: the quiz of an active lesson."""
    quiz = get_object_or_404(Quiz, key=f"lesson-{key}", lessons__retired_at__isnull=True)
    return redirect("quizzes:quiz", quiz_id=quiz.pk)


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    attempt = selectors.attempt_for_student(student=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    return attempt


def _verdict(version: QuestionVersion, answer: Answer) -> dict:
    """How an answer is shown: correct, partly right (its score in percent, 1 to 99, so that
    no partial score reads as 0% or 100%) or not, and the grader's note (a misspelling it
    accepted). The note is the grader's on the recorded response, shown only while the grader
    still gives the recorded score."""
    partly = None
    if not answer.correct and answer.score > 0:
        partly = min(99, max(1, round(answer.score * 100)))
    regraded = grade(version.type, version.answer_key, answer.response)
    note = regraded.note if regraded.score == answer.score else ""
    return {"correct": answer.correct, "score": answer.score, "partly": partly, "note": note}


def _option_feedback(version: QuestionVersion, response: object) -> list[dict]:
    """What the author wrote for the options the recorded response chose, as sanitised HTML,
    each with the option's text (none for a typed answer or true/false). Only for a response
    already recorded: it may tell which options are right."""
    return [
        {"option": render_plain(option), "html": render_markdown(text)}
        for option, text in feedback_for(
            version.type, version.body, version.answer_key, version.feedback, response
        )
    ]


def _feedback(version: QuestionVersion, answer: Answer) -> dict:
    return {
        **_verdict(version, answer),
        "your_answer": response_text(version.type, version.body, answer.response),
        "right_answer": answer_text(version.type, version.body, version.answer_key),
        "option_feedback": _option_feedback(version, answer.response),
        "explanation": version.explanation_html,
        "citations": _citations(version.question_id),
    }


def _attempt_context(
    attempt: Attempt,
    form: AnswerForm | None = None,
    *,
    position: int | None = None,
    answers: dict[int, Answer] | None = None,
) -> dict:
    """The question at `position` (by default the attempt's current one) and the navigator,
    and that question's feedback once it is answered (immediate-feedback quizzes), or, where
    answers may be changed, the form with the saved answer in it. Call only with a question's
    position. `answers` by position, if the caller has read them.

    Queries: the question's version, and the attempt's answers (for the navigator and the
    question's feedback), whatever the attempt's length."""
    total = len(attempt.versions)
    if position is None:
        position = attempt.position
    version = QuestionVersion.objects.get(pk=attempt.versions[position])
    if answers is None:
        answers = {a.position: a for a in attempt.answers.all()}
    answer = answers.get(position)
    order = attempt.settings_snapshot.get("orders", {}).get(str(version.pk), [])
    changeable = attempt.answers_changeable
    context: dict = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "total": total,
        "deadline": services.attempt_deadline(attempt),
        "position": position,
        "number": position + 1,
        "version": version,
        # A cloze without a prompt shows its text below, not as the prompt too.
        "prompt": version.prompt_html if version.prompt else "",
        "answer": answer,
        "is_last": position + 1 == total,
        "free": attempt.free_navigation,
        "changeable": changeable,
        "navigator": _navigator(attempt, set(answers), current=position),
        "flagged": position in (attempt.flagged or []),
    }
    context.update(_countdown(context["deadline"]))
    if answer is None or changeable:
        if form is None:
            form = AnswerForm(
                version=version, order=order, initial={"seq": attempt.seq, "position": position}
            )
            if answer is not None:
                form.initial.update(form.initial_from(answer.response))
        context["form"] = form
        if version.type == "cloze":
            context["cloze"] = _cloze_parts(version, context["form"])
    else:
        context["feedback"] = _feedback(version, answer)
    return context


def _navigator(attempt: Attempt, answered: set[int], *, current: int | None = None) -> list[dict]:
    """One box per question: answered or not, flagged or not, and which is current (by default
    the attempt's position). Never whether an answer is right: that waits for the feedback the
    quiz allows."""
    flagged = set(attempt.flagged or [])
    if current is None:
        current = attempt.position
    return [
        {
            "number": position + 1,
            "answered": position in answered,
            "flagged": position in flagged,
            "current": position == current,
        }
        for position in range(len(attempt.versions))
    ]


def _countdown(deadline) -> dict:
    """The time left, for the countdown script; the server's deadline stays the only rule."""
    if deadline is None:
        return {}
    left = max(0, int((deadline - timezone.now()).total_seconds() * 1000))
    return {
        "remaining_ms": left,
        "deadline_other_day": timezone.localdate(deadline) != timezone.localdate(),
    }


def _cloze_parts(version: QuestionVersion, form: AnswerForm) -> list[dict]:
    texts = version.body["texts"]
    parts = []
    for i, text in enumerate(texts):
        parts.append({"text": text})
        if i < len(texts) - 1:
            parts.append({"field": form[f"blank_{i}"], "first": i == 0})
    return parts


def _close_if_late(request: HttpRequest, attempt: Attempt) -> Attempt:
    """Submit an attempt whose time is up (the server's deadline is the only one)."""
    now = timezone.now()
    deadline = services.attempt_deadline(attempt)
    if attempt.finished_at is None and deadline and now > deadline:
        attempt = _finish(request, attempt, now)
        messages.info(request, _("Time is up: your attempt was submitted."))
    return attempt


def _question_url(attempt: Attempt, position: int) -> str:
    """The attempt page at the question at `position` (free navigation), or the summary once
    past the last question."""
    if position >= len(attempt.versions):
        return reverse("quizzes:summary", args=[attempt.pk])
    return f"{reverse('quizzes:attempt', args=[attempt.pk])}?question={position + 1}"


def _finish(request: HttpRequest, attempt: Attempt, now) -> Attempt:
    """Submit the student's own attempt (courses.services.attempt_submit)."""
    attempt.student = request.user
    return attempt_submit(attempt=attempt, now=now)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_required
def attempt(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The attempt's owner only (404 for anyone else): one question at a time with a navigator
    of numbered boxes (answered, flagged).

    Sequential quizzes (the default) go in order: the boxes are not links, and `?question=N`
    for any question but the current one redirects to the current one. With free navigation
    the boxes are links to `?question=N`, any question may be answered in any order, and with
    feedback at the end a saved answer may be changed until the attempt is submitted; without
    `?question`, the page shows the first unanswered question (the summary once there is none).

    POST `action`: `answer` (grade and record the question at `position`), `next` (move on),
    `flag` (with `position` and `flagged` 1 or 0: flag a question for later), `finish` (score
    and close; what the summary page's confirmation sends). Once every question is reached, the
    page is the summary. An invalid answer answers 422 with the form and its errors, with or
    without htmx.
    """
    attempt = _close_if_late(request, _own_attempt(request, attempt_id))
    if attempt.finished_at is not None:
        return _redirect(request, reverse("quizzes:review", args=[attempt.pk]))
    free = attempt.free_navigation
    total = len(attempt.versions)

    form = None
    position = None
    if request.method == "POST":
        action = request.POST.get("action", "answer")
        now = timezone.now()
        if action == "flag":
            return _flag(request, attempt)
        try:
            if action == "finish":
                _finish(request, attempt, now)
                return _redirect(request, reverse("quizzes:review", args=[attempt.pk]))
            if action == "next" and not free:
                services.attempt_advance(attempt=attempt, seq=parse_id(request.POST.get("seq")))
            elif action != "next":
                form = _answer(request, attempt, now)
                if free:
                    position = parse_id(request.POST.get("position"))
                    if form is None and attempt.answers_changeable:
                        position += 1  # saved: on to the next question
        except services.QuizError as exc:
            messages.warning(request, str(exc))
            form, position = None, None
        attempt.refresh_from_db()
        if not request.htmx and form is None:
            if position is not None:
                return redirect(_question_url(attempt, position))
            return redirect("quizzes:attempt", attempt_id=attempt.pk)
    elif "question" in request.GET:
        position = parse_id(request.GET["question"]) - 1
        if not 0 <= position < total or (not free and position != attempt.position):
            if not free and 0 <= position < total:
                messages.info(request, _("This quiz goes in order: here is your current question."))
            return redirect("quizzes:attempt", attempt_id=attempt.pk)
    answers = None
    if free:
        answers = {a.position: a for a in attempt.answers.all()}
        if position is None:
            position = next((p for p in range(total) if p not in answers), total)
    elif attempt.position >= total:
        position = total
    if position is not None and position >= total:
        # Every question answered: Moodle's summary page, from which the attempt is submitted.
        return _redirect(request, reverse("quizzes:summary", args=[attempt.pk]))
    template = "quizzes/attempt.html"
    if wants_partial(request):
        template += "#question-panel"
    status = 422 if form is not None and form.errors else 200
    context = _attempt_context(attempt, form, position=position, answers=answers)
    response = render(request, template, context, status=status)
    if free and request.htmx:
        # The swapped-in question is the one a reload should show.
        response["HX-Replace-Url"] = _question_url(attempt, position)
    return response


def _flag(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    """Flag or unflag a question; htmx gets the navigator (the target of the flag's form), so
    what the student has put in the answer form is left as it is."""
    position = parse_id(request.POST.get("position"))
    try:
        attempt = services.attempt_flag(
            attempt=attempt, position=position, flagged=request.POST.get("flagged") == "1"
        )
    except services.QuizError as exc:
        messages.warning(request, str(exc))
        attempt.refresh_from_db()
        position = attempt.position
    if not attempt.free_navigation:
        position = attempt.position
    if not wants_partial(request) or position >= len(attempt.versions):
        if attempt.free_navigation and 0 <= position < len(attempt.versions):
            return _redirect(request, _question_url(attempt, position))
        return _redirect(request, reverse("quizzes:attempt", args=[attempt.pk]))
    context = _attempt_context(attempt, position=position)
    context["focus_flag"] = True
    return render(request, "quizzes/attempt.html#question-nav", context)


@require_http_methods(["GET", "POST"])
@login_required
def summary(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The attempt's owner only: Moodle's summary of attempt, every question with its status
    (answered or not, flagged), "Return to attempt", and "Submit all and finish", which asks
    for a confirmation first (`?confirm=1`, a step of its own that needs no JavaScript).
    POST (`action=finish`, from the confirmation) submits the attempt.

    Queries: the attempt with its quiz, its answers' positions."""
    attempt = _close_if_late(request, _own_attempt(request, attempt_id))
    if attempt.finished_at is not None:
        return redirect("quizzes:review", attempt_id=attempt.pk)
    if request.method == "POST":
        if request.POST.get("action") == "finish":
            _finish(request, attempt, timezone.now())
            return redirect("quizzes:review", attempt_id=attempt.pk)
        return redirect("quizzes:summary", attempt_id=attempt.pk)
    answered = set(attempt.answers.values_list("position", flat=True))
    navigator = _navigator(attempt, answered)
    deadline = services.attempt_deadline(attempt)
    return render(
        request,
        "quizzes/summary.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "rows": navigator,
            "unanswered": sum(1 for box in navigator if not box["answered"]),
            # Once every question is answered there is nothing to return to, but with free
            # navigation every question can be gone back to until the attempt is submitted.
            "can_return": attempt.free_navigation or attempt.position < len(attempt.versions),
            "free": attempt.free_navigation,
            "confirm": request.GET.get("confirm") == "1",
            "deadline": deadline,
            **_countdown(deadline),
        },
    )


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _answer(request: HttpRequest, attempt: Attempt, now) -> AnswerForm | None:
    """Record the posted answer. Returns the bound form if it is invalid, else None."""
    position = parse_id(request.POST.get("position"))
    if not 0 <= position < len(attempt.versions):
        raise services.QuizError(_("This form is out of date; here is the current question."))
    version = QuestionVersion.objects.select_related("question").get(pk=attempt.versions[position])
    order = attempt.settings_snapshot.get("orders", {}).get(str(version.pk), [])
    form = AnswerForm(request.POST, version=version, order=order)
    if not form.is_valid():
        if position != attempt.position and not attempt.free_navigation:
            raise services.QuizError(_("This form is out of date; here is the current question."))
        return form
    day = study_day_for(user=request.user, now=now, lesson_ids=[version.question.lesson_id])
    services.answer_record(
        attempt=attempt,
        seq=form.cleaned_data["seq"],
        position=position,
        response=form.response(),
        now=now,
        day_start=day.start,
        desired_retention=day.desired_retention,
        parameters=day.parameters,
        duration_ms=_clamp_ms(form.cleaned_data.get("duration_ms")),
    )
    return None


def _clamp_ms(value: int | None) -> int | None:
    return None if value is None else min(value, 60 * 60 * 1000)


@require_GET
@login_required
def review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The attempt's owner only: the score and every answer, once the attempt is finished."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.finished_at is None:
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    versions = QuestionVersion.objects.in_bulk(attempt.versions)
    answers = {
        a.position: a
        for a in attempt.answers.prefetch_related(
            Prefetch(
                "regrades",
                Regrade.objects.select_related("accepted", "regraded_by").order_by(
                    "regraded_at", "pk"
                ),
            )
        )
    }
    regrades = sorted(
        (r for a in answers.values() for r in a.regrades.all()), key=lambda r: r.regraded_at
    )
    for r in regrades:
        r.who = _name(r.regraded_by)
    citations = _citations_by_question([v.question_id for v in versions.values()])
    rows = []
    for position, version_id in enumerate(attempt.versions):
        version = versions[version_id]
        answer = answers.get(position)
        rows.append(
            {
                "number": position + 1,
                "mark": answer.score if answer else 0.0,
                "prompt": version.prompt_html,  # for a cloze without one, its first text
                "answer": answer,
                "verdict": _verdict(version, answer) if answer else None,
                "your_answer": response_text(version.type, version.body, answer.response)
                if answer
                else None,
                "right_answer": answer_text(version.type, version.body, version.answer_key),
                "option_feedback": _option_feedback(version, answer.response) if answer else [],
                "explanation": version.explanation_html,
                "citations": citations.get(version.question_id, []),
                "regrades": answer.regrades.all() if answer else [],
            }
        )
    return render(
        request,
        "quizzes/review.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "rows": rows,
            # The first and last change of the attempt's score, for the summary at the top.
            "regraded": [r for r in regrades if r.new_attempt_score is not None],
            "correct": sum(1 for a in answers.values() if a.correct),
            "percent": round((attempt.score or 0) * 100),
        },
    )


# Flashcard review -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
@login_required
def study(request: HttpRequest, lesson_key: str | None = None) -> HttpResponse:
    """Any signed-in user reviews their own cards: those of their assigned lessons, or of one
    lesson. GET `?show=<card>` turns the current card over; POST rates it, or undoes the last
    rating (`action=undo`)."""
    now = timezone.now()
    student = study_context(user=request.user, now=now)
    if lesson_key is None:
        lesson = None
        lesson_ids = list(student.lesson_ids)
        day = student.day(now)
    else:
        lesson = get_object_or_404(Lesson.objects.active(), key=lesson_key)
        lesson_ids = [lesson.pk]
        day = study_day_for(user=request.user, now=now, lesson_ids=lesson_ids)
    here = request.path

    if request.method == "GET" and wants_partial(request) and request.htmx.target == "card-answer":
        # "Show answer" swaps in the back of the card and its rating form, nothing else: the
        # front, the counts and the undo button on the page are still right.
        answer = _card_answer(request, student, lesson_ids, day, here)
        if answer is not None:
            return answer

    suspended = student.suspended
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "undo":
            undone = services.review_undo(student=request.user, since=day.start, parameters=None)
            if undone is None:
                messages.info(request, _("There is nothing to undo."))
        elif action == "suspend":
            suspended = suspended | _suspend(request, lesson_ids)
        elif action == "more":
            day = _study_more(request, day)
        elif action == "ahead":
            day = _review_ahead(request, day)
        else:
            suspended = suspended | _rate(
                request, lesson_ids, day, student.held_questions, student.suspended
            )
        if not request.htmx:
            return redirect(here)

    queue = selectors.study_queue(
        student=request.user,
        lesson_ids=lesson_ids,
        day=day,
        held_questions=student.held_questions,
        suspended=suspended,
    )
    context = {"lesson": lesson, "queue": queue}
    card = queue.card
    if card is not None:
        shown = request.GET.get("show") == str(card.pk)
        lessons = _lesson_names(student, lesson)
        context["card_html"] = _card_html(
            request, queue, day=day, shown=shown, here=here, lessons=lessons
        )
        undoable = queue.rated_today > 0
    else:
        summary = selectors.day_summary(
            student=request.user, lesson_ids=lesson_ids, day=day, suspended=suspended
        )
        context.update(
            summary=summary,
            has_cards=bool(lesson_ids),
            minutes=round(summary.seconds / 60),
            more=_more_form(request, here, queue) if queue.new_left else "",
            ahead=(
                _ahead_form(request, here, summary.review_ahead)
                if summary.review_ahead and not queue.held_count
                else ""
            ),
        )
        if summary.next_learning_at is not None:
            wait = summary.next_learning_at - day.learn_ahead - day.now
            context["next_in"] = selectors.format_duration(summary.next_learning_at - day.now)
            context["wait_seconds"] = max(1, int(wait.total_seconds()) + 1)
        undoable = summary.reviewed > 0
    context["undo_form"] = _undo_form(request, here) if undoable else ""
    context["partial"] = wants_partial(request)
    if not context["partial"]:
        return render(request, "quizzes/study.html", context)
    html = _review_card_html(request, context)
    if html is None:
        response = render(request, "quizzes/study.html#review-card", context)
    else:
        response = HttpResponse(html)
    if request.htmx.target == "card-answer":
        retarget(response, "#review-card")  # "Show answer" for a card no longer to be shown
        reswap(response, "outerHTML")
    return response


# The review card is built here rather than in the template: it is sent for every card shown and
# every rating, and the template engine spent about ten times as long on its nodes as these
# f-strings do. Every value is escaped but the stored HTML of the card (sanitised when it was
# written) and the numbers; `here` is the request's own path and may hold a lesson's key.


def _review_card_html(request: HttpRequest, context: dict) -> str | None:
    """The `review-card` partial of quizzes/study.html as the template renders it from
    `context`, when it shows a card with no messages and no held-back notice (the reply to nearly
    every rating); None otherwise, for the template to render. It must stay byte for byte the
    template's: tests/quizzes/test_study_render.py compares the two."""
    if not context.get("card_html") or context["queue"].held_count or get_messages(request):
        return None
    return (
        '\n<section id="review-card" class="card study" aria-labelledby="card-heading">\n'
        f"  \n  \n  \n    {context['card_html']}\n  \n  {context['undo_form']}\n</section>\n"
    )


@functools.lru_cache(maxsize=64)
def _words(language: str | None) -> dict:
    """The review card's fixed words in `language`, translated and escaped once per process:
    a reply of the review loop has about twenty, and each translation took 3 µs here."""
    with translation.override(language):
        return {
            "counts": _("%(due)s due · %(new)s new"),  # formatted, then escaped
            "from_lesson": escape(_("From the lesson")),
            "progress": escape(_("Progress through today’s reviews")),
            "card": escape(_("Card")),
            "hint": escape(_("Hint")),
            "show_answer": escape(_("Show answer")),
            "space_or_enter": escape(_("Space or Enter")),
            "why_now": escape(_("Why now?")),
            "suspend": escape(_("Suspend this card")),
            "report": escape(_("Report a problem with this card")),
            "undo": escape(_("Undo")),
            "rating_help": escape(_("How well did you remember? Keys 1 to 4.")),
            **{rating.value: escape(rating.label) for rating in Rating},
        }


def _lesson_names(student, lesson: Lesson | None) -> dict[int, tuple[str, str]]:
    """Lesson id -> (key, title) of the lessons being studied, from the cached context."""
    if lesson is not None:
        return {lesson.pk: (lesson.key, lesson.title)}
    return {pk: (key, title) for pk, key, title in student.lessons}


def _card_html(
    request: HttpRequest,
    queue: selectors.Queue,
    *,
    day: selectors.StudyDay,
    shown: bool,
    here: str,
    lessons: dict[int, tuple[str, str]],
) -> SafeString:
    """The card in the review card: today's progress, its lesson, the front, and the answer's
    place."""
    card, progress = queue.card, _progress(queue)
    words = _words(get_language())
    counts = words["counts"] % {"due": queue.due_count, "new": queue.new_count}
    source = ""
    if card.lesson_id in lessons:
        key, title = lessons[card.lesson_id]
        url = escape(url_for_each("content:lesson")(key))
        source = (
            f'<p class="card-lesson">{words["from_lesson"]} '
            f'<a href="{url}">{escape(title)}</a></p>\n'
        )
    return mark_safe(
        '<div class="progress-line">\n'
        f'<span class="counts">{escape(counts)}</span>\n'
        f'<progress max="100" value="{progress}" aria-label="'
        f'{words["progress"]}">{progress}%</progress>\n</div>\n'
        f'<h2 id="card-heading" class="visually-hidden">{words["card"]}</h2>\n'
        f"{source}"
        f'<div class="front">{card.front_html}</div>\n'
        f"{_answer_html(request, card, queue.state, day=day, shown=shown, here=here)}"
    )


def _answer_html(
    request: HttpRequest, card, state, *, day: selectors.StudyDay, shown: bool, here: str
) -> SafeString:
    """`#card-answer`: the back and the rating form once shown, else the hint and the button
    that shows them (htmx swaps this element alone)."""
    url = escape(here)
    words = _words(get_language())
    if shown:
        previews = selectors.interval_previews(
            state, card_id=card.pk, lesson_id=card.lesson_id, day=day
        )
        inner = (
            f'<hr>\n<div class="back" tabindex="-1">{card.back_html}</div>\n'
            + _rating_form(
                request,
                card_id=card.pk,
                reps=state.reps if state else 0,
                previews=previews,
                here=here,
            )
            + _card_tools(request, card, state, day=day, here=here)
        )
    else:
        hint = (
            f'<details class="hint"><summary>{words["hint"]}</summary>{card.hint_html}</details>\n'
            if card.hint_html
            else ""
        )
        show = f"{url}?show={card.pk}"
        inner = (
            f'{hint}<p><a class="button primary" data-key="show" href="{show}" hx-get="{show}" '
            'hx-target="#card-answer" hx-swap="outerHTML" data-focus>'
            f"{words['show_answer']}</a>\n"
            f'<span class="keys">{words["space_or_enter"]}</span></p>'
        )
    return mark_safe(f'<div id="card-answer">\n{inner}\n</div>')


def _why_now(state, *, day: selectors.StudyDay) -> str:
    """Why the card is shown now: its predicted recall and its last review."""
    if state is None:
        return _("A new card: you have not studied it yet.")
    recall = selectors.recall_now(state, at=day.now)
    parts = []
    if recall is not None:
        parts.append(_("predicted recall now %(recall)s%%") % {"recall": round(100 * recall)})
    if state.last_review_at is not None:
        parts.append(
            _("last seen %(ago)s ago")
            % {"ago": selectors.format_duration(day.now - state.last_review_at)}
        )
    parts.append(
        ngettext("%(n)s review", "%(n)s reviews", state.reps) % {"n": state.reps}
        + ", "
        + ngettext("forgotten %(n)s time", "forgotten %(n)s times", state.lapses)
        % {"n": state.lapses}
    )
    return " · ".join(parts)


def _csrf_input(request: HttpRequest) -> str:
    """The CSRF token's hidden input, made once per response as `{% csrf_token %}` is once per
    template: the back of a card has two forms, the next card three.

    In what htmx swaps in, the token is the page's own, which htmx sent in its X-CSRFToken
    header (from `<body hx-headers>`), when it is valid for the CSRF cookie's secret: a form
    posted before htmx has taken it over still carries a valid token, as the page's forms do.
    Masking a new one draws 32 random characters (66 µs here) and sends the CSRF cookie again
    (`get_token`), in every reply of the review loop; the page is masked once, when it loads."""
    field = getattr(request, "_csrf_input", None)
    if field is None:
        token = _page_token(request) or get_token(request)
        field = request._csrf_input = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'
        )
    return field


_MASKED_TOKEN = re.compile(f"[a-zA-Z0-9]{{{CSRF_TOKEN_LENGTH}}}")


def _page_token(request: HttpRequest) -> str | None:
    """The page's masked CSRF token that htmx sent with this request, if it is one for the
    secret in the request's CSRF cookie (a login since the page loaded changes the secret)."""
    token = request.META.get(settings.CSRF_HEADER_NAME, "")
    secret = request.META.get("CSRF_COOKIE")
    if not request.htmx or not secret or not _MASKED_TOKEN.fullmatch(token):
        return None
    return token if _token_matches(token, secret) else None


@functools.lru_cache(maxsize=1024)
def _token_matches(token: str, secret: str) -> bool:
    # A page sends the same token with each request: unmasking and comparing took 11.7 µs, a
    # look-up here 0.2 µs.
    return constant_time_compare(_unmask_cipher_token(token), secret)


def _card_tools(request: HttpRequest, card, state, *, day: selectors.StudyDay, here: str):
    """Below the ratings: why the card is shown now, suspending it, reporting it."""
    url = escape(here)
    words = _words(get_language())
    report = url_for_each("quizzes:card_report")(card.pk)
    report = escape(f"{report}?{urlencode({'next': here})}")
    return (
        '<div class="card-tools">\n'
        f'<details class="why"><summary>{words["why_now"]}</summary>'
        f"<p>{escape(_why_now(state, day=day))}</p></details>\n"
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#review-card" '
        'hx-swap="outerHTML" class="inline">\n'
        f"{_csrf_input(request)}\n"
        '<input type="hidden" name="action" value="suspend">\n'
        f'<input type="hidden" name="card" value="{card.pk}">\n'
        f'<button type="submit" class="link">{words["suspend"]}</button>\n'
        "</form>\n"
        f'<a href="{report}">{words["report"]}</a>\n'
        "</div>"
    )


def _action_form(
    request: HttpRequest, here: str, action: str, label: str, *, primary: bool = False
) -> SafeString:
    """A one-button form on the done screen that posts `action` to the study page."""
    url = escape(here)
    button = ' class="primary"' if primary else ""
    return mark_safe(
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#review-card" '
        'hx-swap="outerHTML" class="more">\n'
        f"{_csrf_input(request)}\n"
        f'<input type="hidden" name="action" value="{action}">\n'
        f'<button type="submit"{button}>{escape(label)}</button>\n</form>'
    )


def _more_form(request: HttpRequest, here: str, queue: selectors.Queue) -> SafeString:
    """ "Study more": one more batch of new cards today, once today's limit is reached."""
    n = min(queue.new_left, STUDY_MORE)
    label = ngettext("Study %(n)s more new card", "Study %(n)s more new cards", n) % {"n": n}
    return _action_form(request, here, "more", label, primary=True)


def _ahead_form(request: HttpRequest, here: str, n: int) -> SafeString:
    """ "Review ahead": the review cards due by the end of tomorrow, now, once nothing is due."""
    label = ngettext("Review %(n)s card ahead", "Review %(n)s cards ahead", n) % {"n": n}
    return _action_form(request, here, "ahead", label)


def _undo_form(request: HttpRequest, here: str) -> SafeString:
    url = escape(here)
    return mark_safe(
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#review-card" '
        'hx-swap="outerHTML" class="undo">\n'
        f"{_csrf_input(request)}\n"
        '<input type="hidden" name="action" value="undo">\n'
        f'<button type="submit" data-key="undo">{_words(get_language())["undo"]}</button> '
        '<span class="keys" aria-hidden="true">Ctrl+Z</span>\n</form>'
    )


def _rating_form(
    request: HttpRequest, *, card_id: int, reps: int, previews: dict[int, str], here: str
) -> SafeString:
    """The rating form on the card's back: a button per rating, each with its interval."""
    url = escape(here)
    words = _words(get_language())
    buttons = "".join(
        f'<button type="submit" name="rating" value="{r.value}" data-key="{r.value}" '
        f'class="rating rating-{r.value}" aria-describedby="rating-help"'
        f"{' data-focus' if r == Rating.GOOD else ''}>\n"
        f'<span class="label">{words[r.value]}</span> '
        f'<span class="interval">{escape(previews[r.value])}</span>'
        f'<span class="key" aria-hidden="true">{r.value}</span>\n</button>\n'
        for r in Rating
    )
    return mark_safe(
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#review-card" '
        'hx-swap="outerHTML" class="ratings" data-timed>\n'
        f"{_csrf_input(request)}\n"
        f'<input type="hidden" name="card" value="{card_id}">\n'
        f'<input type="hidden" name="reps" value="{reps}">\n'
        '<input type="hidden" name="duration_ms" value="">\n'
        f'<p class="visually-hidden" id="rating-help">{words["rating_help"]}</p>\n'
        f"{buttons}</form>"
    )


def _card_answer(
    request: HttpRequest, student, lesson_ids: list[int], day: selectors.StudyDay, here: str
) -> HttpResponse | None:
    """The back of the card `?show=` names, for htmx to swap into `#card-answer`, if the student
    may rate that card now (one query: the card with their state); None otherwise, and the
    caller answers with the whole review card, which htmx is told to swap instead."""
    card_id = parse_id(request.GET.get("show"))
    if card_id < 0:
        return None
    found = selectors.card_for_rating(
        student=request.user,
        card_id=card_id,
        lesson_ids=lesson_ids,
        held_questions=student.held_questions,
        suspended=student.suspended,
    )
    if found is None:
        return None
    card, state = found
    return HttpResponse(_answer_html(request, card, state, day=day, shown=True, here=here))


def _progress(queue: selectors.Queue) -> int:
    total = queue.done_today + queue.remaining
    return round(100 * queue.done_today / total) if total else 100


def _rate(
    request: HttpRequest,
    lesson_ids: list[int],
    day: selectors.StudyDay,
    held_questions: frozenset[int],
    suspended: frozenset[int],
) -> frozenset[int]:
    """Record the posted rating; the card's id if that made it a leech, now suspended."""
    form = read_rating(request.POST)
    if form is None:
        messages.error(request, _("That rating could not be read; please rate the card again."))
        return frozenset()
    found = selectors.card_for_rating(
        student=request.user,
        card_id=form.card,
        lesson_ids=lesson_ids,
        held_questions=held_questions,
        suspended=suspended,
    )
    if found is None:
        messages.error(request, _("That card is not in your reviews."))
        return frozenset()
    card, state = found
    retention, parameters = day.schedule_for(card.lesson_id)
    # Records nothing if the card has moved on since the form was drawn: a double click, a
    # resent form or another tab.
    recorded = services.review_record(
        student=request.user,
        card=card,
        state=state,
        rating=form.rating,
        reviewed_at=day.now,
        duration_ms=_clamp_ms(form.duration_ms),
        desired_retention=retention,
        parameters=parameters,
        expected_reps=form.reps,
    )
    if recorded is not None and recorded.became_leech:
        messages.warning(
            request,
            _(
                "You have forgotten that card %(n)s times: it is a leech, and it is suspended. "
                "Look it up in its lesson, then put it back from your suspended cards."
            )
            % {"n": recorded.lapses},
        )
        return frozenset([card.pk])
    return frozenset()


# How many more new cards "Study more" adds to today's limit.
STUDY_MORE = 10


def _suspend(request: HttpRequest, lesson_ids: list[int]) -> frozenset[int]:
    """Suspend the posted card, if it is one the student studies here; its id, for the queue
    built in this request (the cached context still has the old list)."""
    card = (
        Card.objects.active()
        .filter(pk=parse_id(request.POST.get("card")), lesson_id__in=lesson_ids)
        .first()
    )
    if card is None:
        messages.error(request, _("That card is not in your reviews."))
        return frozenset()
    services.card_suspend(student=request.user, card=card)
    messages.success(request, _("Card suspended. You can put it back from your suspended cards."))
    return frozenset([card.pk])


def _study_more(request: HttpRequest, day: selectors.StudyDay) -> selectors.StudyDay:
    """One more batch of new cards today; the study day with the raised limit."""
    today = study_date(day.now, time_zone=day.time_zone, day_starts_at=day.day_starts_at)
    services.study_more(student=request.user, on=today, cards=STUDY_MORE)
    return replace(day, new_per_day=day.new_per_day + STUDY_MORE)


def _review_ahead(request: HttpRequest, day: selectors.StudyDay) -> selectors.StudyDay:
    """ "Review ahead" for the rest of today; the study day with the review cut-off widened."""
    today = study_date(day.now, time_zone=day.time_zone, day_starts_at=day.day_starts_at)
    services.review_ahead(student=request.user, on=today)
    return day.reviewing_ahead()


# Questions, for authors -------------------------------------------------------------------------
# Authors only (anyone else gets 404): the typed answers that the keys refused, to accept
# after the fact for everyone (quizzes.regrade).


def accept_posted(request: HttpRequest, form: AcceptForm, version, classroom=None) -> None:
    """Accept a valid AcceptForm's response to `version` (for `classroom`, or everyone) and
    say what it did, or why it could not."""
    try:
        outcome = regrade.response_accept(
            version=version,
            blank=form.cleaned_data["blank"],
            text=form.cleaned_data["text"],
            by=request.user,
            now=timezone.now(),
            classroom=classroom,
        )
    except regrade.RegradeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, regrade.summary(outcome, form.cleaned_data["text"]))


def _name(user) -> str:
    """Who did something, as others read it (their account may be gone)."""
    if user is None:
        return _("a former user")
    return user.get_full_name() or user.username


def _author(request: HttpRequest) -> None:
    if Role.AUTHOR not in roles_of(request.user):
        raise Http404


@require_GET
@login_required
def questions(request: HttpRequest) -> HttpResponse:
    """Authors: the typed-answer questions, those with the most wrong answers first."""
    _author(request)
    rows = (
        Question.objects.active()
        .filter(type__in=FREE_TEXT_TYPES)
        .select_related("lesson", "current_version")
        .annotate(
            # distinct: the join with the accepted responses repeats each answer
            wrong=Count(
                "versions__answers",
                filter=Q(versions__answers__correct=False),
                distinct=True,
            ),
            accepted=Count(
                "accepted_responses",
                filter=Q(accepted_responses__classroom__isnull=True),
                distinct=True,
            ),
        )
        .order_by("-wrong", "lesson__title", "position")
    )
    return render(request, "quizzes/questions.html", {"questions": rows})


@require_http_methods(["GET", "POST"])
@login_required
def question(request: HttpRequest, key: str) -> HttpResponse:
    """Authors: a typed-answer question's key, the responses accepted after the fact, and every
    distinct wrong response given to it, each of which POST accepts for everyone."""
    _author(request)
    question = get_object_or_404(
        Question.objects.select_related("lesson", "current_version"), key=key
    )
    if question.type not in FREE_TEXT_TYPES:
        raise Http404
    if request.method == "POST":
        form = AcceptForm(request.POST)
        version = None
        if form.is_valid():
            version = question.versions.filter(pk=form.cleaned_data["version"]).first()
        if version is None:
            raise Http404
        accept_posted(request, form, version)
        return redirect("quizzes:question", key=question.key)
    versions = {v.pk: v for v in question.versions.order_by("-number")}
    responses: dict[int, list[tuple[object, int]]] = {}
    for row in (
        Answer.objects.filter(version__question=question, correct=False)
        .values("version_id", "response")
        .annotate(n=Count("id"))
        .order_by("version_id", "-n")
    ):
        responses.setdefault(row["version_id"], []).append((row["response"], row["n"]))
    listed = []
    for pk, version in versions.items():
        wrong = selectors.wrong_responses(version, version.answer_key, responses.get(pk, []))
        if wrong or version.pk == question.current_version_id:
            listed.append({"version": version, "wrong": wrong})
    # What teachers accepted for their classes and nobody has for everyone: worth a look.
    current = question.current_version
    by_classes = []
    for row in (
        question.accepted_responses.filter(classroom__isnull=False)
        .values("blank", "form")
        .annotate(classes=Count("classroom", distinct=True), text=Min("text"))
        .order_by("-classes", "blank", "form")
    ):
        if current and not accepts(current.type, current.answer_key, row["blank"], row["text"]):
            by_classes.append(row)
    accepted = list(
        question.accepted_responses.filter(classroom__isnull=True).select_related(
            "accepted_by", "version"
        )
    )
    for row in accepted:
        row.who = _name(row.accepted_by)
    return render(
        request,
        "quizzes/question.html",
        {
            "question": question,
            "key_text": answer_text(
                question.current_version.type,
                question.current_version.body,
                question.current_version.answer_key,
            )
            if question.current_version
            else "",
            "versions": listed,
            "accepted": accepted,
            "by_classes": by_classes,
        },
    )


# Suspended and reported cards ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def suspended_cards(request: HttpRequest) -> HttpResponse:
    """Any signed-in user: their own suspended cards (their choice, or leeches), and POST puts
    one back into their reviews."""
    if request.method == "POST":
        card_id = parse_id(request.POST.get("card"))
        if services.card_unsuspend(student=request.user, card_id=card_id):
            messages.success(request, _("The card is back in your reviews."))
        else:
            messages.info(request, _("That card was not suspended."))
        return redirect("quizzes:suspended_cards")
    rows = (
        CardSuspension.objects.filter(student=request.user, card__retired_at__isnull=True)
        .select_related("card__lesson")
        .order_by("-created_at", "-pk")
    )
    return render(request, "quizzes/suspended.html", {"suspensions": rows})


@require_http_methods(["GET", "POST"])
@login_required
def card_report(request: HttpRequest, card_id: int) -> HttpResponse:
    """Any signed-in user: report an active card to its authors as wrong or unclear, with a
    note. The page shows the card's front only (its back may answer a quiz question)."""
    card = get_object_or_404(Card.objects.active().select_related("lesson"), pk=card_id)
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    back = back or reverse("quizzes:study")
    form = CardReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.card_flag(student=request.user, card=card, note=form.cleaned_data["note"])
        messages.success(request, _("Thank you: the course’s authors will read your note."))
        return redirect(back)
    return render(request, "quizzes/card_report.html", {"card": card, "form": form, "next": back})


@require_http_methods(["GET", "POST"])
@login_required
def card_flags(request: HttpRequest) -> HttpResponse:
    """Authors: the cards students reported, open reports first; POST resolves one."""
    _author(request)
    if request.method == "POST":
        resolved = CardFlag.objects.filter(
            pk=parse_id(request.POST.get("flag")), resolved_at__isnull=True
        ).update(resolved_at=timezone.now(), resolved_by=request.user)
        if resolved:
            messages.success(request, _("Report marked as resolved."))
        return redirect("quizzes:card_flags")
    flags = CardFlag.objects.select_related("card__lesson").order_by(
        F("resolved_at").desc(nulls_first=True), "-created_at", "-pk"
    )[:500]
    return render(request, "quizzes/card_flags.html", {"flags": flags})
