"""The one module that talks to py-fsrs: converts between our rows and `fsrs.Card`.

Every datetime passed to fsrs carries `datetime.timezone.utc` itself (py-fsrs refuses others).
"""

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card as FsrsCard
from fsrs import Rating as FsrsRating
from fsrs import Scheduler, State

from quizzes.models import MemoryState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Review:
    """What one rating does to a card: the new state, and the review-log fields."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due_at: datetime
    last_review_at: datetime
    elapsed_days: float | None
    # The forgetting curve of the parameters that computed `stability` (`recall_constants`).
    decay: float = 0.0
    factor: float = 0.0


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(UTC)


# FSRS's parameters: 21 numbers (FSRS-6). None or () stands for py-fsrs's defaults.
Parameters = tuple[float, ...]


def _no_courses(*, student_id: int, card) -> tuple[float, Parameters]:
    return 0.9, ()


# The desired retention and the parameters in force for a student and a card's course, where no
# study day gives them (a regrade's replay). Courses and their fits live in the courses app,
# which sets this when it is ready (courses.apps; courses.selectors.schedule_for_card).
schedule_lookup = _no_courses


def usable_parameters(parameters: object) -> Parameters:
    """`parameters` as a tuple if py-fsrs schedules with them (21 finite numbers within its
    bounds), else () for the defaults, with the refusal logged: a fit's JSON edited into
    anything must not stop reviews (courses.selectors.parameters_in_force)."""
    if not parameters:
        return ()
    try:
        candidate = tuple(float(w) for w in parameters)  # type: ignore[union-attr]
        Scheduler(parameters=candidate)  # validates them
    except (TypeError, ValueError, OverflowError):
        logger.error("FSRS parameters refused by py-fsrs, the defaults are used: %r", parameters)
        return ()
    return candidate


def scheduler_for(
    *, desired_retention: float = 0.9, fuzz: bool = True, parameters: Parameters | None = None
) -> Scheduler:
    """The scheduler for these settings and parameters (the ones in force for the course or
    student, courses.selectors.StudyContext; None: the defaults), built once per process and
    parameter set: building one validates its parameters, and `review_card` leaves it
    unchanged, so it can be shared."""
    return _scheduler(desired_retention, fuzz, tuple(parameters) if parameters else ())


@functools.lru_cache(maxsize=64)
def _scheduler(desired_retention: float, fuzz: bool, parameters: Parameters) -> Scheduler:
    # The parameters in force come through usable_parameters (courses.selectors), so py-fsrs
    # accepts them.
    if parameters:
        return Scheduler(
            parameters=parameters, desired_retention=desired_retention, enable_fuzzing=fuzz
        )
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def to_fsrs(state: MemoryState | None, *, card_id: int, now: datetime) -> FsrsCard:
    if state is None:
        return FsrsCard(card_id=card_id, state=State.Learning, step=0, due=utc(now))
    return FsrsCard(
        card_id=card_id,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=utc(state.due_at),
        last_review=utc(state.last_review_at) if state.last_review_at else None,
    )


def review(
    scheduler: Scheduler,
    state: MemoryState | None,
    *,
    card_id: int,
    rating: int,
    reviewed_at: datetime,
) -> Review:
    """Apply one rating at `reviewed_at` to a card's state (None for a new card)."""
    when = utc(reviewed_at)
    before = to_fsrs(state, card_id=card_id, now=when)
    elapsed = (when - before.last_review).total_seconds() / 86400 if before.last_review else None
    after, _ = scheduler.review_card(before, FsrsRating(rating), review_datetime=when)
    decay, factor = recall_constants(scheduler)
    return Review(
        state=int(after.state),
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due_at=after.due,
        last_review_at=when,
        elapsed_days=elapsed,
        decay=decay,
        factor=factor,
    )


def due_after_each_rating(
    scheduler: Scheduler, state: MemoryState | None, *, card_id: int, reviewed_at: datetime
) -> dict[int, datetime]:
    """The due date each rating (1 to 4) would give the card at `reviewed_at`, as `review`
    computes it; the card is converted once (`review_card` works on a copy of it)."""
    when = utc(reviewed_at)
    before = to_fsrs(state, card_id=card_id, now=when)
    return {
        rating: scheduler.review_card(before, FsrsRating(rating), review_datetime=when)[0].due
        for rating in (1, 2, 3, 4)
    }


def epoch_days(moment: datetime) -> float:
    return utc(moment).timestamp() / 86400


def recall_constants(scheduler: Scheduler | None = None) -> tuple[float, float]:
    """FSRS's forgetting curve R(t) = (1 + factor * t / S) ** decay, as (decay, factor), for a
    scheduler's parameters (default: FSRS's defaults). Each memory state stores those of the
    parameters that computed its stability (MemoryState.decay and .factor)."""
    return _constants(-(scheduler or scheduler_for()).parameters[20])


@functools.lru_cache(maxsize=64)
def _constants(decay: float) -> tuple[float, float]:
    return decay, 0.9 ** (1 / decay) - 1


# The defaults' curve: that of every state stored before parameters could be fitted.
DEFAULT_DECAY, DEFAULT_FACTOR = _constants(-Scheduler().parameters[20])


def recall_expression(at: datetime, *, prefix: str = ""):
    """A SQL expression for a MemoryState's predicted recall at `at` (NULL for a new card);
    `prefix` is the path to the MemoryState from the queried model (e.g. "ms__").

    The same curve as py-fsrs's `Scheduler.get_card_retrievability`, with the state's own
    decay and factor (those of the parameters that computed it), in continuous time: py-fsrs
    counts whole days since the last review, this the fraction of a day too, so the two are
    equal at whole days (which the tests compare) and the SQL's falls smoothly in between.
    """
    from django.db.models import F, FloatField, Value
    from django.db.models.functions import Greatest, Power

    elapsed = Greatest(Value(epoch_days(at)) - F(f"{prefix}last_review_days"), Value(0.0))
    return Power(
        Value(1.0) + F(f"{prefix}factor") * elapsed / F(f"{prefix}stability"),
        F(f"{prefix}decay"),
        output_field=FloatField(),
    )
