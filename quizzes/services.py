"""Writes for quizzes: recording reviews into a student's schedule, undoing them, and quiz
attempts from start to finish."""

import contextlib
import copy
import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from config.db import prepared_cursor
from content import usercache
from quizzes import scheduling
from quizzes.grading import FREE_TEXT_TYPES, grade
from quizzes.models import (
    SCHEDULE_FIELDS,
    Answer,
    Attempt,
    Card,
    CardFlag,
    CardState,
    CardSuspension,
    MemoryState,
    QuestionType,
    QuestionVersion,
    Quiz,
    Rating,
    ReviewLog,
    ReviewSource,
    SuspensionReason,
    is_leech_lapse,
)
from quizzes.selectors import class_accepted, effective_key


def _apply(state: MemoryState, result: scheduling.Review, rating: int, before: int | None) -> None:
    state.state = result.state
    state.step = result.step
    state.stability = result.stability
    state.difficulty = result.difficulty
    state.due_at = result.due_at
    state.last_review_at = result.last_review_at
    state.last_review_days = scheduling.epoch_days(result.last_review_at)
    state.decay, state.factor = result.decay, result.factor
    state.reps += 1
    if rating == Rating.AGAIN and before == CardState.REVIEW:
        state.lapses += 1


def _state_locked(student: AbstractBaseUser, card: Card) -> MemoryState | None:
    return MemoryState.objects.select_for_update().filter(student=student, card=card).first()


# `review_record(state=UNREAD)`: the caller has not read the state; review_record reads it.
UNREAD: Any = object()


def review_record(
    *,
    student: AbstractBaseUser,
    card: Card,
    rating: int,
    reviewed_at: datetime,
    duration_ms: int | None = None,
    source: str = ReviewSource.FLASHCARD,
    answer: Answer | None = None,
    desired_retention: float = 0.9,
    parameters: tuple[float, ...] = (),
    fuzz: bool = True,
    expected_reps: int | None = None,
    unless_reviewed_since: datetime | None = None,
    state: MemoryState | None = UNREAD,
) -> MemoryState | None:
    """Apply a rating to the student's memory state for the card and append it to the log.

    Returns the new state, or None when nothing was recorded because a condition failed:
    `expected_reps`, the number of reviews the card had when the rating form was drawn (a
    double click, a resent form or a second tab finds it moved on), or `unless_reviewed_since`
    (the card was already reviewed since then). `state` is the student's state for the card as
    the caller read it (None: the card is new to them), saving a query; by default it is read.

    The write is a compare-and-set: the state is written back only if its review count and last
    review are still those it was computed from (an update that also takes the row's lock until
    the log entry is appended), and a card's first review inserts its state, which the unique
    constraint refuses to a second one. So of several identical requests at once exactly one
    records. A rating from a form (`expected_reps`) that loses the race records nothing; a quiz
    answer's rating reads the state again, locked this time, and is recorded on top.
    `desired_retention` is the course's setting, and `parameters` FSRS's parameters in force for
    the student (empty: the defaults); views read both with the study day.

    On PostgreSQL the state and the log entry are written by one statement (`_write`), so a
    form's rating with the state it read is one round trip, in no transaction of its own.
    """
    one_statement = (
        connection.vendor == "postgresql"
        and expected_reps is not None
        and state is not UNREAD
        and unless_reviewed_since is None
    )
    with contextlib.nullcontext() if one_statement else transaction.atomic():
        for locked in (False, True):
            if state is UNREAD:
                states = MemoryState.objects.filter(student=student, card=card)
                state = (states.select_for_update() if locked else states).first()
            if expected_reps is not None and (state.reps if state else 0) != expected_reps:
                return None
            if (
                unless_reviewed_since is not None
                and state is not None
                and ReviewLog.objects.filter(
                    student=student, card=card, reviewed_at__gte=unless_reviewed_since
                ).exists()
            ):
                return None
            recorded = _record(
                student,
                card,
                state,
                rating=rating,
                reviewed_at=reviewed_at,
                duration_ms=duration_ms,
                source=source,
                answer=answer,
                scheduler=scheduling.scheduler_for(
                    desired_retention=desired_retention, fuzz=fuzz, parameters=parameters
                ),
            )
            if recorded is not None or expected_reps is not None:
                return recorded
            state = UNREAD
    raise IntegrityError("the review could not be recorded: its state changed under a lock")


def _record(
    student: AbstractBaseUser,
    card: Card,
    state: MemoryState | None,
    *,
    rating: int,
    reviewed_at: datetime,
    duration_ms: int | None,
    source: str,
    answer: Answer | None,
    scheduler,
) -> MemoryState | None:
    """Write one review computed from `state`, if the state is still `state` (see above)."""
    result = scheduling.review(
        scheduler, state, card_id=card.pk, rating=rating, reviewed_at=reviewed_at
    )
    before = state.state if state else None
    if state is None:
        new = MemoryState(student=student, card=card)
    else:
        new = copy.copy(state)
        new._state = copy.copy(state._state)
    _apply(new, result, rating, before)
    log = (  # _LOG_FIELDS
        student.pk,
        card.pk,
        rating,
        result.last_review_at,
        result.elapsed_days,
        duration_ms,
        before,
        result.state,
        result.due_at,
        str(source),  # its value, not a choices enum (a database driver may write its name)
        answer.pk if answer else None,
    )
    state_id = _write(new, old=state, log=log)
    if state_id is None:
        return None
    new.pk = state_id
    new._state.adding = False
    new._state.db = connection.alias
    new.became_leech = new.lapses > (state.lapses if state else 0) and is_leech_lapse(new.lapses)
    if new.became_leech:
        card_suspend(student=student, card=card, reason=SuspensionReason.LEECH, lapses=new.lapses)
    return new


# The review log's columns, in the order `_record` gives them.
_LOG_FIELDS = (
    "student_id",
    "card_id",
    "rating",
    "reviewed_at",
    "elapsed_days",
    "duration_ms",
    "state_before",
    "state_after",
    "due_after",
    "source",
    "answer_id",
)


@functools.lru_cache(maxsize=8)
def _write_sql(vendor: str, *, insert: bool) -> tuple[str, str | None]:
    """`_write`'s statements for a database: on PostgreSQL one, on others the state's and the
    log's."""
    ms, rl = MemoryState._meta, ReviewLog._meta
    q = connection.ops.quote_name

    def column(name: str) -> str:
        return q(ms.get_field(name).column)

    if insert:
        names = ("student", "card", *SCHEDULE_FIELDS)
        state_sql = (
            f"INSERT INTO {q(ms.db_table)} ({', '.join(column(name) for name in names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))}) "
            f"ON CONFLICT ({column('student')}, {column('card')}) DO NOTHING"
        )
    else:
        same = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
        assignments = ", ".join(f"{column(name)} = %s" for name in SCHEDULE_FIELDS)
        state_sql = (
            f"UPDATE {q(ms.db_table)} SET {assignments} WHERE {column('id')} = %s "
            f"AND {column('reps')} = %s AND {column('last_review_at')} {same} %s"
        )
    log_fields = [rl.get_field(name) for name in _LOG_FIELDS]
    log_columns = ", ".join(q(field.column) for field in log_fields)
    if vendor == "postgresql":
        # The log's values are a select list, where a parameter's type must be cast.
        casts = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in log_fields)
        return (
            f"WITH s AS ({state_sql} RETURNING {q('id')}), "
            f"l AS (INSERT INTO {q(rl.db_table)} ({log_columns}) SELECT {casts} FROM s) "
            f"SELECT {q('id')} FROM s"
        ), None
    marks = ", ".join(["%s"] * len(log_fields))
    return state_sql, f"INSERT INTO {q(rl.db_table)} ({log_columns}) VALUES ({marks})"


def _write(new: MemoryState, *, old: MemoryState | None, log: tuple) -> int | None:
    """Write `new` over `old` (None: insert it, the card's first review) if `old` is still the
    stored state, and append `log` (the values of `_LOG_FIELDS`) to the review log; the state's
    id, or None if nothing was written. Raw SQL: the ORM's update() and create() cost the rating
    more Python than the statements themselves. It sends no model signals (nothing listens to
    these two models'); the database's triggers (quizzes.rollups) see the writes like any other.

    PostgreSQL: one statement (a data-modifying WITH). SQLite: the state, then the log entry,
    in the caller's transaction."""
    when = connection.ops.adapt_datetimefield_value
    values = [getattr(new, name) for name in SCHEDULE_FIELDS]
    values = [when(v) if isinstance(v, datetime) else v for v in values]
    log = [when(v) if isinstance(v, datetime) else v for v in log]
    if old is None:
        state_params = [new.student_id, new.card_id, *values]
    else:
        state_params = [*values, old.pk, old.reps, when(old.last_review_at)]
    statement, log_statement = _write_sql(connection.vendor, insert=old is None)
    with prepared_cursor() as cursor:
        if log_statement is None:
            cursor.execute(statement, [*state_params, *log])
            row = cursor.fetchone()
            return row[0] if row else None
        cursor.execute(statement, state_params)
        if cursor.rowcount != 1:
            return None
        state_id = cursor.lastrowid if old is None else old.pk
        cursor.execute(log_statement, log)
        return state_id


def memory_state_rebuild(
    *,
    student: AbstractBaseUser,
    card: Card,
    rewrite_from: ReviewLog | None = None,
    parameters: tuple[float, ...] | None = None,
    desired_retention: float | None = None,
) -> MemoryState | None:
    """Rebuild the student's state for a card by replaying its review log.

    Memory (state, step, stability, difficulty) is replayed without fuzzing; the due date is the
    one the last logged review gave, fuzz and all. With no log left the state is removed: the
    card is new again. Call inside a transaction: the state's row is locked before the log is
    read, and review_record takes the same lock before it appends, so the log cannot change
    between reading and writing.

    The replay uses `parameters`: those in force for the student (empty: the defaults); None
    looks them up (scheduling.schedule_lookup).

    `rewrite_from`, a log entry whose rating was changed (a regraded quiz answer): it and every
    later entry get the state and due date the replay gives them, and so does the state; the
    due dates are the card's course's `desired_retention`'s (None: looked up with the
    parameters).
    """
    state = _state_locked(student, card)
    logs = list(ReviewLog.objects.filter(student=student, card=card).order_by("reviewed_at", "pk"))
    if not logs:
        if state is not None:
            state.delete()
        return None
    if parameters is None or (rewrite_from is not None and desired_retention is None):
        found_retention, found_parameters = scheduling.schedule_lookup(
            student_id=student.pk, card=card
        )
        parameters = found_parameters if parameters is None else parameters
        desired_retention = found_retention if desired_retention is None else desired_retention
    # Without a rewrite only the memory is replayed: the due date is the last log entry's.
    scheduler = scheduling.scheduler_for(
        desired_retention=desired_retention or 0.9, fuzz=False, parameters=parameters
    )
    built = state or MemoryState(student=student, card=card)
    built.reps = built.lapses = 0
    replayed = None
    rewriting, rewritten = False, []
    for log in logs:
        before = replayed.state if replayed else None
        result = scheduling.review(
            scheduler, replayed, card_id=card.pk, rating=log.rating, reviewed_at=log.reviewed_at
        )
        _apply(built, result, log.rating, before)
        replayed = built
        rewriting = rewriting or (rewrite_from is not None and log.pk == rewrite_from.pk)
        if rewriting:
            log.state_before, log.state_after = before, result.state
            log.due_after, log.elapsed_days = result.due_at, result.elapsed_days
            rewritten.append(log)
    if rewritten:
        ReviewLog.objects.bulk_update(
            rewritten, ["state_before", "state_after", "due_after", "elapsed_days"]
        )
    built.due_at = logs[-1].due_after
    built.save()
    return built


@transaction.atomic
def review_undo(
    *, student: AbstractBaseUser, since: datetime, parameters: tuple[float, ...] | None = None
) -> Card | None:
    """Take back the student's latest flashcard rating made since `since`. Returns its card.
    The card's log is replayed with `parameters` (None: those in force for the student in the
    card's course, looked up).

    Two undos at once take back two ratings, one after the other: the second waits for the
    first's lock on the log row and then takes the next latest.
    """
    last = (
        ReviewLog.objects.select_for_update(of=("self",))
        .filter(student=student, source=ReviewSource.FLASHCARD, reviewed_at__gte=since)
        .order_by("-reviewed_at", "-pk")
        .select_related("card")
        .first()
    )
    if last is None:
        return None
    card = last.card
    last.delete()
    memory_state_rebuild(student=student, card=card, parameters=parameters)
    return card


# Suspended and flagged cards ---------------------------------------------------------------------


def card_suspend(
    *,
    student: AbstractBaseUser,
    card: Card,
    reason: str = SuspensionReason.STUDENT,
    lapses: int | None = None,
) -> None:
    """Leave the card out of the student's reviews until they put it back (a leech, or their
    choice); nothing if it already is. Its state and history stay as they are."""
    if lapses is None:
        lapses = (
            MemoryState.objects.filter(student=student, card=card)
            .values_list("lapses", flat=True)
            .first()
        ) or 0
    CardSuspension.objects.bulk_create(
        [CardSuspension(student=student, card=card, reason=reason, lapses=lapses)],
        ignore_conflicts=True,  # two tabs at once, or a leech the student had just suspended
    )
    usercache.forget_user(student.pk)  # bulk_create sends no signal


def card_unsuspend(*, student: AbstractBaseUser, card_id: int) -> bool:
    """Put a suspended card back into the student's reviews; False if it was not suspended."""
    deleted, _counts = CardSuspension.objects.filter(student=student, card_id=card_id).delete()
    usercache.forget_user(student.pk)
    return deleted > 0


def card_flag(*, student: AbstractBaseUser, card: Card, note: str) -> CardFlag:
    """Report the card to its authors as wrong or unclear, with the student's note. A second
    report while the first is open replaces its note (one open report per student and card,
    however many tabs send it)."""
    for _attempt in range(2):
        updated = CardFlag.objects.filter(
            card=card, student=student, resolved_at__isnull=True
        ).update(note=note)
        if updated:
            return CardFlag.objects.get(card=card, student=student, resolved_at__isnull=True)
        try:
            with transaction.atomic():
                return CardFlag.objects.create(card=card, student=student, note=note)
        except IntegrityError:
            continue  # another request made it between our update and our insert
    raise IntegrityError("the card's report could not be saved")


def study_more(*, student: AbstractBaseUser, on, cards: int) -> None:
    """ "Study more": `cards` more new cards on the study date `on` (added to any already given
    that day; a later day starts again from the limit)."""
    from courses.models import Profile  # courses depends on quizzes, not the other way

    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(user=student)
        if profile.extra_new_cards_on == on:
            profile.extra_new_cards = min(profile.extra_new_cards + cards, 1000)
        else:
            profile.extra_new_cards, profile.extra_new_cards_on = cards, on
        profile.save(update_fields=["extra_new_cards", "extra_new_cards_on"])


def review_ahead(*, student: AbstractBaseUser, on) -> None:
    """ "Review ahead" on the study date `on`: that day, review cards due by the end of the next
    study day are shown (StudyDay.reviewing_ahead). Setting it twice changes nothing more."""
    from courses.models import Profile  # courses depends on quizzes, not the other way

    profile, _created = Profile.objects.get_or_create(user=student)
    if profile.review_ahead_on != on:
        profile.review_ahead_on = on
        profile.save(update_fields=["review_ahead_on"])


# Quiz attempts ----------------------------------------------------------------------------------


class QuizError(Exception):
    """A request the attempt cannot take; the message is shown to the student."""


def attempts_left(*, quiz: Quiz, student: AbstractBaseUser) -> int | None:
    if quiz.attempts_allowed is None:
        return None
    used = Attempt.objects.filter(quiz=quiz, student=student).count()
    return max(0, quiz.attempts_allowed - used)


def _option_order(
    version: QuestionVersion, rng: random.Random, shuffle: bool, *, seed: int
) -> list[int]:
    """The order the options are shown in, as authored indexes.

    Without shuffling, choice options are still not shown in the authored order, which often
    puts the right answer first: they come in one order per question, the same for everyone
    and every attempt (as a teacher who turns shuffling off wants), drawn at random with the
    question version as the seed, so the position says nothing about the answer.
    """
    count = {
        QuestionType.SINGLE_CHOICE: len(version.body.get("choices", [])),
        QuestionType.MULTIPLE_RESPONSE: len(version.body.get("choices", [])),
        QuestionType.MATCHING: len(version.body.get("rights", [])),
        QuestionType.ORDERING: len(version.body.get("items", [])),
    }.get(version.type, 0)
    order = list(range(count))
    if not shuffle and version.type in {
        QuestionType.SINGLE_CHOICE,
        QuestionType.MULTIPLE_RESPONSE,
    }:
        random.Random(seed).shuffle(order)
    elif shuffle or version.type == QuestionType.ORDERING:
        # Ordering items are always shuffled, uniformly: shown in the authored order they could
        # be the answer, and never showing the answer's own order would give it away too (with
        # two items, the order shown would always be the wrong one).
        rng.shuffle(order)
    return order


@transaction.atomic
def attempt_start(*, quiz: Quiz, student: AbstractBaseUser, now: datetime) -> Attempt:
    """Resume the student's unfinished attempt at the quiz, or start a new one.

    The questions drawn, their option orders and the quiz settings are snapshotted.

    Starts are serialised per student: the student's user row is locked (FOR NO KEY UPDATE, so
    rows that only refer to the user, such as their reviews, are not held up) before the open
    attempt is looked up and the attempts are counted. Six clicks at once therefore make one
    attempt, and the limit holds even when another tab finishes an attempt in between, while a
    class of students starting together does not queue behind one lock. On SQLite, where
    `select_for_update` does nothing, IMMEDIATE transactions serialise the writers instead. The
    constraint `attempt_one_open` backs this up in the database.
    """
    # Evaluated for its lock; the row itself is not needed.
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=student.pk)
        .values_list("pk", flat=True)
    )
    open_attempt = Attempt.objects.filter(quiz=quiz, student=student, finished_at__isnull=True)
    current = open_attempt.first()
    if current is not None:
        return current
    left = attempts_left(quiz=quiz, student=student)
    if left == 0:
        raise QuizError(_("You have used all the attempts this quiz allows."))
    versions = list(
        QuestionVersion.objects.filter(
            question__lesson__in=quiz.lessons.all(),
            question__retired_at__isnull=True,
            question__current_version_id=F("pk"),
        )
        .order_by("question__lesson_id", "question__position")
        .values_list("pk", "type", "body", "answer_key", named=True)
    )
    if not versions:
        raise QuizError(_("This quiz has no questions yet."))
    rng = random.Random()
    if quiz.shuffle_questions:
        rng.shuffle(versions)
    if quiz.question_count:
        versions = versions[: quiz.question_count]
    orders = {
        str(v.pk): _option_order(
            QuestionVersion(type=v.type, body=v.body, answer_key=v.answer_key),
            rng,
            quiz.shuffle_options,
            seed=v.pk,
        )
        for v in versions
    }
    number = (
        Attempt.objects.filter(quiz=quiz, student=student).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    return Attempt.objects.create(
        quiz=quiz,
        student=student,
        number=number,
        versions=[v.pk for v in versions],
        settings_snapshot={
            "feedback": quiz.feedback,
            "time_limit_minutes": quiz.time_limit_minutes,
            "navigation": quiz.navigation,
            "orders": orders,
        },
        started_at=now,
    )


def attempt_deadline(attempt: Attempt) -> datetime | None:
    limit = attempt.settings_snapshot.get("time_limit_minutes")
    return attempt.started_at + timedelta(minutes=limit) if limit else None


@dataclass(frozen=True)
class Recorded:
    answer: Answer
    duplicate: bool  # the same response was already recorded for this question


@transaction.atomic
def answer_record(
    *,
    attempt: Attempt,
    seq: int,
    position: int,
    response: dict[str, Any],
    now: datetime,
    day_start: datetime,
    desired_retention: float = 0.9,
    parameters: tuple[float, ...] = (),
    duration_ms: int | None = None,
) -> Recorded:
    """Grade and record the answer to the attempt's question at `position`.

    The form's `seq` must be the attempt's current one; a resent form with the same response
    finds the answer already recorded and records nothing (`duplicate`). A graded answer on a
    question that is also a flashcard feeds that card's schedule (incorrect = Again, correct =
    Good), at most once per study day per card.

    With free navigation any question may be answered, not only the current one. Where answers
    may be changed (`Attempt.answers_changeable`: free navigation, feedback at the end), a new
    response replaces the saved one (still one Answer per question, graded again), and nothing
    feeds the schedule until the attempt is submitted (`attempt_finish`): the scheduler sees
    the final answer to each question once, not every change of mind.
    """
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    existing = attempt.answers.filter(position=position).select_related("version").first()
    changeable = attempt.answers_changeable
    if existing is not None:
        if existing.response == response:
            return Recorded(existing, duplicate=True)
        if not changeable or attempt.finished_at is not None:
            raise QuizError(
                _("This question has already been answered; your new answer was not saved.")
            )
    if attempt.finished_at is not None:
        raise QuizError(_("This attempt is finished; your answer was not saved."))
    if not 0 <= position < len(attempt.versions):
        raise QuizError(_("This form is out of date; here is the current question."))
    if seq != attempt.seq or (position != attempt.position and not attempt.free_navigation):
        raise QuizError(
            _(
                "This form is out of date (the quiz moved on, perhaps in another tab); "
                "your answer was not saved. Here is the current question."
            )
        )
    deadline = attempt_deadline(attempt)
    if deadline and now > deadline:
        raise QuizError(_("Time is up for this attempt; your answer was not saved."))
    version = QuestionVersion.objects.select_related("question").get(pk=attempt.versions[position])
    result = grade(version.type, version.answer_key, response)
    if not result.correct and version.type in FREE_TEXT_TYPES:
        # A response that a teacher accepted for the student's class (quizzes.regrade).
        extra = class_accepted(
            question_id=version.question_id, student_id=attempt.student_id, quiz_id=attempt.quiz_id
        )
        if extra:
            result = grade(version.type, effective_key(version, extra), response)
    if existing is not None:  # a changed answer (`changeable`)
        existing.response, existing.score, existing.correct = response, result.score, result.correct
        existing.answered_at = now
        if duration_ms is not None:
            existing.duration_ms = (existing.duration_ms or 0) + duration_ms
        existing.save(update_fields=["response", "score", "correct", "answered_at", "duration_ms"])
        attempt.seq += 1
        attempt.save(update_fields=["seq"])
        return Recorded(existing, duplicate=False)
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                attempt=attempt,
                version=version,
                position=position,
                response=response,
                score=result.score,
                correct=result.correct,
                answered_at=now,
                duration_ms=duration_ms,
            )
    except IntegrityError as exc:  # a concurrent request recorded this slot first
        raise QuizError(_("This question has already been answered.")) from exc
    attempt.seq += 1
    if attempt.settings_snapshot.get("feedback") == "end" and not attempt.free_navigation:
        attempt.position = min(position + 1, len(attempt.versions))
    attempt.save(update_fields=["seq", "position"])
    if not changeable:
        _feed_schedule(
            attempt.student, version, answer, now, day_start, desired_retention, parameters
        )
    return Recorded(answer, duplicate=False)


def _feed_schedule(
    student: AbstractBaseUser,
    version: QuestionVersion,
    answer: Answer,
    now: datetime,
    day_start: datetime,
    desired_retention: float,
    parameters: tuple[float, ...],
) -> None:
    card = Card.objects.active().filter(question_id=version.question_id).first()
    if card is None:
        return
    review_record(
        student=student,
        card=card,
        rating=Rating.GOOD if answer.correct else Rating.AGAIN,
        reviewed_at=now,
        source=ReviewSource.QUIZ,
        answer=answer,
        desired_retention=desired_retention,
        parameters=parameters,
        unless_reviewed_since=day_start,
    )


@transaction.atomic
def attempt_advance(*, attempt: Attempt, seq: int) -> Attempt:
    """Move from an answered question to the next one (immediate-feedback quizzes)."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if seq != attempt.seq:
        return attempt  # a resent "Next": it already moved on
    if not attempt.answers.filter(position=attempt.position).exists():
        raise QuizError(_("Answer this question first."))
    attempt.position = min(attempt.position + 1, len(attempt.versions))
    attempt.seq += 1
    attempt.save(update_fields=["position", "seq"])
    return attempt


@transaction.atomic
def attempt_finish(
    *,
    attempt: Attempt,
    now: datetime,
    day_start: datetime | None = None,
    desired_retention: float = 0.9,
    parameters: tuple[float, ...] = (),
) -> Attempt:
    """Close the attempt; unanswered questions score 0. Finishing twice changes nothing.

    Where answers could be changed until now (`Attempt.answers_changeable`), each final answer
    feeds its flashcard's schedule here, once (see `answer_record`), at most once per study
    day per card when `day_start` is given (the student's study day, as the views read it)."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.finished_at is not None:
        return attempt
    if attempt.answers_changeable:
        for answer in attempt.answers.select_related("version").order_by("position"):
            _feed_schedule(
                attempt.student,
                answer.version,
                answer,
                now,
                day_start,
                desired_retention,
                parameters,
            )
    total = sum(attempt.answers.values_list("score", flat=True))
    attempt.score = total / len(attempt.versions) if attempt.versions else 0.0
    attempt.finished_at = now
    attempt.position = len(attempt.versions)
    attempt.seq += 1
    attempt.save(update_fields=["score", "finished_at", "position", "seq"])
    return attempt


@transaction.atomic
def attempt_flag(*, attempt: Attempt, position: int, flagged: bool) -> Attempt:
    """Flag (or unflag) the question at `position` for later. Setting a state rather than
    toggling it makes a resent POST harmless; the row lock (on SQLite, the IMMEDIATE
    transaction) keeps two tabs flagging different questions at once from losing one.
    `seq` does not move: a flag changes no answer."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.finished_at is not None:
        raise QuizError(_("This attempt is finished."))
    if not 0 <= position < len(attempt.versions):
        raise QuizError(_("This form is out of date; here is the current question."))
    marks = set(attempt.flagged or [])
    changed = (position in marks) != flagged
    if changed:
        marks.symmetric_difference_update({position})
        attempt.flagged = sorted(marks)
        attempt.save(update_fields=["flagged"])
    return attempt
