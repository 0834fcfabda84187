"""Fitting FSRS's parameters to a course's review log, evaluating them against the defaults, and
simulating the workload of each desired retention (issue 13; docs/scheduling.md).

The one module that talks to fsrs-rs-python (the Rust FSRS that Anki uses): py-fsrs schedules
(quizzes.scheduling), fsrs-rs fits, evaluates and simulates. Fitting takes seconds on a large log,
so it runs in a task (courses.tasks.parameters_fit), never in a request; a simulation of one
retention takes milliseconds (0.1 s for a deck of 10,000 cards), so the author page may run one.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import fsrs_rs_python as fsrs_rs
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from content import usercache
from content.export import course_reviews
from content.models import Lesson
from courses.models import Course, FitStatus, LessonSetItem, ParameterFit
from quizzes.models import Card
from quizzes.scheduling import usable_parameters
from quizzes.studyday import study_date

logger = logging.getLogger(__name__)

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(fsrs_rs.DEFAULT_PARAMETERS)
# The reviews before the one at this share of the log (in time) are fitted on; the later ones
# are the test.
TRAIN_SHARE = 0.8
RETENTIONS = (0.80, 0.85, 0.90, 0.95)
SIMULATED_DAYS = 365
SIMULATION_SEED = 13
# At most this many cards are simulated: a simulation's time grows with the cards studied, and
# with the course's limits at their maximum one retention of 10,000 cards took 0.4 s (20,000:
# 0.9 s). Only a course introducing more than 27 new cards a day (10,000 / 365) can tell.
SIMULATED_DECK_LIMIT = 10_000
# optimal_retention's answer is used only inside this band: at the edge of its search (0.70) it
# says "as low as allowed", which is no advice for a class.
SENSIBLE_RETENTION = (0.75, 0.95)
ROWS_PER_CHUNK = 2000
# A fit queued or running for longer than this was left by a worker that stopped.
FIT_STALE_AFTER = timedelta(hours=1)
# A study day turns over at this hour for a student with no profile (as courses.models.Profile).
DEFAULT_DAY_STARTS_AT = 4


class FitRefused(Exception):
    """The fit cannot be put in force (failed, unfinished, or no better than the defaults)."""


class NotEnoughData(Exception):
    """Too few reviews to fit or to evaluate on."""


class FitError(ValueError):
    """fsrs-rs refused its input or broke off (a Rust panic included)."""


# Never turned into FitError: the process is being stopped.
_EXITS = (KeyboardInterrupt, SystemExit, GeneratorExit)


def _rs[T](doing: str, call: Callable[[], T]) -> T:
    """`call()`, a call of fsrs-rs, with any error of its own as FitError. A Rust panic (a deck
    of 0 cards, parameters that are not numbers) reaches Python as pyo3's PanicException, a
    BaseException that `except Exception` does not catch: every call of fsrs-rs goes through
    here."""
    try:
        return call()
    except _EXITS:
        raise
    except BaseException as exc:
        raise FitError(f"fsrs-rs could not {doing}: {exc.__class__.__name__}: {exc}") from exc


# Reading the log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One review to predict, with the card's history before it: fsrs-rs's training item."""

    reviewed_at: datetime
    student_id: int
    reviews: tuple[tuple[int, int], ...]  # (rating, days since the review before)

    def fsrs_item(self) -> fsrs_rs.FSRSItem:
        return fsrs_rs.FSRSItem([fsrs_rs.FSRSReview(rating, days) for rating, days in self.reviews])


@dataclass
class ReviewLog:
    """A course's review log as fsrs-rs items, with the time of every review per student."""

    items: list[Item] = field(default_factory=list)
    times: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))

    @property
    def reviews(self) -> int:
        return sum(len(times) for times in self.times.values())

    def per_student(self) -> dict[int, "ReviewLog"]:
        """The log of each student in it, in one pass over the items."""
        logs: dict[int, ReviewLog] = {}
        for student_id, times in self.times.items():
            logs[student_id] = ReviewLog()
            logs[student_id].times[student_id] = times
        for item in self.items:
            logs[item.student_id].items.append(item)
        return logs

    def all_times(self) -> list[datetime]:
        return sorted(moment for times in self.times.values() for moment in times)


def course_lessons(course: Course) -> QuerySet:
    """The course's lessons, as content.export.course_reviews counts them (retired ones too)."""
    in_sets = LessonSetItem.objects.filter(lesson_set__course=course).values("lesson_id")
    return Lesson.objects.filter(Q(course_key=course.key) | Q(pk__in=in_sets)).values("pk")


def review_log_read(course: Course) -> ReviewLog:
    """Every review of the course's cards (flashcard and quiz-fed alike) as fsrs-rs items: per
    (student, card) in time order, `delta_t` in whole study days between two reviews (the
    student's own day boundaries: time zone and hour of turnover, quizzes.studyday), 0 for the
    first. Each review on a later study day than the one before is an item: the history up to
    and including it. Same-day reviews stay in the histories but are not predicted (fsrs-rs's
    own rule). One query, read in chunks."""
    rows = (
        course_reviews(course)
        .order_by("student_id", "card_id", "reviewed_at", "id")
        .values_list(
            "student_id",
            "card_id",
            "reviewed_at",
            "rating",
            "student__profile__time_zone",
            "student__profile__day_starts_at",
        )
    )
    log = ReviewLog()
    history: list[tuple[int, int]] = []
    current = None
    last_day = None
    for student_id, card_id, reviewed_at, rating, time_zone, day_starts_at in rows.iterator(
        chunk_size=ROWS_PER_CHUNK
    ):
        if (student_id, card_id) != current:
            current, history, last_day = (student_id, card_id), [], None
        day = study_date(
            reviewed_at,
            time_zone=time_zone or "UTC",
            day_starts_at=DEFAULT_DAY_STARTS_AT if day_starts_at is None else day_starts_at,
        )
        delta_days = 0 if last_day is None else max(0, (day - last_day).days)
        history.append((rating, delta_days))
        last_day = day
        log.times[student_id].append(reviewed_at)
        if delta_days > 0:
            log.items.append(Item(reviewed_at, student_id, tuple(history)))
    return log


# Fitting and evaluating ------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    reviews: int
    train_reviews: int  # the reviews predicted (items) before the split, fitted on
    test_reviews: int  # those from the split on, evaluated on
    split_at: datetime
    parameters: list[float]
    log_loss: float
    rmse_bins: float
    default_log_loss: float
    default_rmse_bins: float
    # A student's fit: the log loss, on the same later reviews, of the course's parameters in
    # force (None when the course is on the defaults, or for a course fit).
    course_log_loss: float | None = None

    @property
    def wins(self) -> bool:
        """Lower log loss than the parameters that would schedule otherwise: the defaults, and
        for a student's fit the course's parameters in force too."""
        return self.log_loss < self.default_log_loss and (
            self.course_log_loss is None or self.log_loss < self.course_log_loss
        )


def log_split(log: ReviewLog) -> tuple[datetime, list[fsrs_rs.FSRSItem], list[fsrs_rs.FSRSItem]]:
    """The time of the review at TRAIN_SHARE of the log, the items whose review is before it
    (to fit on) and those from it on (to evaluate on)."""
    times = log.all_times()
    if not times:
        raise NotEnoughData("The log has no reviews.")
    split_at = times[min(len(times) - 1, int(len(times) * TRAIN_SHARE))]
    train = _rs(
        "read the items",
        lambda: [item.fsrs_item() for item in log.items if item.reviewed_at < split_at],
    )
    test = _rs(
        "read the items",
        lambda: [item.fsrs_item() for item in log.items if item.reviewed_at >= split_at],
    )
    return split_at, train, test


def log_fit(log: ReviewLog, *, course_parameters: Sequence[float] | None = None) -> Evaluation:
    """Fit on the earlier reviews, evaluate the fitted and the default parameters (and the
    course's, when given: a student's fit) on the later ones. Raises NotEnoughData when either
    part has no review to predict, or when fsrs-rs finds too few to move from the defaults;
    FitError when fsrs-rs refuses or breaks off."""
    split_at, train, test = log_split(log)
    if not train or not test:
        raise NotEnoughData(
            f"No review a day or more after the one before it on one side of the split "
            f"({len(train)} before, {len(test)} after)."
        )
    try:
        parameters = _rs(
            "fit", lambda: [float(w) for w in fsrs_rs.FSRS([]).compute_parameters(train)]
        )
    except FitError as exc:
        if "NotEnoughData" in str(exc.__cause__):
            raise NotEnoughData(f"fsrs-rs: {exc.__cause__}") from exc
        raise
    fitted = _rs("evaluate", lambda: fsrs_rs.FSRS(parameters).evaluate(test))
    default = _rs("evaluate", lambda: fsrs_rs.FSRS(list(DEFAULT_PARAMETERS)).evaluate(test))
    course = None
    if course_parameters is not None:
        course = _rs("evaluate", lambda: fsrs_rs.FSRS(list(course_parameters)).evaluate(test))
    return Evaluation(
        reviews=log.reviews,
        train_reviews=len(train),
        test_reviews=len(test),
        split_at=split_at,
        parameters=parameters,
        log_loss=fitted.log_loss,
        rmse_bins=fitted.rmse_bins,
        default_log_loss=default.log_loss,
        default_rmse_bins=default.rmse_bins,
        course_log_loss=course.log_loss if course is not None else None,
    )


# Simulating retention --------------------------------------------------------------------------


def course_deck_size(course: Course) -> int:
    """The course's active cards (flashcards and flashcard questions in use)."""
    return Card.objects.active().filter(lesson__in=course_lessons(course)).count()


def simulated_deck_size(deck_size: int) -> int:
    return min(deck_size, SIMULATED_DECK_LIMIT)


def retention_round(value: float) -> float:
    """A desired retention to the form's step, 0.01, half up as it is written (0.855 is 0.86):
    the value simulated, shown and stored, and so a bounded number of cached simulations."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _simulator_config(course: Course, deck_size: int) -> fsrs_rs.SimulatorConfig:
    def build() -> fsrs_rs.SimulatorConfig:
        config = fsrs_rs.default_simulator_config()
        config.deck_size = simulated_deck_size(deck_size)
        config.learn_span = SIMULATED_DAYS
        config.learn_limit = course.new_cards_per_day
        config.review_limit = course.reviews_per_day
        return config

    return _rs("configure the simulator", build)


def _simulation(
    parameters: Sequence[float], retention: float, *, deck_size: int, course: Course
) -> dict[str, float]:
    """Raises FitError when fsrs-rs refuses (a deck of 0 cards, parameters it cannot use)."""
    config = _simulator_config(course, deck_size)
    result = _rs(
        "simulate",
        lambda: fsrs_rs.simulate(
            [float(w) for w in parameters], retention, config, SIMULATION_SEED
        ),
    )
    days = len(result.cost_per_day) or 1
    return {
        # The simulator's costs are seconds (its default time per rating).
        "minutes_per_day": sum(result.cost_per_day) / 60 / days,
        # Every card shown, new cards' first look included.
        "reviews_per_day": (sum(result.review_cnt_per_day) + sum(result.learn_cnt_per_day)) / days,
        "memorized": result.memorized_cnt_per_day[-1] if result.memorized_cnt_per_day else 0.0,
    }


def retention_key(retention: float) -> str:
    return f"{retention_round(retention):.2f}"


def retention_workload(
    course: Course,
    parameters: Sequence[float],
    retentions: Iterable[float],
    *,
    deck_size: int | None = None,
) -> dict[str, dict[str, float]]:
    """Per desired retention (keyed "0.85"), the expected workload of one student of the course
    over SIMULATED_DAYS, from fsrs-rs's simulator with these parameters: minutes and reviews per
    day on average, and cards memorized at the end (the sum of their recall). The deck is the
    course's active cards (at most SIMULATED_DECK_LIMIT); new cards and reviews a day are the
    course's limits. Each retention is rounded to 0.01 (retention_round) and each result is
    cached: the simulation is seeded, so the same inputs give the same figures. A course with
    no active card has nothing to simulate: the table is empty. Raises FitError when fsrs-rs
    refuses the parameters."""
    if deck_size is None:
        deck_size = course_deck_size(course)
    if deck_size <= 0:
        return {}
    try:
        rounded = tuple(round(float(w), 6) for w in parameters)
    except (TypeError, ValueError) as exc:
        raise FitError(f"The parameters are not numbers: {exc}") from exc
    table = {}
    for retention in sorted({retention_round(value) for value in retentions}):
        inputs = (
            rounded,
            retention,
            simulated_deck_size(deck_size),
            course.new_cards_per_day,
            course.reviews_per_day,
            SIMULATED_DAYS,
            SIMULATION_SEED,
        )
        key = "fsrs-workload:" + hashlib.sha256(repr(inputs).encode()).hexdigest()
        row = cache.get(key)
        if row is None:
            row = _simulation(parameters, retention, deck_size=deck_size, course=course)
            cache.set(key, row, 24 * 60 * 60)
        table[retention_key(retention)] = row
    return table


def memorized_per_minute(row: dict[str, float]) -> float:
    minutes = row["minutes_per_day"] * SIMULATED_DAYS
    return row["memorized"] / minutes if minutes else 0.0


def retention_best_value(workload: dict[str, dict[str, float]]) -> float | None:
    """The retention of the table with the most cards memorized per minute of study."""
    if not workload:
        return None
    return float(max(workload, key=lambda key: memorized_per_minute(workload[key])))


def retention_suggest(
    course: Course,
    parameters: Sequence[float],
    workload: dict[str, dict[str, float]],
    *,
    deck_size: int,
) -> float | None:
    """fsrs-rs's optimal retention for the course (up to seconds for a large deck: call it in a
    task) if it is inside SENSIBLE_RETENTION; else the retention of `workload` with the most
    cards memorized per minute. None for a course with no active card."""
    if deck_size <= 0:
        return None
    try:
        config = _simulator_config(course, deck_size)
        optimal = _rs(
            "find the optimal retention",
            lambda: fsrs_rs.optimal_retention(config, [float(w) for w in parameters]),
        )
    except FitError:  # the simulator's own errors: fall back to the table
        logger.exception("optimal_retention failed for course %s", course.pk)
        optimal = None
    if optimal is not None and SENSIBLE_RETENTION[0] <= optimal <= SENSIBLE_RETENTION[1]:
        return round(float(optimal), 2)
    return retention_best_value(workload)


# Services --------------------------------------------------------------------------------------


def fit_threshold() -> int:
    return settings.FSRS_FIT_MIN_REVIEWS


def fits_stale_fail(*, course: Course, student=None) -> int:
    """Mark failed the course's (or a student's) fits queued or running for longer than
    FIT_STALE_AFTER: a worker that was stopped mid-fit (a deploy, a crash) left them, and they
    would block every later fit. Returns how many there were."""
    return ParameterFit.objects.filter(
        course=course,
        student=student,
        status__in=[FitStatus.QUEUED, FitStatus.RUNNING],
        created_at__lt=timezone.now() - FIT_STALE_AFTER,
    ).update(
        status=FitStatus.FAILED,
        finished_at=timezone.now(),
        note="The fit did not finish within an hour (its worker stopped?): nothing was fitted.",
    )


def fit_request(*, course: Course, requested_by) -> tuple[ParameterFit, bool]:
    """Queue a fit of the course's parameters, unless one is already queued or running (the
    database's constraint decides between two requests at the same moment). Returns the fit
    and whether this call queued it."""
    fits_stale_fail(course=course)
    try:
        with transaction.atomic():
            fit = ParameterFit.objects.create(
                course=course, requested_by=requested_by, status=FitStatus.QUEUED
            )
            transaction.on_commit(lambda: _enqueue(fit.pk))
        return fit, True
    except IntegrityError:
        running = ParameterFit.objects.filter(
            course=course,
            student__isnull=True,
            status__in=[FitStatus.QUEUED, FitStatus.RUNNING],
        ).first()
        if running is None:  # finished between the two statements: ask again
            return fit_request(course=course, requested_by=requested_by)
        return running, False


def _enqueue(fit_id: int) -> None:
    """Hand the fit to a task worker; if the queue cannot take it, the fit fails with a note
    rather than staying queued for ever."""
    from courses.tasks import parameters_fit

    try:
        parameters_fit.enqueue(fit_id=fit_id)
    except Exception:
        logger.exception("fit %s could not be queued", fit_id)
        ParameterFit.objects.filter(pk=fit_id, status=FitStatus.QUEUED).update(
            status=FitStatus.FAILED,
            finished_at=timezone.now(),
            note="The task queue could not take the fit: nothing was fitted. Try again.",
        )


def fit_run(*, fit_id: int) -> ParameterFit | None:
    """Run a queued course fit (the task's work): queued -> running -> done or failed, with
    every exception recorded in the note. A winning fit is put in force. Then each student of
    the course with at least FSRS_FIT_MIN_REVIEWS reviews of their own gets a fit of theirs,
    evaluated the same way. A fit that is not queued (already taken) is left alone."""
    if not ParameterFit.objects.filter(pk=fit_id, status=FitStatus.QUEUED).update(
        status=FitStatus.RUNNING
    ):
        return ParameterFit.objects.filter(pk=fit_id).first()  # None: deleted with its course
    fit = ParameterFit.objects.select_related("course").get(pk=fit_id)
    log = None
    try:
        log = review_log_read(fit.course)
        _fit_finish(fit, log)
    except Exception as exc:  # FitError included: fsrs-rs's panics become one (_rs)
        _fit_failed(fit, exc)
    if log is not None and fit.status == FitStatus.DONE:
        in_force = fit_in_force(fit.course)
        course_parameters = usable_parameters(in_force.parameters) if in_force else ()
        for student_id, student_log in log.per_student().items():
            if student_log.reviews >= fit_threshold():
                _student_fit(fit, student_id, student_log, course_parameters or None)
    fit.refresh_from_db()
    return fit


def _fit_failed(fit: ParameterFit, exc: BaseException) -> None:
    logger.exception("parameter fit %s failed", fit.pk)
    fit.status = FitStatus.FAILED
    reason = str(exc) if isinstance(exc, FitError) else f"{exc.__class__.__name__}: {exc}"
    fit.note = f"The fit broke off: {reason}"
    fit.finished_at = timezone.now()
    fit.save(update_fields=["status", "note", "finished_at"])


def _student_fit(
    course_fit: ParameterFit,
    student_id: int,
    log: ReviewLog,
    course_parameters: Sequence[float] | None,
) -> None:
    """Fit one student's parameters on their reviews alone; in force for them only if they beat
    both the defaults and the course's parameters in force (`course_parameters`; None: the
    course is on the defaults) on their later reviews."""
    fits_stale_fail(course=course_fit.course, student=student_id)
    try:
        with transaction.atomic():
            fit = ParameterFit.objects.create(
                course_id=course_fit.course_id,
                student_id=student_id,
                requested_by_id=course_fit.requested_by_id,
                status=FitStatus.RUNNING,
            )
    except IntegrityError:  # one is already running for this student
        return
    try:
        _fit_finish(fit, log, workload=False, course_parameters=course_parameters)
    except Exception as exc:  # FitError included
        _fit_failed(fit, exc)


def _fit_finish(
    fit: ParameterFit,
    log: ReviewLog,
    *,
    workload: bool = True,
    course_parameters: Sequence[float] | None = None,
) -> None:
    """Fit, evaluate, simulate and save; put a winning fit in force."""
    threshold = fit_threshold()
    fit.reviews = log.reviews
    fit.finished_at = timezone.now()
    if log.reviews < threshold:
        fit.status = FitStatus.FAILED
        fit.note = (
            f"Not enough reviews: {log.reviews} in the log, {threshold} needed "
            f"(FSRS_FIT_MIN_REVIEWS). The defaults stay in force."
        )
        fit.save()
        return
    try:
        evaluation = log_fit(log, course_parameters=course_parameters)
    except NotEnoughData as exc:
        fit.status = FitStatus.FAILED
        fit.note = f"Not enough reviews to fit and evaluate: {exc}"
        fit.save()
        return
    for name in (
        "train_reviews",
        "test_reviews",
        "split_at",
        "parameters",
        "log_loss",
        "rmse_bins",
        "default_log_loss",
        "default_rmse_bins",
    ):
        setattr(fit, name, getattr(evaluation, name))
    if workload:
        deck_size = course_deck_size(fit.course)
        retentions = [*RETENTIONS, fit.course.desired_retention]
        fit.workload = retention_workload(
            fit.course, evaluation.parameters, retentions, deck_size=deck_size
        )
        fit.suggested_retention = retention_suggest(
            fit.course, evaluation.parameters, fit.workload, deck_size=deck_size
        )
    rmse = "lower" if evaluation.rmse_bins < evaluation.default_rmse_bins else "not lower"
    if tuple(round(w, 6) for w in evaluation.parameters) == tuple(
        round(w, 6) for w in DEFAULT_PARAMETERS
    ):
        fit.note = "fsrs-rs left the parameters at the defaults: too few reviews to learn from."
    elif evaluation.wins:
        fit.note = (
            f"In force: on the {evaluation.test_reviews} later reviews the fitted parameters' "
            f"log loss is lower than the defaults' (RMSE {rmse})"
            + _than_the_course(evaluation, "and")
            + "."
        )
    elif evaluation.log_loss < evaluation.default_log_loss:  # lost to the course's only
        fit.note = (
            f"Not put in force: on the {evaluation.test_reviews} later reviews the fitted "
            f"parameters' log loss is lower than the defaults' (RMSE {rmse})"
            + _than_the_course(evaluation, "but no lower")
            + ": the course's stay in force for this student."
        )
    else:
        fit.note = (
            f"Not put in force: on the {evaluation.test_reviews} later reviews the fitted "
            f"parameters' log loss is no lower than the defaults' (RMSE {rmse})."
        )
    fit.status = FitStatus.DONE
    fit.save()
    if evaluation.wins:
        fit_put_in_force(fit=fit)


def _than_the_course(evaluation: Evaluation, link: str) -> str:
    """For a student's fit evaluated against the course's parameters in force, the comparison
    (", and lower than the course's parameters in force (0.3100 against 0.3210)"); "" when
    the course was on the defaults."""
    if evaluation.course_log_loss is None:
        return ""
    return (
        f", {link} than the course's parameters in force "
        f"({evaluation.log_loss:.4f} against {evaluation.course_log_loss:.4f})"
    )


def fit_usable(fit: ParameterFit) -> bool:
    """Whether a fit may be put in force: done, with parameters that beat the defaults' log loss
    on the later reviews."""
    return (
        fit.status == FitStatus.DONE
        and len(fit.parameters) == len(DEFAULT_PARAMETERS)
        and fit.log_loss is not None
        and fit.default_log_loss is not None
        and fit.log_loss < fit.default_log_loss
    )


def _lock_course(course_id: int) -> None:
    Course.objects.select_for_update().filter(pk=course_id).values_list("pk", flat=True).get()


@transaction.atomic
def fit_put_in_force(*, fit: ParameterFit) -> ParameterFit:
    """Make `fit` the parameters in force for its course (or its student in the course), in
    place of the one before. Raises FitRefused for a fit that is not usable (fit_usable), or
    whose parameters py-fsrs would not schedule with (edited since, in the admin)."""
    _lock_course(fit.course_id)
    fit = ParameterFit.objects.get(pk=fit.pk)
    if not fit_usable(fit):
        raise FitRefused(
            "Only a finished fit whose log loss beat the defaults' can be put in force."
        )
    if not usable_parameters(fit.parameters):
        raise FitRefused(
            "This fit's parameters are not usable (FSRS refuses them): it cannot be put in force."
        )
    ParameterFit.objects.filter(
        course_id=fit.course_id, student_id=fit.student_id, in_force=True
    ).exclude(pk=fit.pk).update(in_force=False)
    ParameterFit.objects.filter(pk=fit.pk).update(in_force=True)
    usercache.forget_all()
    fit.in_force = True
    return fit


@transaction.atomic
def fits_to_defaults(*, course: Course, student=None) -> int:
    """Put the course (or one student in it) back on FSRS's default parameters; every fit stays
    stored. Returns how many fits were in force (0 or 1)."""
    _lock_course(course.pk)
    changed = ParameterFit.objects.filter(course=course, student=student, in_force=True).update(
        in_force=False
    )
    if changed:  # a second click changes nothing: every cached context stays
        usercache.forget_all()
    return changed


@transaction.atomic
def fits_students_to_defaults(*, course: Course) -> int:
    """Put every student of the course back on the course's parameters (its fit in force, or
    FSRS's defaults): no student's own fit stays in force. Every fit stays stored. Returns how
    many were in force."""
    _lock_course(course.pk)
    changed = ParameterFit.objects.filter(
        course=course, student__isnull=False, in_force=True
    ).update(in_force=False)
    if changed:
        usercache.forget_all()
    return changed


def fit_in_force(course: Course, student=None) -> ParameterFit | None:
    return ParameterFit.objects.filter(course=course, student=student, in_force=True).first()


@transaction.atomic
def course_retention_set(*, course: Course, desired_retention: float) -> Course:
    """Set the course's desired retention (0.70 to 0.99, the model's check)."""
    _lock_course(course.pk)
    course.desired_retention = desired_retention
    course.save(update_fields=["desired_retention", "updated_at"])
    return course
