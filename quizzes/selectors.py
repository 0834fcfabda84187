"""Reads for students: the review queue, due counts, the forecast, retention and streaks."""

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.base import ModelState
from django.db.models.functions import ExtractHour, TruncDate
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from config.db import prepared_cursor
from quizzes import scheduling
from quizzes.grading import names_another_number, with_accepted, wrong_parts
from quizzes.models import (
    LEECH_LAPSES,
    SCHEDULE_FIELDS,
    AcceptedResponse,
    Attempt,
    Card,
    CardState,
    CardSuspension,
    MemoryState,
    QuestionVersion,
    ReviewLog,
    ReviewSource,
)
from quizzes.studyday import study_date, zone


@dataclass(frozen=True)
class StudyDay:
    """Who is studying, when their day started, and the limits of their course."""

    now: datetime
    start: datetime
    end: datetime
    time_zone: str
    day_starts_at: int
    new_per_day: int
    reviews_per_day: int
    desired_retention: float
    # FSRS's parameters in force for the student in this course (empty: the defaults).
    parameters: tuple[float, ...] = ()
    # Lessons of other courses than the first lesson's (a student in classes of two courses):
    # their course's desired retention and parameters in force, by lesson id (`schedule_for`).
    lesson_schedules: Mapping[int, tuple[float, tuple[float, ...]]] = field(default_factory=dict)
    # Cards in (re)learning due this soon are shown when nothing else is left (Anki's limit).
    learn_ahead: timedelta = timedelta(minutes=20)
    # "Review ahead" is on for this day: review cards due before this moment are shown now
    # (None: only those due now).
    review_until: datetime | None = None

    def schedule_for(self, lesson_id: int) -> tuple[float, tuple[float, ...]]:
        """The desired retention and FSRS parameters that schedule a card of this lesson."""
        return self.lesson_schedules.get(lesson_id, (self.desired_retention, self.parameters))

    @property
    def review_cutoff(self) -> datetime:
        """Review cards due by this moment are in the queue."""
        return max(self.now, self.review_until) if self.review_until else self.now

    @property
    def queue_cutoff(self) -> datetime:
        """No card due after this moment is in the queue (learning or review)."""
        return max(self.now + self.learn_ahead, self.review_cutoff)

    def reviewing_ahead(self) -> "StudyDay":
        """This day with "Review ahead" on: review cards due by the end of the next study day
        (Anki's default of one day ahead) are shown now."""
        return replace(self, review_until=self.end + timedelta(days=1))


@dataclass
class Queue:
    card: Card | None
    state: MemoryState | None
    due_count: int
    new_count: int
    done_today: int
    # Due or new cards left out because they ask a question of an unfinished attempt, and the
    # student's unfinished attempts (see `study_queue`).
    held_count: int = 0
    held_by: list[Attempt] = field(default_factory=list)
    # Unseen cards beyond today's new-card limit ("Study more" offers them).
    new_left: int = 0
    # Flashcard ratings since the day began (Undo has something to take back).
    rated_today: int = 0

    @property
    def remaining(self) -> int:
        return self.due_count + self.new_count


def _cards(lesson_ids: Iterable[int]) -> QuerySet[Card]:
    return Card.objects.active().filter(lesson_id__in=list(lesson_ids))


def attempts_unfinished(*, student: AbstractBaseUser) -> list[Attempt]:
    """The student's unfinished attempts at any quiz, oldest first, with their quizzes."""
    return list(
        Attempt.objects.filter(student=student, finished_at__isnull=True)
        .select_related("quiz")
        .only("pk", "versions", "started_at", "quiz__title")
        .order_by("started_at", "pk")
    )


def questions_in(attempts: list[Attempt]) -> QuerySet:
    """The ids of the questions these attempts ask, as a subquery."""
    versions = {version_id for attempt in attempts for version_id in attempt.versions}
    return QuestionVersion.objects.filter(pk__in=versions).values("question_id")


def done_today(*, student: AbstractBaseUser, day: StudyDay) -> tuple[int, int]:
    """Flashcard reviews of seen cards, and first reviews of new cards, since the day began."""
    counts = ReviewLog.objects.filter(student=student, reviewed_at__gte=day.start).aggregate(
        reviews=Count("pk", filter=Q(source=ReviewSource.FLASHCARD, state_before__isnull=False)),
        new=Count("pk", filter=Q(state_before__isnull=True)),
    )
    return counts["reviews"], counts["new"]


# The review loop's two reads are written out in SQL (SQLite's and PostgreSQL's alike): built
# with the ORM, the queue's query cost the server many times more CPU to build than to run
# (docs/performance.md). Both read cards with the student's memory state for each, as `ms_*`.
_STATE_FIELDS = ("id", *SCHEDULE_FIELDS)


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


# A list of ids in these statements is one parameter on PostgreSQL, an array, and a parameter per
# id elsewhere. One parameter keeps a statement the same text whatever the list's length (one
# prepared statement for every student), and within psycopg's cache of parsed statements, which
# leaves out any with more than 50 parameters: the queue of a student of nine lessons had 64, and
# psycopg parsed its text again on every run (0.42 ms of client CPU per queue against 0.17 ms).


@functools.cache
def _arrays() -> bool:
    # Once per process: `connection.vendor` costs microseconds on each look-up.
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def _ids(values: Iterable[int]) -> list:
    """The parameters of a list of ids, for `_is_in` and `_held_and_order`. The array goes as
    its text ("{1,2,3}", cast in the statement): psycopg's dumping of a list of ints looks at
    every item to choose a type, 19.5 µs for a rating's three lists against 5.9 µs."""
    if _arrays():
        return ["{" + ",".join(str(int(value)) for value in values) + "}"]
    return list(values)


def _is_in(column: str, n: int, *, negate: bool = False) -> str:
    """A condition: `column` is (`negate`: is not) one of a list of `n` ids. As SQL's IN with
    an empty list, it is false (`negate`: true) for every row, and NULL for a NULL `column`
    unless the list is empty."""
    if _arrays():
        return f"{column} <> ALL(%s::bigint[])" if negate else f"{column} = ANY(%s::bigint[])"
    if not n:
        return "1 = 1" if negate else "1 = 0"
    return f"{column} {'NOT IN' if negate else 'IN'} ({_marks(n)})"


# The `ms_*` columns: a state's fields, read with its card.
_STATE_COLUMNS = ", ".join(f"ms.{name} AS ms_{name}" for name in _STATE_FIELDS)
_STATE_NAMES = tuple(f"ms_{name}" for name in _STATE_FIELDS)
# The queue's own columns, read after the card's (`_queue_sql`), then today's two counts.
_QUEUE_COLUMNS = (
    "queue_card",
    "queue_position",
    *_STATE_NAMES,
    "is_held",
    "lesson_order",
    "is_ahead",
    "due_total",
    "new_total",
    "held_total",
)


def _held_and_order(*, held: int, order: int) -> str:
    """The `is_held` (its question is in an unfinished attempt) and `lesson_order` (its
    lesson's place in a list) columns of a card `c`. Parameters: held question ids, lesson ids
    in order."""
    is_held = (
        f"CASE WHEN {_is_in('c.question_id', held)} THEN 1 ELSE 0 END" if held or _arrays() else "0"
    )
    if not order:
        lesson_order = "0"
    elif _arrays():
        lesson_order = "array_position(%s::bigint[], c.lesson_id) - 1"
    else:
        whens = " ".join(f"WHEN %s THEN {i}" for i in range(order))
        lesson_order = f"CASE c.lesson_id {whens} END"
    return f"{is_held} AS is_held, {lesson_order} AS lesson_order"


# `_queue_sql(only=...)`: the whole queue, or only its new cards, or only the cards seen before.
_ONLY = {
    "": "",
    "new": "WHERE q.ms_id IS NULL AND q.is_held = 0",
    "seen": "WHERE q.ms_id IS NOT NULL AND q.is_held = 0",
}


def _not_suspended(suspended: int) -> str:
    """A condition on a card `c`: not one of the student's suspended cards (parameters: their
    ids)."""
    return f" AND {_is_in('c.id', suspended, negate=True)}" if suspended or _arrays() else ""


@functools.lru_cache(maxsize=512)
def _queue_sql(*, lessons: int, held: int, only: str = "", suspended: int = 0) -> str:
    """The first card of the queue, with counts over the whole queue (window functions: due,
    new and held-back cards) and what was done today (one aggregate over today's log, joined).

    The queue is the student's due states, read by a range scan of the (student, due_at)
    index, and the lessons' cards the student has no state for (an anti-join on the
    (student, card) constraint). Only ids and sort keys go through the window and the sort;
    the card's columns are read for the one card chosen.

    A card in (re)learning due within the learn-ahead limit (Anki's) is in the queue too, after
    the new cards (`is_ahead`): when nothing else is left it is shown before its time rather than
    the student being told they are done while it comes back in minutes. So is a review card
    due before the day's review cut-off ("Review ahead"; otherwise now).

    Parameters: for the due states, held
    question ids, lesson ids (their order), now, the student, the queue's cut-off (the later of
    the two below), the review cut-off (for review cards), now plus the learn-ahead limit (for
    cards in learning), lesson ids, suspended card ids; then for the new cards, held question
    ids, lesson ids (their order), lesson ids, suspended card ids, the student; then the
    student and the day's start, for today's counts.
    """
    log, card, state = ReviewLog._meta.db_table, Card._meta.db_table, MemoryState._meta.db_table
    flashcard = f"r.source = '{ReviewSource.FLASHCARD}'"
    columns = _held_and_order(held=held, order=lessons)
    no_states = ", ".join(f"NULL AS ms_{name}" for name in _STATE_FIELDS)
    in_lessons = (
        f"c.retired_at IS NULL AND {_is_in('c.lesson_id', lessons)}{_not_suspended(suspended)}"
    )
    due = (
        f"SELECT c.id AS queue_card, c.position AS queue_position, {_STATE_COLUMNS}, {columns}, "
        "CASE WHEN ms.due_at > %s THEN 1 ELSE 0 END AS is_ahead "
        f"FROM {state} ms JOIN {card} c ON c.id = ms.card_id "
        f"WHERE ms.student_id = %s AND ms.due_at <= %s "
        f"AND (ms.due_at <= %s OR ms.state <> {CardState.REVIEW}) "
        f"AND (ms.due_at <= %s OR ms.state = {CardState.REVIEW}) AND {in_lessons}"
    )
    new = (
        f"SELECT c.id AS queue_card, c.position AS queue_position, {no_states}, {columns}, "
        f"0 AS is_ahead FROM {card} c WHERE {in_lessons} AND NOT EXISTS "
        f"(SELECT 1 FROM {state} ms WHERE ms.student_id = %s AND ms.card_id = c.id)"
    )
    return f"""
        SELECT {_CARD_COLUMNS}, {", ".join(f"t.{name}" for name in _QUEUE_COLUMNS)},
            d.reviews_today, d.new_today, d.rated_today
        FROM (
            SELECT q.* FROM (
                SELECT b.*,
                    SUM(CASE WHEN b.ms_id IS NOT NULL AND b.is_held = 0 THEN 1 ELSE 0 END)
                        OVER () AS due_total,
                    SUM(CASE WHEN b.ms_id IS NULL AND b.is_held = 0 THEN 1 ELSE 0 END)
                        OVER () AS new_total,
                    SUM(b.is_held) OVER () AS held_total
                FROM ({due} UNION ALL {new}) b
            ) q
            {_ONLY[only]}
            ORDER BY q.is_held,
                CASE WHEN q.ms_id IS NULL THEN 1 WHEN q.is_ahead = 1 THEN 2 ELSE 0 END, q.ms_due_at,
                q.ms_id, q.lesson_order, q.queue_position, q.queue_card
            LIMIT 1
        ) t
        JOIN {card} c ON c.id = t.queue_card
        CROSS JOIN (
            SELECT
                COUNT(CASE WHEN {flashcard} AND r.state_before IS NOT NULL THEN 1 END)
                    AS reviews_today,
                COUNT(CASE WHEN r.state_before IS NULL THEN 1 END) AS new_today,
                COUNT(CASE WHEN {flashcard} THEN 1 END) AS rated_today
            FROM {log} r WHERE r.student_id = %s AND r.reviewed_at >= %s
        ) d
    """


def _datetime_param(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _aware(value):
    """A datetime read by raw SQL: a string or naive UTC on SQLite, aware on PostgreSQL."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


# The card's columns the review loop uses (its page, its rating, the schedule), in the model's
# field order as Model.from_db takes them; the others are deferred. Cards read here are for
# showing and rating, never saved.
_CARD_FIELDS = tuple(
    f.attname
    for f in Card._meta.concrete_fields
    if f.attname in {"id", "key", "lesson_id", "position", "question_id"}
    or f.attname.endswith("_html")
)
_CARD_COLUMNS = ", ".join(f"c.{name}" for name in _CARD_FIELDS)
_HTML_FIELDS = frozenset(name for name in _CARD_FIELDS if name.endswith("_html"))
_STATE_ATTNAMES = tuple(
    f.attname
    for f in MemoryState._meta.concrete_fields
    if f.attname in {*_STATE_FIELDS, "student_id", "card_id"}
)
_STATE_STUDENT = MemoryState._meta.get_field("student")
_STATE_CARD = MemoryState._meta.get_field("card")


# The columns of the queue's row and of the rating's card, in the order the statements read them.
_QUEUE_ROW = (*_CARD_FIELDS, *_QUEUE_COLUMNS, "reviews_today", "new_today", "rated_today")
_RATING_ROW = (*_CARD_FIELDS, *_STATE_NAMES, "is_held", "lesson_order")


def _rows(sql: str, params: list, names: tuple[str, ...]) -> list[dict]:
    """The rows of a raw query as dicts keyed by `names`, the statement's columns in order.
    Read with a cursor, not `Model.objects.raw()`, whose per-query machinery cost the review loop
    more than the query itself; the names are given, as the driver's description of the columns
    costs tens of microseconds to build."""
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _instance(model, names: tuple[str, ...], values: list):
    """What `model.from_db()` makes of these fields (the model's others deferred), as Django
    makes an unpickled instance: the values put in the instance's `__dict__`, without
    `Model.__init__`, which cost a card 23 µs and a state 18 µs against 12 µs each (three of
    each per review). `from_db` itself when anything listens to the model's pre_init or
    post_init."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(DEFAULT_DB_ALIAS, names, values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS  # prepared_cursor's database
    return instance


def _card_from(row: dict) -> Card:
    """A card from the `_CARD_COLUMNS` of a row (its other fields deferred)."""
    values = [
        mark_safe(row[name]) if name in _HTML_FIELDS and row[name] is not None else row[name]
        for name in _CARD_FIELDS
    ]
    return _instance(Card, _CARD_FIELDS, values)


def _state_from(row: dict, *, card: Card, student: AbstractBaseUser) -> MemoryState | None:
    """The student's memory state for `card`, from the `ms_*` columns of a row read with it."""
    if row["ms_id"] is None:
        return None
    values, student_id = [], student.pk
    for name in _STATE_ATTNAMES:
        if name == "student_id":
            values.append(student_id)
        elif name == "card_id":
            values.append(card.pk)
        elif name in ("due_at", "last_review_at"):
            values.append(_aware(row[f"ms_{name}"]))
        else:
            values.append(row[f"ms_{name}"])
    state = _instance(MemoryState, _STATE_ATTNAMES, values)
    _STATE_STUDENT.set_cached_value(state, student)
    _STATE_CARD.set_cached_value(state, card)
    return state


def study_queue(
    *,
    student: AbstractBaseUser,
    lesson_ids: list[int],
    day: StudyDay,
    held_questions: frozenset[int] | None = None,
    suspended: frozenset[int] = frozenset(),
) -> Queue:
    """The next card to review: due cards first (most overdue first), then new cards in the
    order of `lesson_ids` (assignment order, then lesson order), within the day's limits.

    Cards whose question is in one of the student's unfinished attempts (`held_questions`; None
    to look them up) are left out until the attempt is finished: their backs would give the
    quiz's answers away, as Moodle and Anki would not.

    One query while there is a card to show (see `_queue_sql`). When there is none, one more
    for what was done today; when the day's review limit is reached while cards are due, one
    more for the first new card; with held-back cards, one for the attempts that hold them.
    """
    if held_questions is None:
        held_questions = frozenset(
            questions_in(attempts_unfinished(student=student)).values_list("question_id", flat=True)
        )
    if not lesson_ids:
        reviews_today, new_today = done_today(student=student, day=day)
        return Queue(None, None, 0, 0, reviews_today + new_today)
    held, left_out = sorted(held_questions), sorted(suspended)
    start, now = _datetime_param(day.start), _datetime_param(day.now)
    ahead = _datetime_param(day.now + day.learn_ahead)
    cutoff, review_cutoff = _datetime_param(day.queue_cutoff), _datetime_param(day.review_cutoff)
    held_ids, lessons, left_out_ids = _ids(held), _ids(lesson_ids), _ids(left_out)
    params = [*held_ids, *lessons, now, student.pk, cutoff, review_cutoff, ahead]
    params += [*lessons, *left_out_ids]
    params += [*held_ids, *lessons, *lessons, *left_out_ids, student.pk]
    params += [student.pk, start]

    def first(only: str = "") -> dict | None:
        sql = _queue_sql(
            lessons=len(lesson_ids), held=len(held), only=only, suspended=len(left_out)
        )
        return next(iter(_rows(sql, params, _QUEUE_ROW)), None)

    top = first()
    if top is None:
        reviews_today, new_today = done_today(student=student, day=day)
        return Queue(None, None, 0, 0, reviews_today + new_today)
    due_count = min(top["due_total"], max(0, day.reviews_per_day - top["reviews_today"]))
    new_count = min(top["new_total"], max(0, day.new_per_day - top["new_today"]))
    row = None
    if top["is_held"]:
        pass  # every card left is held back
    elif (top["ms_id"] is not None and due_count) or (top["ms_id"] is None and new_count):
        row = top
    elif top["ms_id"] is not None and new_count:
        # Cards are due, but the day's reviews are done: new cards still come.
        row = first("new")
    elif top["ms_id"] is None and due_count:
        # The day's new cards are done, but a card in learning comes back (learned ahead).
        row = first("seen")
    card = _card_from(row) if row else None
    return Queue(
        card=card,
        state=_state_from(row, card=card, student=student) if row else None,
        due_count=due_count,
        new_count=new_count,
        done_today=top["reviews_today"] + top["new_today"],
        held_count=top["held_total"],
        held_by=attempts_unfinished(student=student) if top["held_total"] else [],
        new_left=top["new_total"] - new_count,
        rated_today=top["rated_today"],
    )


@functools.lru_cache(maxsize=512)
def _rating_sql(*, lessons: int, held: int, suspended: int = 0) -> str:
    """`card_for_rating`'s statement. Parameters: held question ids, the student, the card,
    lesson ids, suspended card ids."""
    card_table, state_table = Card._meta.db_table, MemoryState._meta.db_table
    return (
        f"SELECT {_CARD_COLUMNS}, {_STATE_COLUMNS}, {_held_and_order(held=held, order=0)} "
        f"FROM {card_table} c "
        f"LEFT JOIN {state_table} ms ON ms.card_id = c.id AND ms.student_id = %s "
        f"WHERE c.retired_at IS NULL AND c.id = %s "
        f"AND {_is_in('c.lesson_id', lessons)}{_not_suspended(suspended)}"
    )


def card_for_rating(
    *,
    student: AbstractBaseUser,
    card_id: int,
    lesson_ids: list[int],
    held_questions: frozenset[int],
    suspended: frozenset[int] = frozenset(),
) -> tuple[Card, MemoryState | None] | None:
    """The card a rating form names, with the student's state for it (None: new to them), if it
    is one they may rate now: active, in `lesson_ids`, not held back by an unfinished attempt.
    One query."""
    if not lesson_ids:
        return None
    held = sorted(held_questions)
    sql = _rating_sql(lessons=len(lesson_ids), held=len(held), suspended=len(suspended))
    params = [*_ids(held), student.pk, card_id, *_ids(lesson_ids), *_ids(sorted(suspended))]
    row = next(iter(_rows(sql, params, _RATING_ROW)), None)
    if row is None or row["is_held"]:
        return None
    card = _card_from(row)
    return card, _state_from(row, card=card, student=student)


def due_tomorrow(*, student: AbstractBaseUser, lesson_ids: list[int], day: StudyDay) -> int:
    return MemoryState.objects.filter(
        student=student, card__in=_cards(lesson_ids), due_at__lt=day.end + timedelta(days=1)
    ).count()


def interval_previews(
    state: MemoryState | None, *, card_id: int, lesson_id: int, day: StudyDay
) -> dict[int, str]:
    """What each rating would give, as Anki shows it on its buttons ("10m", "3d", "1.2mo"), with
    the retention and parameters of the card's course."""
    retention, parameters = day.schedule_for(lesson_id)
    scheduler = scheduling.scheduler_for(
        desired_retention=retention, fuzz=False, parameters=parameters
    )
    due = scheduling.due_after_each_rating(scheduler, state, card_id=card_id, reviewed_at=day.now)
    return {rating: format_interval(due_at - day.now) for rating, due_at in due.items()}


def recall_now(state: MemoryState | None, *, at: datetime) -> float | None:
    """The state's predicted recall at `at` (None for a card never reviewed), by the curve of
    scheduling.recall_expression (the state's own)."""
    if state is None or not state.stability or state.last_review_days is None:
        return None
    elapsed = max(0.0, scheduling.epoch_days(at) - state.last_review_days)
    return (1 + state.factor * elapsed / state.stability) ** state.decay


@dataclass(frozen=True)
class DaySummary:
    """What the student did today, for the screen at the end of their reviews."""

    reviewed: int
    again: int
    seconds: int
    due_tomorrow: int
    # The next card in (re)learning that comes back today, and when (None: none).
    next_learning_at: datetime | None
    learning_later: int
    # Review cards not due yet that "Review ahead" would show now (0 while it is on).
    review_ahead: int = 0


def day_summary(
    *, student: AbstractBaseUser, lesson_ids: list[int], day: StudyDay, suspended=frozenset()
) -> DaySummary:
    """Today's flashcard ratings (count, Again, time spent), tomorrow's load, the learning
    cards still to come back today, and the review cards "Review ahead" would bring. Two
    queries; shown once, when the reviews are done."""
    today = ReviewLog.objects.filter(
        student=student, source=ReviewSource.FLASHCARD, reviewed_at__gte=day.start
    ).aggregate(
        reviewed=Count("pk"),
        again=Count("pk", filter=Q(rating=1)),
        ms=Sum("duration_ms"),
    )
    states = MemoryState.objects.filter(student=student, card__in=_cards(lesson_ids)).exclude(
        card_id__in=list(suspended)
    )
    ahead = states.aggregate(
        tomorrow=Count("pk", filter=Q(due_at__lt=day.end + timedelta(days=1))),
        later=Count(
            "pk",
            filter=Q(
                due_at__gt=day.now,
                due_at__lt=day.end,
                state__in=[CardState.LEARNING, CardState.RELEARNING],
            ),
        ),
        next_at=Min(
            "due_at",
            filter=Q(
                due_at__gt=day.now,
                due_at__lt=day.end,
                state__in=[CardState.LEARNING, CardState.RELEARNING],
            ),
        ),
        review_ahead=Count(
            "pk",
            filter=Q(
                due_at__gt=day.review_cutoff,
                due_at__lte=day.reviewing_ahead().review_cutoff,
                state=CardState.REVIEW,
            ),
        ),
    )
    return DaySummary(
        reviewed=today["reviewed"],
        again=today["again"],
        seconds=round((today["ms"] or 0) / 1000),
        due_tomorrow=ahead["tomorrow"],
        next_learning_at=ahead["next_at"],
        learning_later=ahead["later"],
        review_ahead=ahead["review_ahead"],
    )


def format_duration(delta: timedelta) -> str:
    """A duration in words, rounded to its largest unit: "8 minutes", "6 days", "2 months"."""
    minutes = max(1, round(delta.total_seconds() / 60))
    for size, one, many in (
        (525_600, "%(n)s year", "%(n)s years"),
        (43_200, "%(n)s month", "%(n)s months"),
        (1440, "%(n)s day", "%(n)s days"),
        (60, "%(n)s hour", "%(n)s hours"),
    ):
        if minutes >= size:
            n = round(minutes / size)
            return ngettext(one, many, n) % {"n": n}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def format_interval(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes / 60
    if hours < 24:
        return f"{hours:.0f}h"
    days = hours / 24
    if days < 30:
        return f"{days:.0f}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


def card_counts(lesson_ids: Iterable[int]) -> dict[int, int]:
    """Active cards per lesson, counted by the database."""
    rows = _cards(lesson_ids).order_by().values_list("lesson_id").annotate(n=Count("id"))
    return dict(rows)


def recall_by_lesson(states: QuerySet[MemoryState], *, at: datetime) -> dict[int, dict]:
    """Per lesson, the mean predicted recall of these memory states at `at` and 7 days later,
    and how many there are; averaged by the database (quizzes.scheduling.recall_expression)."""
    rows = (
        states.filter(card__retired_at__isnull=True, stability__isnull=False)
        .order_by()
        .values("card__lesson_id")
        .annotate(
            now=Avg(scheduling.recall_expression(at)),
            week=Avg(scheduling.recall_expression(at + timedelta(days=7))),
            studied=Count("id"),
        )
    )
    return {row["card__lesson_id"]: row for row in rows}


@dataclass(frozen=True)
class LessonSummary:
    """One lesson of a student's: their cards in it, what is due, and what they remember."""

    lesson_id: int
    cards: int
    studied: int
    recall_now: float | None
    recall_week: float | None
    due: int  # due now, leaving out cards held back by an unfinished attempt
    new: int  # never studied, likewise


@dataclass(frozen=True)
class Summary:
    """A student's lessons, their reviews due on each of the next days, and today's work."""

    lessons: dict[int, LessonSummary]
    forecast: list[tuple[date, int]]  # reviews due per study day from today (overdue: today)
    reviews_today: int  # flashcard reviews of cards seen before, since the day began
    new_today: int  # first reviews of new cards, since the day began
    any_today: int  # reviews and quiz answers of any kind since the day began


@functools.lru_cache(maxsize=512)
def _summary_sql(*, lessons: int, held: int, days: int, suspended: int = 0) -> str:
    """Per lesson: active cards, studied cards and their mean predicted recall at two moments
    (FSRS's curve, as quizzes.scheduling.recall_expression), due and new cards not held back
    nor suspended (due: as the review queue counts them, learning cards within the learn-ahead
    limit included), and due cards per study day (bounds computed in Python, so exact in every
    time zone); with today's counts as scalar subqueries, run once.

    Parameters: the student and the day's start, three times; now in epoch days, twice, for
    each recall (each state's recall by its own curve); held question ids and suspended card
    ids with now and now plus the learn-ahead limit, then held question ids and suspended card
    ids again; bounds; lesson ids; the student.
    It always returns a row, so today's counts come even when the lessons have no cards.
    """
    card, state, log = Card._meta.db_table, MemoryState._meta.db_table, ReviewLog._meta.db_table
    today = f"SELECT COUNT(*) FROM {log} r WHERE r.student_id = %s AND r.reviewed_at >= %s"
    elapsed = "CASE WHEN %s - ms.last_review_days > 0 THEN %s - ms.last_review_days ELSE 0 END"
    recall = (
        "AVG(CASE WHEN ms.stability IS NOT NULL "
        f"THEN POWER(1.0 + ms.factor * ({elapsed}) / ms.stability, ms.decay) END)"
    )
    not_held = (
        f"(c.question_id IS NULL OR {_is_in('c.question_id', held, negate=True)})"
        if held or _arrays()
        else "1 = 1"
    ) + _not_suspended(suspended)
    buckets = ", ".join(
        f"SUM(CASE WHEN ms.due_at >= %s AND ms.due_at < %s THEN 1 ELSE 0 END) AS due_day_{i}"
        for i in range(days)
    )
    return f"""
        SELECT c.lesson_id AS lesson_id,
            ({today} AND r.source = '{ReviewSource.FLASHCARD}' AND r.state_before IS NOT NULL)
                AS reviews_today,
            ({today} AND r.state_before IS NULL) AS new_today,
            ({today}) AS any_today,
            COUNT(c.id) AS cards,
            SUM(CASE WHEN ms.stability IS NOT NULL THEN 1 ELSE 0 END) AS studied,
            {recall} AS recall_now,
            {recall} AS recall_week,
            SUM(CASE WHEN {not_held} AND (ms.due_at <= %s
                OR (ms.state <> {CardState.REVIEW} AND ms.due_at <= %s)) THEN 1 ELSE 0 END) AS due,
            SUM(CASE WHEN {not_held} AND ms.id IS NULL THEN 1 ELSE 0 END) AS new,
            {buckets}
        FROM (SELECT 1 AS one) AS always_one_row
        LEFT JOIN {card} c ON c.retired_at IS NULL AND {_is_in("c.lesson_id", lessons)}
        LEFT JOIN {state} ms ON ms.card_id = c.id AND ms.student_id = %s
        GROUP BY c.lesson_id
    """


def summary(
    *,
    student: AbstractBaseUser,
    lesson_ids: list[int],
    day: StudyDay,
    held_questions: frozenset[int] = frozenset(),
    suspended: frozenset[int] = frozenset(),
    days: int = 14,
) -> Summary:
    """What the student's dashboard shows of their cards, in one query (see `_summary_sql`)."""
    today = study_date(day.now, time_zone=day.time_zone, day_starts_at=day.day_starts_at)
    empty = LessonSummary(0, 0, 0, None, None, 0, 0)
    if not lesson_ids:
        reviews, new = done_today(student=student, day=day)
        lessons = {}
        forecast_rows = [(today + timedelta(days=i), 0) for i in range(days)]
        return Summary(lessons, forecast_rows, reviews, new, reviews + new)
    tz = zone(day.time_zone)
    bounds = [
        datetime.combine(today + timedelta(days=i), time(day.day_starts_at), tz).astimezone(UTC)
        for i in range(1, days + 1)
    ]
    # The first bucket takes what is overdue too.
    edges = [datetime(1900, 1, 1, tzinfo=UTC), *bounds]
    held, left_out = sorted(held_questions), sorted(suspended)
    start = _datetime_param(day.start)
    params: list = [student.pk, start, student.pk, start, student.pk, start]
    for moment in (day.now, day.now + timedelta(days=7)):
        at = scheduling.epoch_days(moment)
        params += [at, at]
    ahead = _datetime_param(day.now + day.learn_ahead)
    held_ids, left_out_ids = _ids(held), _ids(left_out)
    params += [*held_ids, *left_out_ids, _datetime_param(day.now), ahead, *held_ids, *left_out_ids]
    for i in range(days):
        params += [_datetime_param(edges[i]), _datetime_param(edges[i + 1])]
    params += [*_ids(lesson_ids), student.pk]
    sql = _summary_sql(lessons=len(lesson_ids), held=len(held), days=days, suspended=len(left_out))
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    lessons, due_per_day = {}, [0] * days
    reviews_today = new_today = any_today = 0
    for row in rows:
        reviews_today, new_today, any_today = (
            row["reviews_today"],
            row["new_today"],
            row["any_today"],
        )
        if row["lesson_id"] is None:
            continue  # the one row there is when the lessons have no cards
        lessons[row["lesson_id"]] = LessonSummary(
            lesson_id=row["lesson_id"],
            cards=row["cards"],
            studied=row["studied"] or 0,
            recall_now=row["recall_now"],
            recall_week=row["recall_week"],
            due=row["due"] or 0,
            new=row["new"] or 0,
        )
        for i in range(days):
            due_per_day[i] += row[f"due_day_{i}"] or 0
    return Summary(
        lessons={i: lessons.get(i, replace(empty, lesson_id=i)) for i in lesson_ids},
        forecast=[(today + timedelta(days=i), due_per_day[i]) for i in range(days)],
        reviews_today=reviews_today,
        new_today=new_today,
        any_today=any_today,
    )


def _grouped_by_study_date(queryset: QuerySet, field: str, day: StudyDay, **aggregates):
    """Rows of `queryset` grouped by the study day of `field`: (study date, aggregates)."""
    tz = zone(day.time_zone)
    rows = (
        queryset.order_by()
        .annotate(local_hour=ExtractHour(field, tzinfo=tz))
        .annotate(
            local_date=TruncDate(field, tzinfo=tz),
            early=Case(
                When(local_hour__lt=day.day_starts_at, then=1),
                default=0,
                output_field=IntegerField(),
            ),
        )
        .values("local_date", "early")
        .annotate(**aggregates)
    )
    for row in rows:
        when = row.pop("local_date") - timedelta(days=row.pop("early"))
        yield when, row


def study_days(
    *, student: AbstractBaseUser, day: StudyDay, until: datetime | None = None
) -> set[date]:
    """The study days of the past year (before `until`) with a review or quiz answer, grouped
    by study day in the database."""
    logs = ReviewLog.objects.filter(
        student=student, reviewed_at__gte=day.start - timedelta(days=366)
    )
    if until is not None:
        logs = logs.filter(reviewed_at__lt=until)
    return {when for when, _ in _grouped_by_study_date(logs, "reviewed_at", day, n=Count("pk"))}


def streak_ending(days: set[date], last: date) -> int:
    """How many consecutive days of `days` end on `last`."""
    count = 0
    while last in days:
        count += 1
        last -= timedelta(days=1)
    return count


def card_leeches(*, student: AbstractBaseUser, lesson_ids: Iterable[int] | QuerySet) -> list:
    """The student's leeches among the active cards of `lesson_ids` (a list or a subquery of
    ids): cards forgotten LEECH_LAPSES times or more, as memory states with their card and
    lesson, and `suspended` (whether the card is out of their reviews now; they may have put it
    back). Most lapses first. One query."""
    suspended = CardSuspension.objects.filter(student=student, card_id=OuterRef("card_id"))
    return list(
        MemoryState.objects.filter(
            student=student,
            card__lesson_id__in=lesson_ids,
            card__retired_at__isnull=True,
            lapses__gte=LEECH_LAPSES,
        )
        .annotate(suspended=Exists(suspended))
        .select_related("card", "card__lesson")
        .order_by("-lapses", "pk")
    )


def attempt_for_student(*, student: AbstractBaseUser, attempt_id: int) -> Attempt | None:
    return Attempt.objects.select_related("quiz").filter(pk=attempt_id, student=student).first()


# Responses accepted after the fact ------------------------------------------------------------


def class_accepted(*, question_id: int, student_id: int, quiz_id: int) -> list[tuple[int, str]]:
    """The responses accepted for this question by the classes in which this student is
    enrolled and this quiz is assigned, as (blank, text) pairs."""
    return list(
        AcceptedResponse.objects.filter(
            question_id=question_id,
            classroom__enrollments__student_id=student_id,
            classroom__enrollments__removed_at__isnull=True,
            classroom__assignments__quiz_id=quiz_id,
        )
        .order_by("accepted_at", "pk")
        .values_list("blank", "text")
        .distinct()
    )


def effective_key(version: QuestionVersion, extra: list[tuple[int, str]]) -> dict:
    return with_accepted(version.type, version.answer_key, extra) if extra else version.answer_key


@dataclass(frozen=True)
class WrongResponse:
    """A typed response (or one blank's) that the key does not accept, and how many gave it."""

    blank: int  # grading.WHOLE for the whole answer
    text: str  # its most given spelling
    count: int
    # Whether it may be accepted: not too long, and, for a numeric question, no other number.
    acceptable: bool = True

    @property
    def blank_number(self) -> int | None:
        return self.blank + 1 if self.blank >= 0 else None


def wrong_responses(
    version: QuestionVersion, key: dict, responses: Iterable[tuple[object, int]]
) -> list[WrongResponse]:
    """The distinct parts of `responses` ((response, count) pairs) that `key` does not accept,
    those differing only in case and spacing counted as one, most given first."""
    spellings: dict[tuple[int, str], dict[str, int]] = {}
    for response, n in responses:
        for blank, text in wrong_parts(version.type, key, response):
            group = spellings.setdefault((blank, " ".join(text.casefold().split())), {})
            group[text] = group.get(text, 0) + n
    found = []
    for (blank, _form), group in spellings.items():
        text = min(group, key=lambda t: (-group[t], t))
        acceptable = len(text) <= AcceptedResponse._meta.get_field("text").max_length and (
            not names_another_number(version.type, key, text)
        )
        found.append(WrongResponse(blank, text, sum(group.values()), acceptable))
    return sorted(found, key=lambda w: (-w.count, w.blank, w.text))
