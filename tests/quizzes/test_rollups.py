"""Recall rollups (quizzes.rollups): the database's triggers keep every (student, lesson) row
exact at its day points through reviews, undo, retirement, restoring, moves and deletions; the
school report read from them equals the one read from the states at 00:00 UTC, and between day
points stays within the documented bound; rows too old to answer never give wrong figures."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from courses import results, services
from quizzes import rollups, scheduling
from quizzes.models import Card, MemoryState, RecallRollup
from quizzes.selectors import recall_by_lesson
from quizzes.services import review_record, review_undo
from tests.factories import CardFactory, LessonFactory, StudentFactory, TeacherFactory

D0 = rollups.today()
T0 = rollups.day_point(D0)


def counted_states():
    return MemoryState.objects.filter(
        card__retired_at__isnull=True, stability__isnull=False, last_review_days__isnull=False
    )


def assert_rows_exact() -> None:
    """Every row equals its states' count and recall sums at each of its day points (1e-9);
    every pair with states counted has a row, and a row without them holds zeros."""
    rows = {(r.student_id, r.lesson_id): r for r in RecallRollup.objects.all()}
    expected: dict[tuple, dict] = {}
    for base in {r.base_day for r in rows.values()}:
        for k, column in enumerate(rollups.SUMS):
            at = rollups.day_point(base + k)
            grouped = (
                counted_states()
                .values("student_id", "card__lesson_id")
                .annotate(n=Count("id"), total=Sum(scheduling.recall_expression(at)))
            )
            for g in grouped:
                pair = (g["student_id"], g["card__lesson_id"])
                if pair in rows and rows[pair].base_day == base:
                    expected.setdefault(pair, {"n": g["n"]})[column] = g["total"]
    pairs = set(counted_states().values_list("student_id", "card__lesson_id"))
    assert pairs <= set(rows), "a pair with states has no row"
    for pair, row in rows.items():
        want = expected.get(pair, {"n": 0})
        assert row.n == want["n"], pair
        for column in rollups.SUMS:
            assert getattr(row, column) == pytest.approx(want.get(column, 0.0), rel=0, abs=1e-9)


@pytest.fixture
def world(db):
    """Five students, three lessons of four cards, and reviews through the services: one to
    three per card, from 12 days before 00:00 UTC today to 36 hours after it."""
    lessons = LessonFactory.create_batch(3)
    cards = [CardFactory(lesson=lesson) for lesson in lessons for _ in range(4)]
    students = StudentFactory.create_batch(5)
    for i, student in enumerate(students):
        for j, card in enumerate(cards):
            if (i + j) % 3 == 0:
                continue
            for r in range(1 + (i * j) % 3):
                review_record(
                    student=student,
                    card=card,
                    rating=1 + (i + j + r) % 4,
                    reviewed_at=T0 - timedelta(days=12 - 5 * r - j % 4, hours=3 * i + j),
                    fuzz=False,
                )
    return {"lessons": lessons, "cards": cards, "students": students}


def students_of(world):
    return StudentFactory._meta.model.objects.filter(pk__in=[s.pk for s in world["students"]])


def both(world, at):
    lesson_ids = [lesson.pk for lesson in world["lessons"]]
    students = students_of(world)
    from_rollups = rollups.recall_by_lesson(students=students, lesson_ids=lesson_ids, at=at)
    from_states = recall_by_lesson(
        MemoryState.objects.filter(student__in=students, card__lesson_id__in=lesson_ids), at=at
    )
    return from_rollups, from_states


def test_the_curves_constants_frozen_in_the_migration_are_the_schedulers():
    migration = importlib.import_module("quizzes.migrations.0007_recallrollup")
    assert scheduling.recall_constants() == (migration.DECAY, migration.FACTOR)
    assert migration.POINTS == rollups.POINTS


@pytest.mark.django_db
def test_the_triggers_keep_every_row_exact_through_each_kind_of_write(world):
    students, cards, lessons = world["students"], world["cards"], world["lessons"]
    assert RecallRollup.objects.count() == 15  # every student studied in every lesson
    assert set(RecallRollup.objects.values_list("base_day", flat=True)) <= {D0, D0 + 1}
    assert_rows_exact()

    rollups.rollup_rebuild(day=D0 - 2, batch=2)
    assert set(RecallRollup.objects.values_list("base_day", flat=True)) == {D0 - 2}
    assert_rows_exact()

    # A review of a card seen before, and of a new one, then the new one taken back.
    seen = MemoryState.objects.filter(student=students[0]).first()
    review_record(student=students[0], card=seen.card, rating=3, reviewed_at=T0, fuzz=False)
    assert_rows_exact()
    new_card = CardFactory(lesson=lessons[1])
    before = RecallRollup.objects.get(student=students[0], lesson=lessons[1]).n
    review_record(student=students[0], card=new_card, rating=4, reviewed_at=T0, fuzz=False)
    assert RecallRollup.objects.get(student=students[0], lesson=lessons[1]).n == before + 1
    assert_rows_exact()
    assert review_undo(student=students[0], since=T0 - timedelta(minutes=1)) is not None
    assert RecallRollup.objects.get(student=students[0], lesson=lessons[1]).n == before + 1 - 1
    assert_rows_exact()

    # Retired one by one (the loader's card.save) and a lesson's at once (its .update()).
    cards[0].retired_at = T0
    cards[0].save(update_fields=["retired_at", "updated_at"])
    assert_rows_exact()
    Card.objects.filter(lesson=lessons[2]).update(retired_at=T0)
    assert set(RecallRollup.objects.filter(lesson=lessons[2]).values_list("n", flat=True)) == {0}
    assert_rows_exact()
    Card.objects.filter(pk__in=[cards[0].pk, cards[9].pk]).update(retired_at=None)  # restored
    assert_rows_exact()

    # A card moved to another lesson takes its states along; a new (student, lesson) pair gets
    # a row based today.
    moved = Card.objects.get(pk=cards[5].pk)
    moved.lesson = LessonFactory()
    moved.save()
    assert RecallRollup.objects.filter(lesson=moved.lesson, base_day__gte=D0).exists()
    assert_rows_exact()

    # A state deleted by a cascade: a card's, then a student's (their rows go too).
    Card.objects.get(pk=cards[6].pk).delete()
    assert_rows_exact()
    students[1].delete()
    assert not RecallRollup.objects.filter(student_id=students[1].pk).exists()
    assert_rows_exact()

    # A state written without a stability (as a bulk load might) does not count.
    state = MemoryState.objects.filter(student=students[2]).first()
    MemoryState.objects.filter(pk=state.pk).update(stability=None)
    assert_rows_exact()
    MemoryState.objects.filter(pk=state.pk).update(stability=3.5)
    assert_rows_exact()


@pytest.mark.django_db
def test_the_report_from_rollups_is_the_states_at_day_points_and_within_the_bound_between(
    world,
):
    call_command("recall_rollup", day=D0 - 1, batch=3)
    review_record(
        student=world["students"][3], card=world["cards"][1], rating=2, reviewed_at=T0, fuzz=False
    )
    lesson_ids = [lesson.pk for lesson in world["lessons"]]
    for days in (-1, 0, 1, 3, 7, 8):  # "in 7 days" reaches the last day point, base + 15
        from_rollups, from_states = both(world, rollups.day_point(D0 + days))
        assert set(from_rollups) == set(from_states) == set(lesson_ids)
        for lesson_id, want in from_states.items():
            got = from_rollups[lesson_id]
            assert got["studied"] == want["studied"]
            assert got["now"] == pytest.approx(want["now"], rel=0, abs=1e-9)
            assert got["week"] == pytest.approx(want["week"], rel=0, abs=1e-9)
    for hours in (1, 6, 12, 17.5, 23.9, 40, 100, 190):
        at = T0 + timedelta(hours=hours)
        from_rollups, from_states = both(world, at)
        bounds = rollups.error_bound(students=students_of(world), lesson_ids=lesson_ids, at=at)
        for lesson_id, want in from_states.items():
            got = from_rollups[lesson_id]
            now_bound, week_bound = bounds[lesson_id]
            assert got["studied"] == want["studied"]
            assert abs(got["now"] - want["now"]) <= now_bound + 1e-12
            assert abs(got["week"] - want["week"]) <= week_bound + 1e-12
            assert 0 < now_bound < 0.2


@pytest.mark.django_db
def test_rows_too_old_to_answer_are_read_from_the_states_instead(world):
    rollups.rollup_rebuild(day=D0 - 30)
    at = T0 + timedelta(hours=5)  # neither a day point nor within the rows' days
    from_rollups, from_states = both(world, at)
    assert from_rollups.keys() == from_states.keys()
    for lesson_id, want in from_states.items():
        assert from_rollups[lesson_id]["studied"] == want["studied"]
        assert from_rollups[lesson_id]["now"] == pytest.approx(want["now"], rel=1e-12)
        assert from_rollups[lesson_id]["week"] == pytest.approx(want["week"], rel=1e-12)


@pytest.mark.django_db
def test_a_mix_of_current_and_old_rows_gives_the_states_figures(world):
    rollups.rollup_rebuild(day=D0 - 30)
    newcomer = StudentFactory()
    for card in world["cards"][:5]:
        review_record(student=newcomer, card=card, rating=3, reviewed_at=T0, fuzz=False)
    world["students"].append(newcomer)
    bases = set(RecallRollup.objects.values_list("base_day", flat=True))
    assert D0 - 30 in bases and bases - {D0 - 30}  # the newcomer's rows are based today
    from_rollups, from_states = both(world, rollups.day_point(max(bases)))
    for lesson_id, want in from_states.items():
        assert from_rollups[lesson_id]["studied"] == want["studied"]
        assert from_rollups[lesson_id]["now"] == pytest.approx(want["now"], rel=0, abs=1e-9)
        assert from_rollups[lesson_id]["week"] == pytest.approx(want["week"], rel=0, abs=1e-9)


@pytest.mark.django_db
def test_a_large_class_reads_its_retention_from_the_rollups(world, settings):
    teacher = TeacherFactory()
    classroom = services.classroom_create(name="School", teacher=teacher)
    for student in world["students"]:
        services.enrollment_add(classroom=classroom, student=student)
    services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=None,
        lessons=world["lessons"],
        due_at=T0 + timedelta(days=3),
    )
    rollups.rollup_rebuild(day=D0)
    at = rollups.day_point(D0 + 2)

    settings.RECALL_ROLLUP_MIN_STUDENTS = 100
    with CaptureQueriesContext(connection) as small:
        exact = results.class_retention(classroom=classroom, now=at)
    settings.RECALL_ROLLUP_MIN_STUDENTS = 4
    with CaptureQueriesContext(connection) as large:
        rolled = results.class_retention(classroom=classroom, now=at)

    assert any("quizzes_memorystate" in q["sql"] for q in small.captured_queries)
    assert not any("quizzes_recallrollup" in q["sql"] for q in small.captured_queries)
    assert any("quizzes_recallrollup" in q["sql"] for q in large.captured_queries)
    assert not any("quizzes_memorystate" in q["sql"] for q in large.captured_queries)
    assert [(r.lesson_id, r.title, r.studied) for r in rolled] == [
        (r.lesson_id, r.title, r.studied) for r in exact
    ]
    assert sum(r.studied for r in exact) > 0
    for mine, theirs in zip(rolled, exact, strict=True):
        assert mine.now == pytest.approx(theirs.now, rel=0, abs=1e-9)
        assert mine.week == pytest.approx(theirs.week, rel=0, abs=1e-9)


class _RolledBack(Exception):
    pass


def _rows_after(writes) -> list[tuple]:
    """The rollup's rows after `writes()`, every float as stored; the writes are rolled back."""
    try:
        with transaction.atomic():
            writes()
            rows = list(
                RecallRollup.objects.order_by("student_id", "lesson_id").values_list(
                    "student_id", "lesson_id", "base_day", "n", *rollups.SUMS
                )
            )
            raise _RolledBack
    except _RolledBack:
        return rows


@pytest.mark.django_db(transaction=False)
def test_the_ratings_shorter_way_in_the_trigger_gives_the_same_rows_to_the_bit(world):
    """Migration 0010 (PostgreSQL) gives a rating's write a shorter way through the trigger: the
    rows come out as 0007's trigger made them, bit for bit, through the writes that take it and
    those that fall back; so they do with 0015's (each state's own curve). On SQLite 0010 leaves
    the triggers as they were."""
    migration = importlib.import_module("quizzes.migrations.0010_cheaper_rollup_trigger")
    current = importlib.import_module("quizzes.migrations.0015_memorystate_curve")
    if connection.vendor != "postgresql":
        run = []
        migration.forwards(None, SimpleNamespace(connection=connection, execute=run.append))
        migration.backwards(None, SimpleNamespace(connection=connection, execute=run.append))
        assert run == []
        return
    students, cards, lessons = world["students"], world["cards"], world["lessons"]
    other = LessonFactory()
    extra = [CardFactory(lesson=lessons[0]), CardFactory(lesson=other)]

    def rate(student, card, rating):
        review_record(student=student, card=card, rating=rating, reviewed_at=T0, fuzz=False)

    def writes():
        seen = MemoryState.objects.filter(student=students[0]).order_by("pk")
        for state in seen[:4]:  # cards seen before
            rate(students[0], state.card, 3)
        rate(students[1], extra[0], 2)  # a first rating
        rate(students[1], extra[1], 4)  # a first rating in a lesson new to the student
        RecallRollup.objects.filter(student=students[2], lesson=lessons[1]).delete()
        for card in cards[4:8]:  # lessons[1]: its row is gone
            rate(students[2], card, 1)
        Card.objects.filter(pk=cards[9].pk).update(retired_at=T0)
        for student in students[3:]:  # cards[9] is retired
            rate(student, cards[9], 3)
        rollups.rollup_rebuild(day=D0 - 3, student_ids=[students[4].pk])
        for card in cards[:3]:  # rows based three days ago
            rate(students[4], card, 4)
        state = MemoryState.objects.filter(student=students[3]).first()
        MemoryState.objects.filter(pk=state.pk).update(stability=None)
        MemoryState.objects.filter(pk=state.pk).update(stability=4.25)

    shorter = _rows_after(writes)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(current.state_function(shortcut=False))
        as_0007 = _rows_after(writes)
        transaction.set_rollback(True)
    assert len(shorter) == 16 and shorter == as_0007
    assert_rows_exact()  # and the world's rows as they were


def test_states_with_a_fitted_curve_are_summed_with_their_own_curve(world):
    """Migration 0015: each state's recall is summed with its own decay and factor, through
    each kind of write, the rebuild, and the report; states of both curves side by side."""
    from tests.quizzes.test_parameters_in_force import FITTED

    students, cards = world["students"], world["cards"]
    fitted = tuple(FITTED)
    seen = MemoryState.objects.filter(student=students[1]).order_by("pk")[:3]
    for state in seen:  # seen before: the update moves the state to the fitted curve
        review_record(
            student=students[1], card=state.card, rating=3, reviewed_at=T0, parameters=fitted
        )
    new = next(card for card in cards if not MemoryState.objects.filter(
        student=students[2], card=card).exists())  # fmt: skip
    review_record(student=students[2], card=new, rating=2, reviewed_at=T0, parameters=fitted)
    curves = set(MemoryState.objects.values_list("decay", flat=True))
    assert curves == {scheduling.DEFAULT_DECAY, -FITTED[20]}
    assert_rows_exact()
    MemoryState.objects.filter(student=students[2], card=new).delete()
    assert_rows_exact()
    Card.objects.filter(pk=seen[0].card_id).update(retired_at=T0)
    assert_rows_exact()
    Card.objects.filter(pk=seen[0].card_id).update(retired_at=None)
    rollups.rollup_rebuild(day=D0 - 1)
    assert_rows_exact()
    at = T0 + timedelta(hours=5)
    from_rollups, from_states = both(world, at)
    for lesson_id, row in from_states.items():
        assert from_rollups[lesson_id]["now"] == pytest.approx(row["now"], abs=0.02)
