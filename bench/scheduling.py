"""The scheduling simulation benchmark (issue 13): simulated students with a known memory model
review the bundled course for a number of days under five schedulers, with the same seeds.

    python -m bench.scheduling [--students 30] [--days 180] [--minutes 10] [--seed 1]
                               [--cards N] [--fit-day 30] [--new-per-day N]

Pure Python, no database: the deck is read from the course files (content/bundle). Prints the
settings, a Markdown table and two lines about the fit. docs/scheduling.md ("The simulation
benchmark") explains the ground truth, the schedulers, the metrics and their conventions.
"""

import argparse
import heapq
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import fsrs
import fsrs_rs_python
import supermemo2
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from content.reading import Budget, Located, read_text

BUNDLE = Path(__file__).resolve().parent.parent / "content" / "bundle" / "alliance-politics"

# Ratings, as in FSRS and the review log.
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4

# fsrs-rs's simulator defaults (fsrs_rs_python.default_simulator_config()), from Anki users:
# the first rating of a new card; the rating of a recalled card (Hard, Good, Easy); seconds per
# review by the card's state (learning, review, relearning) and rating (Again to Easy).
_SIMULATOR = fsrs_rs_python.default_simulator_config()
FIRST_RATING_PROB = tuple(_SIMULATOR.first_rating_prob)
RECALL_RATING_PROB = tuple(_SIMULATOR.review_rating_prob)
COSTS_S = tuple(tuple(row) for row in _SIMULATOR.state_rating_costs)
LEARNING, REVIEW, RELEARNING = 0, 1, 2  # rows of COSTS_S

DEFAULT_PARAMETERS = tuple(fsrs_rs_python.DEFAULT_PARAMETERS)
DESIRED_RETENTION = 0.9
LEARN_AHEAD_DAYS = 20 / 1440  # the course's learn_ahead_minutes default, as on /study/
EPOCH = datetime(2026, 1, 5, tzinfo=UTC)  # the simulation's day 0, for py-fsrs

# The ground truth's variation: a student's lognormal multipliers (sigma of the log) on the
# initial stabilities w0-w3, the growth of stability on recall (e^w8), the stability after a
# lapse (w11) and the forgetting curve's decay (w20); a card's difficulty offset (sd).
SIGMA_INITIAL = 0.3
SIGMA_GROWTH = 0.3
SIGMA_LAPSE = 0.3
SIGMA_DECAY = 0.4
CARD_DIFFICULTY_SD = 1.0

SM2_QUALITY = {AGAIN: 2, HARD: 3, GOOD: 4, EASY: 5}  # srs-benchmark's q = rating + 1
LEITNER_DAYS = (1, 2, 4, 8, 16, 32, 64)
FIXED_DAYS = (1, 3, 7, 14, 30, 60)


# The deck ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deck:
    keys: tuple[str, ...]  # in the order new cards are studied
    new_per_day: int


def deck_read(course: Path = BUNDLE) -> Deck:
    """The course's cards, parsed from its files without a database (content.reading, as the
    loader reads them): per lesson, in the order of the course's lesson sets, its flashcards,
    then its questions marked `flashcard: true` (the loader's QUESTION_CARD_OFFSET order)."""
    budget = Budget()

    def parse(path: Path) -> Any:
        doc = Located(str(path), read_text(path, budget, inside=course))
        if doc.errors:
            raise SystemExit("\n".join(doc.errors))
        return doc.data

    spec = parse(course / "course.yaml")
    lessons = {}
    for path in sorted((course / "lessons").glob("*.y*ml")):
        data = parse(path)
        lessons[data["lesson"]["key"]] = data
    order = [key for lesson_set in spec.get("lesson_sets", []) for key in lesson_set["lessons"]]
    order += [key for key in lessons if key not in order]
    keys: list[str] = []
    for lesson_key in dict.fromkeys(order):
        lesson = lessons.get(lesson_key, {})
        keys += [card["key"] for card in lesson.get("flashcards", [])]
        keys += [q["key"] for q in lesson.get("questions", []) if q.get("flashcard") is True]
    return Deck(tuple(keys), int(spec["course"].get("new_cards_per_day", 20)))


# The ground truth: FSRS-6 with each student's parameters ------------------------------------------


def stream(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one purpose (string seeds hash with SHA-512, so the
    same parts give the same stream in every process)."""
    return random.Random("/".join(str(part) for part in (seed, *parts)))


def learner_parameters(
    seed: int, student: int, *, class_growth: float = 1.0, class_lapse: float = 1.0
) -> tuple[float, ...]:
    """A student's true FSRS-6 parameters: the defaults with the student's multipliers, and the
    whole class's (1 by default: the class is centred on the default parameters)."""
    rng = stream(seed, "student", student)
    w = list(DEFAULT_PARAMETERS)
    initial = math.exp(rng.gauss(0, SIGMA_INITIAL))
    w[0:4] = [value * initial for value in w[0:4]]
    w[8] += rng.gauss(0, SIGMA_GROWTH) + math.log(class_growth)  # e^w8 times multipliers
    w[11] *= math.exp(rng.gauss(0, SIGMA_LAPSE)) * class_lapse
    w[20] = min(max(w[20] * math.exp(rng.gauss(0, SIGMA_DECAY)), 0.1), 0.8)
    return tuple(w)


def card_offset(seed: int, key: str) -> float:
    return stream(seed, "card", key).gauss(0, CARD_DIFFICULTY_SD)


def recall(w: Sequence[float], elapsed_days: float, stability: float) -> float:
    """FSRS-6's forgetting curve: 0.9 at elapsed == stability, whatever the decay."""
    decay = w[20]
    factor = 0.9 ** (-1 / decay) - 1
    return (1 + factor * max(elapsed_days, 0.0) / stability) ** -decay


@dataclass
class Trace:
    """The true memory of one card for one student."""

    stability: float
    difficulty: float
    last_at: float  # days since day 0
    last_day: int
    reviews: int = 1

    def recall_at(self, w: Sequence[float], at: float) -> float:
        return recall(w, at - self.last_at, self.stability)


def _initial_difficulty(w: Sequence[float], rating: int) -> float:
    return w[4] - math.exp(w[5] * (rating - 1)) + 1


def trace_start(w: Sequence[float], offset: float, rating: int, at: float, day: int) -> Trace:
    difficulty = min(max(_initial_difficulty(w, rating) + offset, 1.0), 10.0)
    return Trace(max(w[rating - 1], 0.001), difficulty, at, day)


def trace_review(
    w: Sequence[float], trace: Trace, offset: float, rating: int, at: float, day: int
) -> Trace:
    """FSRS-6's updates: the short-term one within a day, else the long-term ones; the
    difficulty reverts towards the card's own Easy difficulty (its offset included)."""
    s, d = trace.stability, trace.difficulty
    if day == trace.last_day:
        growth = math.exp(w[17] * (rating - 3 + w[18])) * s ** -w[19]
        new_s = s * (max(growth, 1.0) if rating > AGAIN else growth)
    else:
        r = trace.recall_at(w, at)
        if rating == AGAIN:
            long_term = w[11] * d ** -w[12] * ((s + 1) ** w[13] - 1) * math.exp((1 - r) * w[14])
            new_s = min(long_term, s / math.exp(w[17] * w[18]))
        else:
            bonus = w[15] if rating == HARD else w[16] if rating == EASY else 1.0
            growth = math.exp(w[8]) * (11 - d) * s ** -w[9] * (math.exp((1 - r) * w[10]) - 1)
            new_s = s * (1 + growth * bonus)
    damped = d - w[6] * (rating - 3) * (10 - d) / 9
    target = _initial_difficulty(w, EASY) + offset
    new_d = min(max(w[7] * target + (1 - w[7]) * damped, 1.0), 10.0)
    return Trace(max(new_s, 0.001), new_d, at, day, trace.reviews + 1)


def rating_drawn(rng: random.Random, true_recall: float | None) -> int:
    """Two uniform draws per review: recalled or not, then Hard, Good or Easy. A new card's
    first rating follows FIRST_RATING_PROB (nothing to recall yet)."""
    u, v = rng.random(), rng.random()
    if true_recall is None:
        return 1 + _pick(FIRST_RATING_PROB, u)
    if u >= true_recall:
        return AGAIN
    return HARD + _pick(RECALL_RATING_PROB, v)


def _pick(probabilities: Sequence[float], u: float) -> int:
    total = sum(probabilities)
    cumulative = 0.0
    for index, p in enumerate(probabilities):
        cumulative += p / total
        if u < cumulative:
            return index
    return len(probabilities) - 1


# Schedulers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    day: int
    clock_s: float  # seconds since the day's session began

    @property
    def at(self) -> float:
        return self.day + self.clock_s / 86400

    @property
    def utc(self) -> datetime:
        return EPOCH + timedelta(days=self.day, seconds=self.clock_s)


History = dict[tuple[int, int], list[tuple[Moment, int]]]  # (student, card) -> (moment, rating)


class Policy(Protocol):
    """A scheduler: the memory it keeps of a card, the interval a rating gives (in days; less
    than a day for a learning step), and its predicted recall at a review."""

    name: str

    def start(self) -> Any: ...

    def review(self, memory: Any, rating: int, moment: Moment) -> tuple[Any, float]: ...

    def predict(self, memory: Any, moment: Moment) -> float: ...

    def cost_row(self, memory: Any) -> int: ...

    def begin_day(self, day: int, history: History) -> None:
        """Called before each day with every student's reviews so far (to fit on)."""
        ...

    def reference(self, memory: Any, moment: Moment) -> float | None:
        """A second prediction of the same review, for a paired comparison (or None)."""
        ...


@dataclass
class FsrsMemory:
    card: fsrs.Card
    last_day: int | None = None


def _day_aligned(memory: FsrsMemory, moment: Moment) -> fsrs.Card:
    """The card with its last review moved to the same time of an earlier day, so that py-fsrs
    (which counts whole 24-hour days) counts the days between study days, as fsrs-rs and Anki
    do; within a day the real minutes count (learning steps)."""
    card = memory.card
    if memory.last_day is not None and memory.last_day < moment.day:
        card = copy(card)
        card.last_review = moment.utc - timedelta(days=moment.day - memory.last_day)
    return card


def fsrs_scheduler(
    parameters: Sequence[float] = DEFAULT_PARAMETERS, *, learning_steps: bool = True
) -> fsrs.Scheduler:
    """As production builds it (quizzes/scheduling.py): py-fsrs's learning steps (1 and 10
    minutes) and relearning step (10 minutes), desired retention 0.9; no fuzz here. Without
    learning steps (an ablation), every rating gives an interval of days."""
    steps = {} if learning_steps else {"learning_steps": (), "relearning_steps": ()}
    return fsrs.Scheduler(
        parameters=parameters,
        desired_retention=DESIRED_RETENTION,
        enable_fuzzing=False,
        **steps,
    )


def fsrs_review(
    scheduler: fsrs.Scheduler, memory: FsrsMemory, rating: int, moment: Moment
) -> tuple[FsrsMemory, float]:
    now = moment.utc
    card, _ = scheduler.review_card(
        _day_aligned(memory, moment), fsrs.Rating(rating), review_datetime=now
    )
    return FsrsMemory(card, moment.day), (card.due - now) / timedelta(days=1)


def fsrs_predict(scheduler: fsrs.Scheduler, memory: FsrsMemory, moment: Moment) -> float:
    return scheduler.get_card_retrievability(_day_aligned(memory, moment), moment.utc)


class FsrsDefault:
    name = "FSRS default"

    def __init__(self, *, learning_steps: bool = True) -> None:
        self.learning_steps = learning_steps
        self.scheduler = fsrs_scheduler(learning_steps=learning_steps)

    def start(self) -> FsrsMemory:
        return FsrsMemory(fsrs.Card(card_id=0, state=fsrs.State.Learning, step=0, due=EPOCH))

    def review(self, memory: FsrsMemory, rating: int, moment: Moment) -> tuple[FsrsMemory, float]:
        return fsrs_review(self.scheduler, memory, rating, moment)

    def predict(self, memory: FsrsMemory, moment: Moment) -> float:
        return fsrs_predict(self.scheduler, memory, moment)

    def cost_row(self, memory: FsrsMemory) -> int:
        return int(memory.card.state) - 1  # Learning 1, Review 2, Relearning 3

    def begin_day(self, day: int, history: History) -> None:
        return None

    def reference(self, memory: FsrsMemory, moment: Moment) -> float | None:
        return None


@dataclass
class FittedMemory:
    own: FsrsMemory
    default: FsrsMemory  # the same ratings under the default parameters


@dataclass
class Fit:
    day: int
    parameters: tuple[float, ...]
    items: int
    reviews: int
    clamped: list[int] = field(default_factory=list)


def fsrs_items(history: History, before_day: int) -> tuple[list[fsrs_rs_python.FSRSItem], int]:
    """fsrs-rs's training items from the reviews before `before_day`: per card, each prefix of
    its history that ends with a review on a later day than the one before (delta_t in whole
    days), as fsrs-rs's examples build them. Also the number of reviews used."""
    dated = []
    used = 0
    for key in sorted(history):
        reviews: list[fsrs_rs_python.FSRSReview] = []
        last_day = None
        for moment, rating in history[key]:
            if moment.day >= before_day:
                break
            delta_t = 0 if last_day is None else moment.day - last_day
            reviews.append(fsrs_rs_python.FSRSReview(rating, delta_t))
            used += 1
            last_day = moment.day
            if delta_t > 0:
                item = fsrs_rs_python.FSRSItem(list(reviews))
                if item.long_term_review_cnt() > 0:
                    dated.append((moment.at, key, item))
    dated.sort(key=lambda entry: entry[:2])  # in the order they happened, as a log is read
    return [item for _, _, item in dated], used


def fsrs_fit(history: History, before_day: int) -> Fit:
    items, reviews = fsrs_items(history, before_day)
    fitted = fsrs_rs_python.FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(items)
    # py-fsrs checks its own bounds, which are not always fsrs-rs's.
    clamped = [
        i
        for i, (value, low, high) in enumerate(
            zip(fitted, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
        )
        if not low <= value <= high
    ]
    parameters = tuple(
        min(max(value, low), high)
        for value, low, high in zip(
            fitted, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
        )
    )
    return Fit(before_day, parameters, len(items), reviews, clamped)


class FsrsFitted(FsrsDefault):
    """The default scheduler until `fit_day`; then FSRS fitted on every student's reviews of the
    days before (a course-wide fit) schedules every rating. As in production when a fit is put
    in force (docs/scheduling.md, "Parameters in force"), memory states and due dates are not
    rewritten: a card moves to the fitted parameters at its next rating."""

    name = "FSRS fitted"

    def __init__(self, fit_day: int, *, learning_steps: bool = True) -> None:
        super().__init__(learning_steps=learning_steps)
        self.default = self.scheduler
        self.fit_day = fit_day
        self.fit: Fit | None = None

    def start(self) -> FittedMemory:
        return FittedMemory(super().start(), super().start())

    def review(
        self, memory: FittedMemory, rating: int, moment: Moment
    ) -> tuple[FittedMemory, float]:
        own, interval = fsrs_review(self.scheduler, memory.own, rating, moment)
        default, _ = fsrs_review(self.default, memory.default, rating, moment)
        return FittedMemory(own, default), interval

    def predict(self, memory: FittedMemory, moment: Moment) -> float:
        return fsrs_predict(self.scheduler, memory.own, moment)

    def reference(self, memory: FittedMemory, moment: Moment) -> float:
        return fsrs_predict(self.default, memory.default, moment)

    def cost_row(self, memory: FittedMemory) -> int:
        return super().cost_row(memory.own)

    def begin_day(self, day: int, history: History) -> None:
        if day == self.fit_day:
            self.fit = fsrs_fit(history, day)
            self.scheduler = fsrs_scheduler(self.fit.parameters, learning_steps=self.learning_steps)


@dataclass(frozen=True)
class DayMemory:
    """The memory of the day-based schedulers: the last interval and the review day."""

    interval: int
    last_day: int
    repetitions: int = 0  # SM-2's repetitions; Leitner's box; the fixed schedule's step
    easiness: float = 2.5
    started: bool = False


class _DayPolicy:
    """Intervals in whole days, no learning steps; predicted recall 0.9 ** (t / interval), the
    srs-benchmark's convention for SM-2."""

    name = ""

    def start(self) -> DayMemory:
        return DayMemory(0, 0)

    def predict(self, memory: DayMemory, moment: Moment) -> float:
        return 0.9 ** ((moment.day - memory.last_day) / memory.interval)

    def cost_row(self, memory: DayMemory) -> int:
        return REVIEW if memory.started else LEARNING

    def begin_day(self, day: int, history: History) -> None:
        return None

    def reference(self, memory: DayMemory, moment: Moment) -> float | None:
        return None


class Sm2(_DayPolicy):
    """The `supermemo2` package; Again, Hard, Good, Easy are qualities 2, 3, 4, 5."""

    name = "SM-2"

    def review(self, memory: DayMemory, rating: int, moment: Moment) -> tuple[DayMemory, float]:
        when = datetime(2026, 1, 5) + timedelta(days=moment.day)  # the package wants naive
        result = supermemo2.review(
            SM2_QUALITY[rating], memory.easiness, memory.interval, memory.repetitions, when
        )
        interval = int(result["interval"])
        new = DayMemory(
            interval, moment.day, result["repetitions"], result["easiness"], started=True
        )
        return new, interval


class Leitner(_DayPolicy):
    """Boxes of 1, 2, 4, 8, 16, 32 and 64 days: a recalled card moves up a box (staying in the
    last), a forgotten one goes back to the first."""

    name = "Leitner"

    def review(self, memory: DayMemory, rating: int, moment: Moment) -> tuple[DayMemory, float]:
        if not memory.started or rating == AGAIN:
            box = 0
        else:
            box = min(memory.repetitions + 1, len(LEITNER_DAYS) - 1)
        interval = LEITNER_DAYS[box]
        return DayMemory(interval, moment.day, box, started=True), interval


class Fixed(_DayPolicy):
    """The same intervals for every card whatever its ratings: 1, 3, 7, 14, 30 days, then
    every 60."""

    name = "Fixed intervals"

    def review(self, memory: DayMemory, rating: int, moment: Moment) -> tuple[DayMemory, float]:
        step = memory.repetitions + 1 if memory.started else 0
        interval = FIXED_DAYS[min(step, len(FIXED_DAYS) - 1)]
        return DayMemory(interval, moment.day, step, started=True), interval


# The simulation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    students: int = 30
    days: int = 180
    minutes: float = 10.0
    seed: int = 1
    cards: int | None = None  # the first N cards of the deck; all by default
    fit_day: int = 30
    new_per_day: int | None = None  # the course's new_cards_per_day by default
    learning_steps: bool = True  # FSRS's (re)learning steps, as in production
    class_growth: float = 1.0  # the whole class's multiplier on stability growth (e^w8)
    class_lapse: float = 1.0  # and on the stability after a lapse (w11)

    def learner(self, student: int) -> tuple[float, ...]:
        return learner_parameters(
            self.seed, student, class_growth=self.class_growth, class_lapse=self.class_lapse
        )


@dataclass
class Scored:
    """A review after the fit day whose card was last reviewed on an earlier day."""

    predicted: float
    recalled: bool
    true_recall: float
    reference: float | None


@dataclass
class StudentResult:
    knowledge: float
    seconds: float
    reviews: int

    @property
    def per_hour(self) -> float:
        return self.knowledge / (self.seconds / 3600) if self.seconds else 0.0


@dataclass
class PolicyResult:
    name: str
    students: list[StudentResult]
    scored: list[Scored]
    fit: Fit | None = None


@dataclass
class _Student:
    index: int
    w: tuple[float, ...]
    memories: dict[int, Any] = field(default_factory=dict)
    traces: dict[int, Trace] = field(default_factory=dict)
    rngs: dict[int, random.Random] = field(default_factory=dict)
    due: list[tuple[int, float, int]] = field(default_factory=list)  # (day, at, card): review
    learning: list[tuple[float, int]] = field(default_factory=list)  # (at, card): learning steps
    next_new: int = 0
    seconds: float = 0.0
    reviews: int = 0
    scored: list[Scored] = field(default_factory=list)


def simulate(
    policy: Policy, setting: Setting, keys: Sequence[str], new_per_day: int
) -> PolicyResult:
    offsets = [card_offset(setting.seed, key) for key in keys]
    students = [_Student(i, setting.learner(i)) for i in range(setting.students)]
    history: History = {}
    budget_s = setting.minutes * 60

    for day in range(setting.days):
        policy.begin_day(day, history)
        for student in students:
            _session(policy, student, day, budget_s, new_per_day, keys, offsets, setting, history)
    results = []
    for student in students:
        knowledge = sum(
            trace.recall_at(student.w, float(setting.days)) for trace in student.traces.values()
        )
        results.append(StudentResult(knowledge, student.seconds, student.reviews))
    scored = [s for student in students for s in student.scored]
    return PolicyResult(policy.name, results, scored, getattr(policy, "fit", None))


def _session(
    policy: Policy,
    student: _Student,
    day: int,
    budget_s: float,
    new_per_day: int,
    keys: Sequence[str],
    offsets: Sequence[float],
    setting: Setting,
    history: History,
) -> None:
    """One day's study: due cards, the most overdue first (review cards due today or before,
    learning cards whose step is over), then new cards up to the daily limit, then learning
    cards within the learn-ahead limit, until the day's minutes are spent."""
    clock = 0.0
    new_today = 0
    while clock < budget_s:
        now = day + clock / 86400
        candidates = []
        if student.due and student.due[0][0] <= day:
            candidates.append((student.due[0][1], "due"))
        if student.learning and student.learning[0][0] <= now:
            candidates.append((student.learning[0][0], "learning"))
        if candidates:
            source = min(candidates)[1]
        elif student.next_new < len(keys) and new_today < new_per_day:
            source = "new"
        elif student.learning and student.learning[0][0] <= now + LEARN_AHEAD_DAYS:
            source = "learning"
        else:
            break
        if source == "due":
            card = heapq.heappop(student.due)[2]
        elif source == "learning":
            card = heapq.heappop(student.learning)[1]
        else:
            card = student.next_new
            student.next_new += 1
            new_today += 1
            student.memories[card] = policy.start()
            student.rngs[card] = stream(setting.seed, "review", student.index, keys[card])

        moment = Moment(day, clock)
        memory = student.memories[card]
        trace = student.traces.get(card)
        true_recall = trace.recall_at(student.w, moment.at) if trace else None
        rating = rating_drawn(student.rngs[card], true_recall)
        if trace is not None and trace.last_day < day and day >= setting.fit_day:
            student.scored.append(
                Scored(
                    policy.predict(memory, moment),
                    rating > AGAIN,
                    true_recall,
                    policy.reference(memory, moment),
                )
            )
        cost = COSTS_S[policy.cost_row(memory)][rating - 1]
        memory, interval = policy.review(memory, rating, moment)
        student.memories[card] = memory
        if trace is None:
            student.traces[card] = trace_start(student.w, offsets[card], rating, moment.at, day)
        else:
            student.traces[card] = trace_review(
                student.w, trace, offsets[card], rating, moment.at, day
            )
        history.setdefault((student.index, card), []).append((moment, rating))
        due_at = moment.at + interval
        if interval < 1:
            heapq.heappush(student.learning, (due_at, card))
        else:
            heapq.heappush(student.due, (day + round(interval), due_at, card))
        clock += cost
        student.seconds += cost
        student.reviews += 1


POLICIES: tuple[Callable[[Setting], Policy], ...] = (
    lambda setting: FsrsDefault(learning_steps=setting.learning_steps),
    lambda setting: FsrsFitted(setting.fit_day, learning_steps=setting.learning_steps),
    lambda setting: Sm2(),
    lambda setting: Leitner(),
    lambda setting: Fixed(),
)


def run(setting: Setting, deck: Deck | None = None) -> list[PolicyResult]:
    deck = deck or deck_read()
    keys = deck.keys
    if setting.cards is not None:
        if not 0 < setting.cards <= len(keys):
            raise ValueError(f"--cards must be between 1 and the deck's {len(keys)} cards")
        keys = keys[: setting.cards]
    new_per_day = _new_per_day(setting, deck)
    return [simulate(make(setting), setting, keys, new_per_day) for make in POLICIES]


def _new_per_day(setting: Setting, deck: Deck) -> int:
    return setting.new_per_day if setting.new_per_day is not None else deck.new_per_day


# Metrics and the report --------------------------------------------------------------------------


def log_loss(pairs: Sequence[tuple[float, bool]]) -> float:
    if not pairs:
        return math.nan
    total = 0.0
    for p, y in pairs:
        p = min(max(p, 1e-6), 1 - 1e-6)
        total -= math.log(p) if y else math.log(1 - p)
    return total / len(pairs)


def rmse(pairs: Sequence[tuple[float, bool]]) -> float:
    if not pairs:
        return math.nan
    return math.sqrt(sum((p - y) ** 2 for p, y in pairs) / len(pairs))


@dataclass(frozen=True)
class Row:
    name: str
    knowledge: float
    knowledge_se: float
    per_hour: float
    per_hour_se: float
    log_loss: float
    rmse: float
    scored: int
    reviews: float
    minutes: float


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return mean, se


def rows(results: Sequence[PolicyResult]) -> list[Row]:
    table = []
    for result in results:
        knowledge = _mean_se([s.knowledge for s in result.students])
        per_hour = _mean_se([s.per_hour for s in result.students])
        pairs = [(s.predicted, s.recalled) for s in result.scored]
        table.append(
            Row(
                result.name,
                *knowledge,
                *per_hour,
                log_loss(pairs),
                rmse(pairs),
                len(pairs),
                statistics.fmean(s.reviews for s in result.students),
                statistics.fmean(s.seconds / 60 for s in result.students),
            )
        )
    return table


def report(setting: Setting, results: Sequence[PolicyResult], cards: int, new_per_day: int) -> str:
    variations = []
    if not setting.learning_steps:
        variations.append("FSRS without learning steps")
    if setting.class_growth != 1 or setting.class_lapse != 1:
        variations.append(
            f"class multipliers: stability growth {setting.class_growth:g}, "
            f"after a lapse {setting.class_lapse:g}"
        )
    lines = [
        f"Settings: {setting.students} students, {setting.days} days, "
        f"{setting.minutes:g} minutes a day, seed {setting.seed}, {cards} cards "
        f"({new_per_day} new a day), FSRS fitted on days 0-{setting.fit_day - 1}"
        + "".join(f"; {v}" for v in variations),
        "",
        "| Scheduler | Knowledge at the end (cards) | Memorized per hour | Log loss | RMSE "
        "| Scored reviews | Reviews per student | Minutes per student |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows(results):
        lines.append(
            f"| {row.name} | {row.knowledge:.1f} ± {row.knowledge_se:.1f} "
            f"| {row.per_hour:.1f} ± {row.per_hour_se:.1f} | {row.log_loss:.4f} "
            f"| {row.rmse:.4f} | {row.scored} | {row.reviews:.0f} | {row.minutes:.0f} |"
        )
    lines.append("")
    lines.append(
        "Knowledge: true recall summed over the cards at the end (unseen cards 0); memorized "
        "per hour: knowledge ÷ hours studied; both mean ± standard error over students. Log loss "
        f"and RMSE: each scheduler's predictions for its own reviews from day {setting.fit_day} "
        "on of cards last seen on an earlier day (scored reviews), pooled over students."
    )
    fitted = next((r for r in results if r.fit is not None), None)
    if fitted is not None and fitted.fit is not None:
        fit = fitted.fit
        decays = sorted(setting.learner(i)[20] for i in range(setting.students))
        changed = sum(
            1 for a, b in zip(fit.parameters, DEFAULT_PARAMETERS, strict=True) if abs(a - b) > 1e-4
        )
        clamped = f"; clamped to py-fsrs's bounds: w{fit.clamped}" if fit.clamped else ""
        lines.append("")
        lines.append(
            f"FSRS fitted on day {fit.day}: {fit.reviews} reviews ({fit.items} training items) "
            f"of every student; {changed} of 21 parameters moved; decay w20 "
            f"{DEFAULT_PARAMETERS[20]:.4f} -> {fit.parameters[20]:.4f} (the students' true "
            f"decays: median {statistics.median(decays):.4f}, "
            f"{decays[0]:.4f} to {decays[-1]:.4f}){clamped}."
        )
        same = [s for s in fitted.scored if s.reference is not None]
        if same:
            lines.append(
                f"On the same {len(same)} reviews (FSRS fitted's scored reviews), log loss with "
                f"the default parameters {log_loss([(s.reference, s.recalled) for s in same]):.4f}"
                f", fitted {log_loss([(s.predicted, s.recalled) for s in same]):.4f}, "
                f"the true recall {log_loss([(s.true_recall, s.recalled) for s in same]):.4f}, "
                f"a constant 0.9 {log_loss([(0.9, s.recalled) for s in same]):.4f}."
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling", description=__doc__)
    default = Setting()
    parser.add_argument("--students", type=int, default=default.students)
    parser.add_argument("--days", type=int, default=default.days)
    parser.add_argument("--minutes", type=float, default=default.minutes, help="per day")
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--cards", type=int, default=None, help="the deck's first N cards")
    parser.add_argument("--fit-day", type=int, default=default.fit_day)
    parser.add_argument("--new-per-day", type=int, default=None, help="the course's by default")
    parser.add_argument(
        "--no-learning-steps",
        action="store_true",
        help="FSRS without (re)learning steps, as the day-based schedulers (an ablation)",
    )
    parser.add_argument(
        "--class-growth",
        type=float,
        default=default.class_growth,
        help="the class's multiplier on stability growth on recall (e^w8)",
    )
    parser.add_argument(
        "--class-lapse",
        type=float,
        default=default.class_lapse,
        help="the class's multiplier on stability after a lapse (w11)",
    )
    args = parser.parse_args(argv)
    if args.students < 1 or args.days < 1 or args.minutes <= 0 or args.fit_day < 1:
        parser.error("--students, --days, --minutes and --fit-day must be positive")
    if args.new_per_day is not None and args.new_per_day < 0:
        parser.error("--new-per-day must not be negative")
    if args.class_growth <= 0 or args.class_lapse <= 0:
        parser.error("--class-growth and --class-lapse must be positive")
    setting = Setting(
        students=args.students,
        days=args.days,
        minutes=args.minutes,
        seed=args.seed,
        cards=args.cards,
        fit_day=args.fit_day,
        new_per_day=args.new_per_day,
        learning_steps=not args.no_learning_steps,
        class_growth=args.class_growth,
        class_lapse=args.class_lapse,
    )
    deck = deck_read()
    started = time.perf_counter()
    try:
        results = run(setting, deck)
    except ValueError as exc:
        parser.error(str(exc))
    print(report(setting, results, setting.cards or len(deck.keys), _new_per_day(setting, deck)))
    print(f"\n(simulated in {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
