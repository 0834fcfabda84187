"""Accepting a typed response after the fact, and regrading every past answer it changes.

An author accepts for everyone: the response joins the answer key of the version it was given
to and of the question's current version (and, through the loader, every later one). A teacher
accepts for their class: the response is accepted in the attempts of that class's students at
the class's quiz assignments, and no key changes.

Each answer whose score goes up gets a `Regrade` row (who, when, old and new scores of the
answer and its attempt, and the flashcard rating it gave, if any). A quiz answer that fed a
flashcard's schedule as Again and is now right is Good in the review log, and the student's
memory state for that card is replayed from the log.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from content import usercache
from quizzes import services
from quizzes.grading import (
    accepted_form,
    accepts,
    blank_fits,
    blank_still_fits,
    grade,
    meaning_hash,
    names_another_number,
    with_accepted,
)
from quizzes.models import (
    AcceptedResponse,
    Answer,
    Attempt,
    Question,
    QuestionVersion,
    Rating,
    Regrade,
    ReviewLog,
)
from quizzes.selectors import effective_key


class RegradeError(Exception):
    """A response that cannot be accepted; the message is shown to whoever tried."""


@dataclass
class Regraded:
    accepted: AcceptedResponse | None  # None: the response was already accepted
    answers: int = 0
    attempts: int = 0
    schedules: int = 0
    students: set[int] = field(default_factory=set)


def _class_answers(classroom, question: Question) -> QuerySet[Answer]:
    """The answers to this question in the class's own attempts: by its current students, at
    quizzes assigned to it."""
    return Answer.objects.filter(
        version__question=question,
        attempt__student__enrollments__classroom=classroom,
        attempt__student__enrollments__removed_at__isnull=True,
        attempt__quiz__in=classroom.assignments.values("quiz_id"),
    )


def class_gave(classroom, version: QuestionVersion) -> bool:
    """Whether any of the class's own attempts answered this version (what a teacher may
    accept responses to)."""
    return _class_answers(classroom, version.question).filter(version=version).exists()


@transaction.atomic
def response_accept(
    *,
    version: QuestionVersion,
    blank: int,
    text: str,
    by: AbstractBaseUser,
    now: datetime,
    classroom=None,
) -> Regraded:
    """Accept `text` for `blank` of `version` (`WHOLE` for the whole answer), for everyone or,
    with `classroom`, for that class; regrade the answers it changes. Accepting what is
    already accepted changes nothing.

    Two acceptances of one question run one after the other (the question's row is locked):
    the second sees the key the first made.
    """
    question = Question.objects.select_for_update().get(pk=version.question_id)
    version = QuestionVersion.objects.get(pk=version.pk)  # its key as of the lock
    text = " ".join(text.split())
    if not text or len(text) > AcceptedResponse._meta.get_field("text").max_length:
        raise RegradeError(_("That response is empty or too long to accept."))
    if not blank_fits(version.type, version.answer_key, blank):
        raise RegradeError(_("Only a typed answer (or one blank of a cloze) can be accepted."))
    form = accepted_form(version.answer_key, text)
    # The compared form may be longer than the text: NFKC and NFKD expand some letters.
    if not form or len(form) > AcceptedResponse._meta.get_field("form").max_length:
        raise RegradeError(_("That response is empty or too long to accept."))
    if names_another_number(version.type, version.answer_key, text):
        raise RegradeError(
            _("“%(text)s” names another number than the answer: it cannot be accepted.")
            % {"text": text}
        )
    scope = Q(classroom=classroom) if classroom else Q(classroom__isnull=True)
    existing = AcceptedResponse.objects.filter(scope, question=question, blank=blank, form=form)
    if accepts(version.type, version.answer_key, blank, text) or existing.exists():
        return Regraded(accepted=None)
    accepted = AcceptedResponse.objects.create(
        question=question,
        version=version,
        blank=blank,
        text=text,
        form=form,
        classroom=classroom,
        accepted_by=by,
        accepted_at=now,
    )
    if classroom is None:
        versions = [version]
        current = question.current_version
        if (
            current is not None
            and current.pk != version.pk
            and blank_still_fits(
                version.type, version.answer_key, current.type, current.answer_key, blank
            )
        ):
            versions.append(current)
        for changed in versions:
            _add_to_key(changed, blank, text)
        answers = Answer.objects.filter(version__in=versions)
    else:
        answers = _class_answers(classroom, question)
    return _regrade(answers.filter(score__lt=1), accepted, by, now)


def _add_to_key(version: QuestionVersion, blank: int, text: str) -> None:
    version.answer_key = with_accepted(version.type, version.answer_key, [(blank, text)])
    version.meaning_hash = meaning_hash(
        version.type, version.prompt, version.body, version.answer_key
    )
    version.save(update_fields=["answer_key", "meaning_hash"])


def _regrade(
    answers: QuerySet[Answer],
    accepted: AcceptedResponse,
    by: AbstractBaseUser,
    now: datetime,
) -> Regraded:
    result = Regraded(accepted=accepted)
    rows = list(
        answers.select_related("version", "attempt__student", "review_log__card").order_by(
            "attempt_id", "pk"
        )
    )
    # Every answer is graded with what its student's classes accepted too, whoever accepts
    # now: an author's acceptance of one blank must not leave out a class's of another.
    by_class = _class_acceptances(accepted.question_id, rows)
    keys: dict[tuple[int, int, int], dict] = {}
    changed: list[tuple[Answer, float, bool]] = []
    for answer in rows:
        version = answer.version
        ck = (version.pk, answer.attempt.student_id, answer.attempt.quiz_id)
        if ck not in keys:
            keys[ck] = effective_key(version, by_class.get(ck[1:], []))
        graded = grade(version.type, keys[ck], answer.response)
        if graded.score > answer.score:
            changed.append((answer, answer.score, answer.correct))
            answer.score, answer.correct = graded.score, graded.correct
    if not changed:
        return result
    Answer.objects.bulk_update([a for a, _, _ in changed], ["score", "correct"])
    attempt_scores = _attempt_scores({a.attempt for a, _, _ in changed})
    ratings = _correct_schedules([(a, was_correct) for a, _, was_correct in changed])
    Regrade.objects.bulk_create(
        Regrade(
            answer=answer,
            accepted=accepted,
            regraded_by=by,
            regraded_at=now,
            old_score=old_score,
            new_score=answer.score,
            old_attempt_score=attempt_scores.get(answer.attempt_id, (None, None))[0],
            new_attempt_score=attempt_scores.get(answer.attempt_id, (None, None))[1],
            old_rating=ratings.get(answer.pk, (None, None))[0],
            new_rating=ratings.get(answer.pk, (None, None))[1],
        )
        for answer, old_score, _ in changed
    )
    result.answers = len(changed)
    result.attempts = len(attempt_scores)
    result.schedules = len(ratings)
    result.students = {answer.attempt.student_id for answer, _, _ in changed}
    for student_id in result.students:
        # Their dashboards keep their best scores (courses.selectors.StudyContext.quiz_results);
        # the bulk updates above send no signal.
        usercache.forget_user(student_id)
    return result


def _class_acceptances(question_id: int, answers: list[Answer]) -> dict[tuple[int, int], list]:
    """The responses to this question accepted by classes for these answers' attempts, as
    (blank, text) pairs by (student, quiz): what `selectors.class_accepted` gives each, in at
    most three queries."""
    accepted = list(
        AcceptedResponse.objects.filter(question_id=question_id, classroom__isnull=False)
        .order_by("accepted_at", "pk")
        .values_list("classroom_id", "blank", "text")
    )
    if not accepted or not answers:
        return {}
    # Through the acceptances' classes: quizzes do not import courses (a higher app).
    of_question = AcceptedResponse.objects.filter(
        question_id=question_id, classroom__isnull=False
    ).order_by()
    enrolled: dict[int, set[int]] = defaultdict(set)  # classes by student
    for classroom_id, student_id in (
        of_question.filter(
            classroom__enrollments__student_id__in={a.attempt.student_id for a in answers},
            classroom__enrollments__removed_at__isnull=True,
        )
        .values_list("classroom_id", "classroom__enrollments__student_id")
        .distinct()
    ):
        enrolled[student_id].add(classroom_id)
    quizzes: dict[int, set[int]] = defaultdict(set)  # classes by quiz
    for classroom_id, quiz_id in (
        of_question.filter(classroom__assignments__quiz__isnull=False)
        .values_list("classroom_id", "classroom__assignments__quiz_id")
        .distinct()
    ):
        quizzes[quiz_id].add(classroom_id)
    found: dict[tuple[int, int], list] = {}
    for answer in answers:
        pair = (answer.attempt.student_id, answer.attempt.quiz_id)
        if pair not in found:
            mine = enrolled[pair[0]] & quizzes[pair[1]]
            found[pair] = list(dict.fromkeys((b, t) for c, b, t in accepted if c in mine))
    return found


def _attempt_scores(attempts: set[Attempt]) -> dict[int, tuple[float | None, float]]:
    """Score the finished attempts again as attempt_finish does: (old, new) by attempt id."""
    finished = sorted((a for a in attempts if a.finished_at is not None), key=lambda a: a.pk)
    if not finished:
        return {}
    totals: dict[int, float] = defaultdict(float)
    for attempt_id, score in Answer.objects.filter(attempt__in=finished).values_list(
        "attempt_id", "score"
    ):
        totals[attempt_id] += score
    scores = {}
    for attempt in finished:
        new = totals[attempt.pk] / len(attempt.versions) if attempt.versions else 0.0
        scores[attempt.pk] = (attempt.score, new)
        attempt.score = new
    Attempt.objects.bulk_update(finished, ["score"])
    return scores


def _correct_schedules(changed: list[tuple[Answer, bool]]) -> dict[int, tuple[int, int]]:
    """An answer now correct that fed its flashcard Again feeds it Good: the log entry's
    rating changes and the state is replayed. (old, new) rating by answer id."""
    ratings = {}
    for answer, was_correct in sorted(changed, key=lambda item: item[0].pk):
        log: ReviewLog | None = getattr(answer, "review_log", None)
        if log is None or was_correct or not answer.correct or log.rating != Rating.AGAIN:
            continue
        log.rating = Rating.GOOD
        log.save(update_fields=["rating"])
        services.memory_state_rebuild(
            student=answer.attempt.student, card=log.card, rewrite_from=log
        )
        ratings[answer.pk] = (Rating.AGAIN, Rating.GOOD)
    return ratings


def accepted_for(question: Question) -> QuerySet[AcceptedResponse]:
    return question.accepted_responses.select_related("accepted_by", "classroom", "version")


def summary(outcome: Regraded, text: str) -> str:
    """What an acceptance did, in a sentence for whoever accepted it."""
    if outcome.accepted is None:
        return _("“%(text)s” was already accepted: nothing changed.") % {"text": text}
    if not outcome.answers:
        return _("Accepted “%(text)s”. No past answer changed.") % {"text": text}
    parts = [
        ngettext(
            "%(n)d answer of %(students)d student regraded",
            "%(n)d answers of %(students)d students regraded",
            outcome.answers,
        )
        % {"n": outcome.answers, "students": len(outcome.students)},
        ngettext("%(n)d attempt score changed", "%(n)d attempt scores changed", outcome.attempts)
        % {"n": outcome.attempts},
    ]
    if outcome.schedules:
        parts.append(
            ngettext(
                "%(n)d flashcard schedule corrected",
                "%(n)d flashcard schedules corrected",
                outcome.schedules,
            )
            % {"n": outcome.schedules}
        )
    return _("Accepted “%(text)s”: %(changes)s.") % {"text": text, "changes": "; ".join(parts)}
