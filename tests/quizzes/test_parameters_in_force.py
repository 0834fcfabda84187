"""Fitted FSRS parameters in force (courses.ParameterFit) reach everything that schedules or
predicts: the rating, the buttons' intervals, undo's replay, the recall SQL (each state with the
curve of the parameters that computed it) and the rollups that reports read."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from courses.models import FitStatus, ParameterFit
from courses.selectors import study_day_for
from quizzes import scheduling
from quizzes.models import DEFAULT_DECAY, DEFAULT_FACTOR, Card, MemoryState, ReviewLog
from quizzes.scheduling import recall_expression
from quizzes.services import memory_state_rebuild, review_record
from tests.factories import StudentFactory

# FSRS-6's defaults with a faster first stability, a steeper curve (w20, the decay) and more:
# within py-fsrs's bounds, and far enough from the defaults to change every figure.
FITTED = list(Scheduler().parameters)
FITTED[0:4] = [0.5, 1.8, 4.0, 12.0]
FITTED[20] = 0.45


def fit(course, *, student=None, parameters=FITTED, in_force=True) -> ParameterFit:
    return ParameterFit.objects.create(
        course=course,
        student=student,
        status=FitStatus.DONE,
        parameters=list(parameters) if isinstance(parameters, (list, tuple)) else parameters,
        in_force=in_force,
    )


def intervals(html: str) -> list[str]:
    return re.findall(r'<span class="interval">(\S+)</span>', html)


def test_the_defaults_curve_in_the_models_is_the_schedulers():
    assert scheduling.DEFAULT_DECAY == DEFAULT_DECAY == -Scheduler().parameters[20]
    assert scheduling.DEFAULT_FACTOR == DEFAULT_FACTOR
    assert scheduling.recall_constants() == (DEFAULT_DECAY, DEFAULT_FACTOR)


@pytest.mark.django_db
def test_recall_computed_in_sql_matches_py_fsrs_for_fitted_parameters(mini):
    student, card = StudentFactory(), Card.objects.first()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for days in (0, 1, 4):
        review_record(
            student=student,
            card=card,
            rating=3,
            reviewed_at=start + timedelta(days=days),
            fuzz=False,
            parameters=tuple(FITTED),
        )
    at = start + timedelta(days=90)
    state = MemoryState.objects.annotate(recall=recall_expression(at)).get()
    assert state.decay == -0.45

    fsrs_card = FsrsCard(
        card_id=1, state=state.state, step=state.step, stability=state.stability,
        difficulty=state.difficulty, due=state.due_at, last_review=state.last_review_at,
    )  # fmt: skip
    expected = Scheduler(parameters=FITTED).get_card_retrievability(fsrs_card, at)
    with_defaults = Scheduler().get_card_retrievability(fsrs_card, at)
    assert state.recall == pytest.approx(expected, rel=1e-9)
    assert abs(expected - with_defaults) > 0.01  # the curve is the fitted one, not the defaults'


@pytest.mark.django_db
def test_the_study_day_carries_the_fit_in_force_and_a_students_own_fit_wins(mini, student):
    lesson_ids = [Card.objects.first().lesson_id]
    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert study_day_for(user=student, now=now, lesson_ids=lesson_ids).parameters == ()

    fit(mini, in_force=False)  # a fit not in force changes nothing
    assert study_day_for(user=student, now=now, lesson_ids=lesson_ids).parameters == ()

    course_fit = fit(mini)
    assert study_day_for(user=student, now=now, lesson_ids=lesson_ids).parameters == tuple(FITTED)
    own = [*FITTED[:20], 0.3]
    fit(mini, student=student, parameters=own)
    assert study_day_for(user=student, now=now, lesson_ids=lesson_ids).parameters == tuple(own)
    other = StudentFactory()
    assert study_day_for(user=other, now=now, lesson_ids=lesson_ids).parameters == tuple(FITTED)

    ParameterFit.objects.filter(student=student).delete()
    course_fit.in_force = False
    course_fit.save()  # back to the defaults: the cached context is forgotten
    assert study_day_for(user=student, now=now, lesson_ids=lesson_ids).parameters == ()


@pytest.mark.django_db
def test_a_rating_and_the_buttons_use_the_courses_fit_in_force(client, mini, student):
    client.force_login(student)
    card = Card.objects.get(pk=int(re.search(r"\?show=(\d+)", client.get("/study/").text)[1]))
    with_defaults = intervals(client.get(f"/study/?show={card.pk}").text)
    fit(mini)
    with_fit = intervals(client.get(f"/study/?show={card.pk}").text)
    assert len(with_fit) == 4 and with_fit != with_defaults
    assert with_fit[3] == "12d"  # Easy on a new card: the fitted w[3], 12 days

    client.post("/study/", {"card": card.pk, "reps": 0, "rating": 4, "duration_ms": 900})

    state = MemoryState.objects.get(student=student, card=card)
    assert state.stability == pytest.approx(12.0)
    assert state.decay == -0.45
    assert state.factor == pytest.approx(0.9 ** (1 / -0.45) - 1)
    assert ReviewLog.objects.filter(student=student, card=card).count() == 1


@pytest.mark.django_db
def test_undos_replay_and_a_regrades_replay_use_the_parameters_in_force(client, mini, student):
    card = Card.objects.first()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for days, rating in ((0, 3), (2, 3), (9, 1)):
        review_record(
            student=student,
            card=card,
            rating=rating,
            reviewed_at=start + timedelta(days=days),
            fuzz=False,
        )
    by_defaults = MemoryState.objects.get(student=student, card=card)
    assert by_defaults.decay == DEFAULT_DECAY
    fit(mini)

    # No parameters given: the replay looks up those in force (a regrade's way).
    rebuilt = memory_state_rebuild(student=student, card=card)

    replay = Scheduler(parameters=FITTED, enable_fuzzing=False)
    fsrs_card = None
    for log in ReviewLog.objects.filter(student=student, card=card).order_by("reviewed_at"):
        fsrs_card = (
            scheduling.to_fsrs(None, card_id=card.pk, now=log.reviewed_at)
            if (fsrs_card is None)
            else fsrs_card
        )
        fsrs_card, _ = replay.review_card(fsrs_card, log.rating, review_datetime=log.reviewed_at)
    assert rebuilt.stability == pytest.approx(fsrs_card.stability, rel=1e-12)
    assert rebuilt.stability != pytest.approx(by_defaults.stability)
    assert rebuilt.decay == -0.45


@pytest.mark.django_db
@pytest.mark.parametrize(
    "parameters",
    [[*FITTED[:20], 5.0], FITTED[:19], ["x"] * 21, 7, True, [[0.5]] * 21, {"w": 1}, [None] * 21],
    ids=[
        "out of bounds",
        "too few",
        "not numbers",
        "a number",
        "true",
        "nested",
        "a dict",
        "nulls",
    ],
)
def test_parameters_edited_into_nonsense_schedule_with_the_defaults(
    client, mini, student, parameters, caplog
):
    """A fit's parameters changed in the database after it was put in force: the pages and
    reviews go on, with the defaults, and the error is logged."""
    fit(mini, parameters=parameters)
    client.force_login(student)
    assert client.get("/").status_code == 200
    card = Card.objects.get(pk=int(re.search(r"\?show=(\d+)", client.get("/study/").text)[1]))
    response = client.post("/study/", {"card": card.pk, "reps": 0, "rating": 3, "duration_ms": 900})
    assert response.status_code == 302
    assert MemoryState.objects.get(student=student, card=card).decay == DEFAULT_DECAY
    assert "FSRS parameters refused" in caplog.text


@pytest.mark.django_db
def test_a_fits_progress_keeps_the_cached_contexts_and_putting_it_in_force_does_not(
    mini, student, django_assert_num_queries
):
    from courses.selectors import study_context

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    running = fit(mini, in_force=False)
    running.status = FitStatus.RUNNING
    study_context(user=student, now=now)  # built and cached
    running.status = FitStatus.DONE
    running.save()
    with django_assert_num_queries(0):
        assert study_context(user=student, now=now).parameters == ()
    running.in_force = True
    running.save()
    assert study_context(user=student, now=now).parameters == tuple(FITTED)
    running = ParameterFit.objects.get(pk=running.pk)
    running.in_force = False
    running.save(update_fields=["in_force"])
    assert study_context(user=student, now=now).parameters == ()


@pytest.mark.django_db
def test_a_student_of_two_courses_is_scheduled_by_each_cards_own_course(client):
    """One /study/ queue over two courses' lessons: each card is rated, previewed and undone
    with its own course's desired retention and parameters, not the first lesson's course's."""
    from tests.factories import (
        AssignmentFactory,
        CardFactory,
        CourseFactory,
        EnrollmentFactory,
        LessonFactory,
        LessonSetFactory,
        LessonSetItemFactory,
    )

    student = StudentFactory()
    decays = {}
    for name, decay, retention in (("a", 0.45, 0.9), ("b", 0.3, 0.8)):
        course = CourseFactory(key=f"course-{name}", desired_retention=retention)
        lesson_set = LessonSetFactory(course=course)
        lesson = LessonFactory()
        LessonSetItemFactory(lesson_set=lesson_set, lesson=lesson)
        for card in CardFactory.create_batch(2, lesson=lesson):
            decays[card.pk] = -decay
        fit(course, parameters=[*FITTED[:20], decay])
        assignment = AssignmentFactory(lesson_set=lesson_set)
        EnrollmentFactory(classroom=assignment.classroom, student=student)
    client.force_login(student)
    for _ in range(4):
        card_id = int(re.search(r"\?show=(\d+)", client.get("/study/").text)[1])
        client.post("/study/", {"card": card_id, "reps": 0, "rating": 4, "duration_ms": 900})
    states = MemoryState.objects.filter(student=student)
    assert {state.card_id: state.decay for state in states} == decays
    for state in states:  # a regrade's replay agrees
        rebuilt = memory_state_rebuild(student=student, card=state.card)
        assert rebuilt.decay == decays[state.card_id]
        assert rebuilt.stability == pytest.approx(state.stability)

    client.post("/study/", {"action": "undo"})  # the latest rating, replayed by its course
    assert MemoryState.objects.filter(student=student).count() == 3


def test_a_lesson_assigned_on_its_own_is_scheduled_by_the_course_it_was_loaded_from(db, client):
    """A teacher may assign a lesson that is in no lesson set: its course is then the one
    whose folder it came from (Lesson.course_key), as for the log the fit was made from."""
    from courses.selectors import classroom_courses
    from tests.factories import (
        AssignmentFactory,
        AssignmentLessonFactory,
        CardFactory,
        CourseFactory,
        EnrollmentFactory,
        LessonFactory,
    )

    student = StudentFactory()
    course = CourseFactory(key="loose", desired_retention=0.8)
    fit(course)
    card = CardFactory(lesson=LessonFactory(course_key="loose"))
    assignment = AssignmentFactory(lesson_set=None)
    AssignmentLessonFactory(assignment=assignment, lesson=card.lesson)
    EnrollmentFactory(classroom=assignment.classroom, student=student)
    client.force_login(student)

    shown = intervals(client.get(f"/study/?show={card.pk}").text)
    client.post("/study/", {"card": card.pk, "reps": 0, "rating": 4, "duration_ms": 900})

    # Easy on a new card: the fitted w[3], 12 days, stretched to the course's 0.8 retention.
    expected = Scheduler(parameters=FITTED, desired_retention=0.8, enable_fuzzing=False)
    easy, _ = expected.review_card(FsrsCard(), Rating.Easy, datetime(2026, 1, 1, tzinfo=UTC))
    days = (easy.due - datetime(2026, 1, 1, tzinfo=UTC)).days
    assert days > 12 and shown[3] == f"{days}d"
    state = MemoryState.objects.get(student=student, card=card)
    assert state.decay == -0.45 and state.stability == pytest.approx(12.0)
    assert classroom_courses(assignment.classroom) == [course]


# A student's own fit, as far as the course's: rating, buttons, undo, replay, reports ------------

OWN = list(Scheduler().parameters)
OWN[0:4] = [0.3, 1.0, 2.0, 25.0]
OWN[20] = 0.3


@pytest.mark.django_db
def test_a_students_own_fit_rates_previews_undoes_and_replays_their_cards(client, mini, student):
    fit(mini)  # the course's fit, in force for everyone else
    fit(mini, student=student, parameters=OWN)
    client.force_login(student)
    card = Card.objects.get(pk=int(re.search(r"\?show=(\d+)", client.get("/study/").text)[1]))

    assert intervals(client.get(f"/study/?show={card.pk}").text)[3] == "25d"  # OWN's w[3]
    client.post("/study/", {"card": card.pk, "reps": 0, "rating": 4, "duration_ms": 900})
    state = MemoryState.objects.get(student=student, card=card)
    assert (state.stability, state.decay) == (pytest.approx(25.0), -0.3)

    second = Card.objects.get(pk=int(re.search(r"\?show=(\d+)", client.get("/study/").text)[1]))
    client.post("/study/", {"card": second.pk, "reps": 0, "rating": 3, "duration_ms": 900})
    client.post("/study/", {"action": "undo"})
    assert not MemoryState.objects.filter(student=student, card=second).exists()

    rebuilt = memory_state_rebuild(student=student, card=card)  # a regrade's replay
    assert (rebuilt.stability, rebuilt.decay) == (pytest.approx(25.0), -0.3)
    other = StudentFactory()
    review_record(
        student=other, card=card, rating=4, reviewed_at=datetime.now(UTC), fuzz=False
    )  # without a study day: the defaults; the replay looks up the course's fit for them
    assert memory_state_rebuild(student=other, card=card).stability == pytest.approx(12.0)


@pytest.mark.django_db
def test_a_regrades_rewritten_due_dates_use_the_courses_desired_retention(mini, student):
    """A regrade rewrites the due dates from the changed rating on: at the course's desired
    retention, as the ratings themselves were scheduled, not at py-fsrs's default 0.9."""
    mini.desired_retention = 0.8
    mini.save()
    card = Card.objects.first()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for days in (0, 3):
        review_record(
            student=student,
            card=card,
            rating=3,
            reviewed_at=start + timedelta(days=days),
            fuzz=False,
            desired_retention=0.8,
        )
    scheduled = MemoryState.objects.get(student=student, card=card).due_at
    last = ReviewLog.objects.filter(student=student, card=card).latest("reviewed_at")

    rebuilt = memory_state_rebuild(student=student, card=card, rewrite_from=last)

    assert rebuilt.due_at == scheduled
    last.refresh_from_db()
    assert last.due_after == scheduled


@pytest.mark.django_db
@pytest.mark.parametrize("rollups_read", [False, True], ids=["states", "rollups"])
def test_the_class_pages_recall_of_a_fitted_state_is_py_fsrs_s(
    mini, student, settings, rollups_read
):
    """The teacher's class retention (from the states, or from the rollups for a large class)
    and the student's record predict a state written under a student's own fit with that
    fit's curve."""
    from courses import results
    from courses.models import Enrollment
    from quizzes import rollups

    fit(mini, student=student, parameters=OWN)
    day = rollups.today()
    card = Card.objects.filter(lesson__in=mini.lesson_sets.first().lessons.all()).first()
    review_record(
        student=student,
        card=card,
        rating=1,
        reviewed_at=rollups.day_point(day) - timedelta(days=3),
        fuzz=False,
        parameters=tuple(OWN),
    )
    state = MemoryState.objects.get(student=student, card=card)
    classroom = Enrollment.objects.get(student=student).classroom
    at = rollups.day_point(day + 10)
    rollups.rollup_rebuild(day=day)
    settings.RECALL_ROLLUP_MIN_STUDENTS = 0 if rollups_read else 10**6

    rows = [row for row in results.class_retention(classroom=classroom, now=at) if row.studied]

    fsrs_card = FsrsCard(
        card_id=1, state=state.state, step=state.step, stability=state.stability,
        difficulty=state.difficulty, due=state.due_at, last_review=state.last_review_at,
    )  # fmt: skip
    expected = Scheduler(parameters=OWN).get_card_retrievability(fsrs_card, at)
    assert abs(expected - Scheduler().get_card_retrievability(fsrs_card, at)) > 0.003
    assert len(rows) == 1 and rows[0].now == pytest.approx(expected, rel=0, abs=1e-9)
    record = results.student_record(classroom=classroom, student=student, now=at)
    assert [lesson["now"] for lesson in record.lessons if lesson["now"] is not None] == [
        pytest.approx(expected, rel=0, abs=1e-9)
    ]
