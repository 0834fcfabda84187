"""Fitting FSRS's parameters to a course's review log (courses.fitting, issue 13): the log as
fsrs-rs items in study days, the time split, the fit against the defaults on a simulated log
with known parameters, the threshold, per-student fits, failures, in force and back, and the
retention simulation."""

import random
from datetime import UTC, datetime, timedelta

import fsrs
import fsrs_rs_python
import pytest
from django.core.cache import cache
from django.tasks import TaskResultStatus

from content import usercache
from courses import fitting
from courses.fitting import (
    DEFAULT_PARAMETERS,
    FitError,
    FitRefused,
    fit_put_in_force,
    fit_request,
    fit_run,
    fits_to_defaults,
    log_fit,
    log_split,
    retention_best_value,
    retention_workload,
    review_log_read,
)
from courses.models import Course, FitStatus, ParameterFit, Profile
from courses.selectors import parameters_in_force
from courses.tasks import parameters_fit
from quizzes.models import Card, ReviewLog, ReviewSource
from tests.factories import (
    AuthorFactory,
    CardFactory,
    CourseFactory,
    LessonFactory,
    LessonSetItemFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

# The ground truth of the simulated students' memory: FSRS-6 with parameters unlike the
# defaults (this course's material is forgotten sooner, and its forgetting curve is flatter).
TRUTH = list(fsrs.Scheduler().parameters)
TRUTH[0:4] = [0.08, 0.4, 0.9, 3.0]
TRUTH[8] = 1.3
TRUTH[20] = 0.35
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def simulated_course(
    *,
    students: int = 6,
    cards: int = 50,
    days: int = 120,
    new_per_day: int | list[int] = 5,
    seed: int = 7,
    course: Course | None = None,
) -> Course:
    """A course with one lesson of `cards` cards and a review log of `students` students over
    `days` days, simulated with py-fsrs and a fixed seed: each student studies once a day,
    introduces `new_per_day` new cards (a list: one number per student) and reviews every card
    due, scheduled by FSRS's defaults at 0.9 (no fuzz; no learning steps, so one review per
    card and day). Whether a review is recalled is drawn from the TRUTH parameters' recall;
    recalled: Hard, Good or Easy; forgotten: Again. Every fifth review comes from a quiz.

    The rows are written with one bulk insert, as the log's append-only history (the
    services would also schedule and write memory states, which fitting never reads)."""
    rng = random.Random(seed)
    course = course or CourseFactory()
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    deck = CardFactory.create_batch(cards, lesson=lesson)
    scheduler = fsrs.Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())
    truth = fsrs.Scheduler(
        parameters=TRUTH, enable_fuzzing=False, learning_steps=(), relearning_steps=()
    )
    rows = []
    for number in range(students):
        student = StudentFactory()
        per_day = new_per_day[number] if isinstance(new_per_day, list) else new_per_day
        states: dict[int, tuple[fsrs.Card, fsrs.Card]] = {}
        introduced = 0
        for day in range(days):
            now = START + timedelta(days=day, minutes=rng.randrange(0, 600))
            due = [index for index, (card, _) in states.items() if card.due <= now]
            new = list(range(introduced, min(cards, introduced + per_day)))
            introduced += len(new)
            for index in due + new:
                now += timedelta(seconds=20)
                card, memory = states.get(index, (fsrs.Card(), fsrs.Card()))
                before = card.state.value if index in states else None
                if memory.last_review is None:
                    rating = rng.choices([1, 2, 3, 4], [0.25, 0.1, 0.5, 0.15])[0]
                elif rng.random() < truth.get_card_retrievability(memory, now):
                    rating = rng.choices([2, 3, 4], [0.15, 0.75, 0.1])[0]
                else:
                    rating = 1
                card, _ = scheduler.review_card(card, fsrs.Rating(rating), now)
                memory, _ = truth.review_card(memory, fsrs.Rating(rating), now)
                states[index] = (card, memory)
                rows.append(
                    ReviewLog(
                        student=student,
                        card=deck[index],
                        rating=rating,
                        reviewed_at=now,
                        state_before=before,
                        state_after=card.state.value,
                        due_after=card.due,
                        source=ReviewSource.QUIZ if len(rows) % 5 == 4 else ReviewSource.FLASHCARD,
                    )
                )
    ReviewLog.objects.bulk_create(rows, batch_size=2000)
    return course


def _fit(course: Course, *, author=None) -> ParameterFit:
    """Request a fit and run it as the worker would (the tests' backend runs a task at once)."""
    fit, created = fit_request(course=course, requested_by=author or AuthorFactory())
    assert created and fit.status == FitStatus.QUEUED
    result = parameters_fit.enqueue(fit_id=fit.pk)
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    fit.refresh_from_db()
    return fit


# The log as items ------------------------------------------------------------------------------


def test_the_log_becomes_items_per_student_and_card_in_the_students_study_days():
    course = CourseFactory()
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    card, other_card = CardFactory.create_batch(2, lesson=lesson)
    elsewhere = CardFactory()  # a card of no lesson of the course
    night_owl = StudentFactory()
    # New York, day turning over at 4 a.m.: 07:30 UTC on 2 March is 02:30 there, 1 March.
    Profile.objects.create(user=night_owl, time_zone="America/New_York", day_starts_at=4)
    other = StudentFactory()  # no profile: UTC days from 4 a.m.
    moments = [
        (night_owl, card, datetime(2026, 3, 1, 15, 0, tzinfo=UTC), 3, ReviewSource.FLASHCARD),
        # Same study day in New York (02:30 local): not predicted, kept in the history.
        (night_owl, card, datetime(2026, 3, 2, 7, 30, tzinfo=UTC), 1, ReviewSource.FLASHCARD),
        (night_owl, card, datetime(2026, 3, 4, 15, 0, tzinfo=UTC), 3, ReviewSource.QUIZ),
        (other, card, datetime(2026, 3, 1, 15, 0, tzinfo=UTC), 3, ReviewSource.FLASHCARD),
        # 05:00 UTC on the 2nd is the next UTC study day (after 4 a.m.).
        (other, card, datetime(2026, 3, 2, 5, 0, tzinfo=UTC), 4, ReviewSource.FLASHCARD),
        (other, other_card, datetime(2026, 3, 1, 16, 0, tzinfo=UTC), 2, ReviewSource.FLASHCARD),
        (other, elsewhere, datetime(2026, 3, 3, 16, 0, tzinfo=UTC), 3, ReviewSource.FLASHCARD),
    ]
    ReviewLog.objects.bulk_create(
        ReviewLog(
            student=student,
            card=which,
            rating=rating,
            reviewed_at=at,
            state_after=2,
            due_after=at,
            source=source,
        )
        for student, which, at, rating, source in moments
    )

    log = review_log_read(course)

    assert log.reviews == 6  # the review of a card outside the course is not read
    assert [(item.student_id, item.reviews) for item in log.items] == [
        # The quiz-fed review counts as a review: 3 study days after 1 March.
        (night_owl.pk, ((3, 0), (1, 0), (3, 3))),
        (other.pk, ((3, 0), (4, 1))),
    ]
    assert log.items[0].reviewed_at == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def test_the_log_is_read_with_one_query(django_assert_num_queries):
    course = simulated_course(students=2, cards=10, days=30)
    # The review log with each student's profile, joined: one query, read in chunks.
    with django_assert_num_queries(1):
        log = review_log_read(course)
    assert log.reviews == ReviewLog.objects.count()


def test_the_split_puts_the_earlier_fifth_fourths_before_and_the_later_after():
    course = simulated_course(students=3, cards=30, days=60)
    log = review_log_read(course)

    split_at, train, test = log_split(log)

    times = sorted(ReviewLog.objects.values_list("reviewed_at", flat=True))
    assert split_at == times[int(len(times) * 0.8)]
    before = [item for item in log.items if item.reviewed_at < split_at]
    after = [item for item in log.items if item.reviewed_at >= split_at]
    assert len(train) == len(before) > 0 and len(test) == len(after) > 0
    assert len(train) + len(test) == len(log.items)
    # Roughly four fifths of the predicted reviews are before the split.
    assert 0.6 < len(train) / len(log.items) < 0.95


# Fitting ---------------------------------------------------------------------------------------


def test_a_fit_on_a_simulated_log_beats_the_defaults_and_is_put_in_force(settings):
    settings.FSRS_FIT_MIN_REVIEWS = 1000
    course = simulated_course()
    reviews = ReviewLog.objects.count()
    assert reviews > 3000
    assert not ParameterFit.objects.filter(in_force=True).exists()

    fit = _fit(course)

    assert fit.status == FitStatus.DONE, fit.note
    assert fit.reviews == reviews
    assert fit.train_reviews > fit.test_reviews > 100
    assert len(fit.parameters) == 21 and fit.parameters != list(DEFAULT_PARAMETERS)
    assert fit.log_loss < fit.default_log_loss
    assert fit.in_force
    fsrs.Scheduler(parameters=fit.parameters)  # py-fsrs, which schedules, takes them
    assert fit.note.startswith("In force: on the")
    assert fit.finished_at is not None
    assert set(fit.workload) == {"0.80", "0.85", "0.90", "0.95"}
    assert 0.75 <= fit.suggested_retention <= 0.95
    # The only course fit: no student has a thousand reviews of their own here.
    assert ParameterFit.objects.count() == 1


def test_a_course_with_fewer_reviews_than_the_threshold_is_not_fitted(settings):
    course = simulated_course(students=2, cards=20, days=40)
    reviews = ReviewLog.objects.count()
    settings.FSRS_FIT_MIN_REVIEWS = reviews + 1

    fit = _fit(course)

    assert fit.status == FitStatus.FAILED
    assert fit.note.startswith(f"Not enough reviews: {reviews} in the log, {reviews + 1} needed")
    assert fit.parameters == [] and not fit.in_force
    assert fit.reviews == reviews


def test_each_student_with_enough_reviews_alone_gets_a_fit_of_their_own(settings):
    # Three students; the first two introduce more cards a day and review far more.
    course = simulated_course(students=3, cards=60, days=120, new_per_day=[8, 8, 1])
    counts = sorted(
        ReviewLog.objects.values_list("student_id", flat=True).distinct().order_by(),
        key=lambda pk: -ReviewLog.objects.filter(student_id=pk).count(),
    )
    per_student = {pk: ReviewLog.objects.filter(student_id=pk).count() for pk in counts}
    busiest = sorted(per_student.values())
    settings.FSRS_FIT_MIN_REVIEWS = busiest[1]  # the two busiest students qualify

    fit = _fit(course)

    assert fit.status == FitStatus.DONE, fit.note
    own = ParameterFit.objects.filter(course=course, student__isnull=False)
    expected = {pk for pk, n in per_student.items() if n >= busiest[1]}
    assert {f.student_id for f in own} == expected and len(expected) == 2
    for student_fit in own:
        assert student_fit.status in {FitStatus.DONE, FitStatus.FAILED}
        assert student_fit.reviews == per_student[student_fit.student_id]
        if student_fit.status == FitStatus.DONE:
            assert student_fit.test_reviews > 0
            assert student_fit.default_log_loss is not None
            # In force only if it beat the defaults (and the course's fit in force: below).
            if student_fit.in_force:
                assert student_fit.log_loss < student_fit.default_log_loss


def test_a_students_fit_goes_in_force_only_if_it_beats_the_courses_parameters_too(settings):
    # One student: the course's fit is fitted on the very reviews the student's is, so it beat
    # the defaults and went in force, and the student's own fit, which also beats the defaults,
    # is no better than it: the course's parameters keep scheduling the student.
    course = simulated_course(students=1, cards=100, days=120, new_per_day=8)
    settings.FSRS_FIT_MIN_REVIEWS = 1000
    assert ReviewLog.objects.count() >= 1000

    fit = _fit(course)

    assert fit.status == FitStatus.DONE and fit.in_force, fit.note
    own = ParameterFit.objects.get(course=course, student__isnull=False)
    assert own.status == FitStatus.DONE and own.log_loss < own.default_log_loss
    assert not own.in_force
    assert "but no lower than the course's parameters in force" in own.note
    assert own.note.endswith("the course's stay in force for this student.")


def test_a_students_evaluation_is_against_the_course_parameters_given():
    # The simulation's true parameters predict a student's later reviews better than the
    # student's own fit, which beats the defaults: with them as the course's, no win.
    course = simulated_course(students=1, cards=100, days=120, new_per_day=8)
    log = review_log_read(course)

    alone = log_fit(log)
    against_truth = log_fit(log, course_parameters=TRUTH)

    assert alone.wins and alone.course_log_loss is None
    assert against_truth.log_loss == alone.log_loss
    assert against_truth.course_log_loss < against_truth.log_loss < alone.default_log_loss
    assert not against_truth.wins


def test_a_log_with_no_review_on_a_later_day_fails_with_a_note(settings):
    settings.FSRS_FIT_MIN_REVIEWS = 5
    course = CourseFactory()
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    cards = CardFactory.create_batch(10, lesson=lesson)
    student = StudentFactory()
    ReviewLog.objects.bulk_create(
        ReviewLog(
            student=student,
            card=card,
            rating=3,
            reviewed_at=START + timedelta(minutes=i),
            state_after=2,
            due_after=START,
        )
        for i, card in enumerate(cards)
    )

    fit = _fit(course)

    assert fit.status == FitStatus.FAILED
    assert fit.note.startswith("Not enough reviews to fit and evaluate: ")
    assert not fit.in_force


def test_an_error_while_fitting_fails_the_fit_with_the_error_in_its_note(settings, monkeypatch):
    settings.FSRS_FIT_MIN_REVIEWS = 100
    course = simulated_course(students=2, cards=20, days=60)

    class Broken:  # fsrs-rs (not our code) breaking mid-fit
        def __init__(self, parameters):
            raise RuntimeError("the optimizer ran out of memory")

    monkeypatch.setattr(fitting.fsrs_rs, "FSRS", Broken)

    fit = _fit(course)

    assert fit.status == FitStatus.FAILED
    assert fit.note == (
        "The fit broke off: fsrs-rs could not fit: RuntimeError: the optimizer ran out of memory"
    )
    assert fit.finished_at is not None and not fit.in_force


def test_a_fit_that_is_not_queued_is_not_run_again(settings):
    course = simulated_course(students=2, cards=20, days=60)
    # The course has enough reviews; neither student has alone.
    settings.FSRS_FIT_MIN_REVIEWS = ReviewLog.objects.count()
    fit = _fit(course)
    assert fit.status == FitStatus.DONE
    finished_at = fit.finished_at

    again = fit_run(fit_id=fit.pk)

    assert again.status == FitStatus.DONE and again.finished_at == finished_at
    assert ParameterFit.objects.count() == 1


def test_fit_now_twice_queues_one_fit():
    course = CourseFactory()
    author = AuthorFactory()

    first, created = fit_request(course=course, requested_by=author)
    second, created_again = fit_request(course=course, requested_by=author)

    assert created and not created_again
    assert second.pk == first.pk
    assert ParameterFit.objects.filter(course=course).count() == 1


def test_a_fit_left_queued_or_running_by_a_stopped_worker_does_not_block_the_next():
    course = CourseFactory()
    stale = ParameterFit.objects.create(course=course, status=FitStatus.RUNNING)
    ParameterFit.objects.filter(pk=stale.pk).update(created_at=START)

    fit, created = fit_request(course=course, requested_by=AuthorFactory())

    assert created and fit.status == FitStatus.QUEUED
    stale.refresh_from_db()
    assert stale.status == FitStatus.FAILED and "did not finish within an hour" in stale.note
    # A fit queued a moment ago is not stale: it still blocks another.
    again, created_again = fit_request(course=course, requested_by=AuthorFactory())
    assert not created_again and again == fit


def test_a_fit_deleted_with_its_course_before_it_ran_ends_the_task_quietly():
    course = CourseFactory()
    fit, _ = fit_request(course=course, requested_by=AuthorFactory())
    course.delete()

    result = parameters_fit.enqueue(fit_id=fit.pk)

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "gone"


# In force and back -----------------------------------------------------------------------------


def _winning_pair(settings) -> tuple[ParameterFit, ParameterFit]:
    settings.FSRS_FIT_MIN_REVIEWS = 1000
    course = simulated_course()
    first = _fit(course)
    second = _fit(course)
    assert first.log_loss < first.default_log_loss and second.in_force
    first.refresh_from_db()
    return first, second


def test_an_earlier_fit_can_be_put_back_in_force_and_then_the_defaults(settings):
    first, second = _winning_pair(settings)
    assert not first.in_force
    token = cache.get(usercache.GLOBAL_TOKEN)

    fit_put_in_force(fit=first)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.in_force and not second.in_force
    assert cache.get(usercache.GLOBAL_TOKEN) != token  # every study context is forgotten
    # What the scheduler is given (courses.selectors), for any student of the course.
    in_force = parameters_in_force(course_id=first.course_id, student_id=StudentFactory().pk)
    assert in_force == tuple(first.parameters)

    assert fits_to_defaults(course=first.course) == 1

    assert parameters_in_force(course_id=first.course_id, student_id=None) == ()

    assert not ParameterFit.objects.filter(in_force=True).exists()
    assert ParameterFit.objects.count() == 2  # every fit is kept
    assert fits_to_defaults(course=first.course) == 0


def test_a_failed_unfinished_or_losing_fit_cannot_be_put_in_force(settings):
    course = CourseFactory()
    failed = ParameterFit.objects.create(course=course, status=FitStatus.FAILED)
    running = ParameterFit.objects.create(course=course, status=FitStatus.RUNNING)
    losing = ParameterFit.objects.create(
        course=course,
        status=FitStatus.DONE,
        parameters=list(DEFAULT_PARAMETERS),
        log_loss=0.5,
        default_log_loss=0.4,
    )
    for fit in (failed, running, losing):
        with pytest.raises(FitRefused):
            fit_put_in_force(fit=fit)
    assert not ParameterFit.objects.filter(in_force=True).exists()


# Retention -------------------------------------------------------------------------------------


def test_a_higher_retention_costs_more_time_and_keeps_more_cards_memorized():
    course = CourseFactory(new_cards_per_day=10, reviews_per_day=200)
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    CardFactory.create_batch(200, lesson=lesson)

    table = retention_workload(course, DEFAULT_PARAMETERS, [0.80, 0.95])

    low, high = table["0.80"], table["0.95"]
    assert high["minutes_per_day"] > low["minutes_per_day"] > 0
    assert high["reviews_per_day"] > low["reviews_per_day"] > 0
    assert high["memorized"] > low["memorized"] > 0
    assert low["memorized"] <= 200
    # Cheaper per card memorized at 0.80 than at 0.95.
    assert retention_best_value(table) == 0.80


def test_the_workload_follows_the_course_deck():
    course = CourseFactory(new_cards_per_day=10)
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    CardFactory.create_batch(30, lesson=lesson)
    small = retention_workload(course, DEFAULT_PARAMETERS, [0.9])["0.90"]
    CardFactory.create_batch(300, lesson=lesson)

    large = retention_workload(course, DEFAULT_PARAMETERS, [0.9])["0.90"]

    assert small["memorized"] <= 30 < large["memorized"]


# fsrs-rs's refusals and panics (the attack findings) -------------------------------------------


def _panic_exception() -> type[BaseException]:
    """pyo3's PanicException, taken from a real panic of fsrs-rs: simulating a deck of no card."""
    config = fsrs_rs_python.default_simulator_config()
    config.deck_size = 0
    with pytest.raises(BaseException, match="InvalidDeckSize") as panic:
        fsrs_rs_python.simulate(list(DEFAULT_PARAMETERS), 0.9, config, 1)
    assert not isinstance(panic.value, Exception)  # what `except Exception` misses
    return panic.type


def _retire_every_card(course: Course) -> None:
    # As the loader retires the cards a course file leaves out.
    Card.objects.filter(lesson__in=fitting.course_lessons(course)).update(retired_at=START)


def test_a_panic_of_fsrs_rs_is_a_fit_error():
    course = CourseFactory()

    with pytest.raises(FitError, match="InvalidDeckSize"):
        fitting._simulation(DEFAULT_PARAMETERS, 0.9, deck_size=0, course=course)
    with pytest.raises(FitError, match="InvalidParameters"):
        retention_workload(course, [float("nan")] * 21, [0.9], deck_size=10)
    with pytest.raises(FitError):
        retention_workload(course, [1.0] * 5, [0.9], deck_size=10)
    with pytest.raises(FitError):
        retention_workload(course, ["a"] * 21, [0.9], deck_size=10)


def test_a_course_with_no_card_in_use_has_no_simulation_and_no_suggestion():
    course = CourseFactory()

    assert retention_workload(course, DEFAULT_PARAMETERS, [0.8, 0.9]) == {}
    assert fitting.retention_suggest(course, DEFAULT_PARAMETERS, {}, deck_size=0) is None


def test_a_course_whose_cards_are_all_retired_is_fitted_without_a_simulation(settings):
    course = simulated_course(students=2, cards=20, days=60)
    _retire_every_card(course)
    # The course and each of its students have enough reviews.
    settings.FSRS_FIT_MIN_REVIEWS = min(
        ReviewLog.objects.filter(student_id=pk).count()
        for pk in ReviewLog.objects.values_list("student_id", flat=True)
    )

    fit = _fit(course)

    assert fit.status == FitStatus.DONE, fit.note
    assert fit.workload == {} and fit.suggested_retention is None
    own = ParameterFit.objects.filter(course=course, student__isnull=False)
    assert own.count() == 2
    assert not own.filter(status__in=[FitStatus.QUEUED, FitStatus.RUNNING]).exists()


def test_a_panic_while_fitting_fails_the_fit_and_the_next_fit_can_run(settings, monkeypatch):
    settings.FSRS_FIT_MIN_REVIEWS = 100
    course = simulated_course(students=2, cards=20, days=60)
    panic = _panic_exception()

    class Panicking:  # fsrs-rs (not our code) panicking mid-fit, as pyo3 reports it
        def __init__(self, parameters):
            raise panic("called `Result::unwrap()` on an `Err` value: InvalidInput")

    monkeypatch.setattr(fitting.fsrs_rs, "FSRS", Panicking)

    fit = _fit(course)

    assert fit.status == FitStatus.FAILED and fit.finished_at is not None
    assert fit.note == (
        "The fit broke off: fsrs-rs could not fit: PanicException: called `Result::unwrap()` "
        "on an `Err` value: InvalidInput"
    )
    _next, created = fit_request(course=course, requested_by=AuthorFactory())
    assert created


def test_the_log_split_per_student_keeps_every_item_and_time_of_each():
    course = simulated_course(students=3, cards=20, days=40)
    log = review_log_read(course)

    per_student = log.per_student()

    assert set(per_student) == set(log.times) and len(per_student) == 3
    for student_id, student_log in per_student.items():
        assert student_log.items == [i for i in log.items if i.student_id == student_id]
        assert student_log.times == {student_id: log.times[student_id]}
        assert student_log.reviews == ReviewLog.objects.filter(student_id=student_id).count()
    assert sum(len(student_log.items) for student_log in per_student.values()) == len(log.items)


@pytest.mark.parametrize(
    ("typed", "used"), [(0.855, 0.86), (0.8549, 0.85), (0.85, 0.85), (0.9, 0.9), (0.7, 0.7)]
)
def test_a_retention_is_rounded_to_the_forms_step_half_up(typed, used):
    assert fitting.retention_round(typed) == used
    assert fitting.retention_key(typed) == f"{used:.2f}"


def test_retentions_are_simulated_at_the_forms_step_so_few_are_cached():
    course = CourseFactory(new_cards_per_day=10)
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    CardFactory.create_batch(100, lesson=lesson)

    table = retention_workload(course, DEFAULT_PARAMETERS, [0.8512, 0.8549, 0.85])

    assert list(table) == ["0.85"]
    cache.clear()
    assert retention_workload(course, DEFAULT_PARAMETERS, [0.8549]) == table
    assert retention_workload(course, DEFAULT_PARAMETERS, [0.855]) != table  # 0.86


def test_the_simulated_deck_is_capped():
    # 100 new cards a day would introduce 36,500 cards in a year: the cap is what is simulated.
    course = CourseFactory(new_cards_per_day=100, reviews_per_day=5000)
    limit = fitting.SIMULATED_DECK_LIMIT

    capped = retention_workload(course, DEFAULT_PARAMETERS, [0.9], deck_size=limit)
    cache.clear()
    larger = retention_workload(course, DEFAULT_PARAMETERS, [0.9], deck_size=limit * 5)

    assert larger == capped
    assert capped["0.90"]["memorized"] <= limit


def test_a_fit_whose_parameters_py_fsrs_refuses_cannot_be_put_in_force():
    course = CourseFactory()
    for parameters in (["a"] * 21, [1e300] * 21, [None] * 21):
        fit = ParameterFit.objects.create(
            course=course,
            status=FitStatus.DONE,
            parameters=parameters,
            log_loss=0.4,
            default_log_loss=0.5,
        )
        with pytest.raises(FitRefused, match="not usable"):
            fit_put_in_force(fit=fit)
    assert not ParameterFit.objects.filter(in_force=True).exists()


def test_every_student_goes_back_to_the_courses_parameters_at_once():
    course, other_course = CourseFactory(), CourseFactory()
    winning = {
        "status": FitStatus.DONE,
        "parameters": list(DEFAULT_PARAMETERS),
        "log_loss": 0.4,
        "default_log_loss": 0.5,
    }
    course_fit = fit_put_in_force(fit=ParameterFit.objects.create(course=course, **winning))
    students = StudentFactory.create_batch(3)
    for student in students:
        for each in (course, other_course):
            fit_put_in_force(
                fit=ParameterFit.objects.create(course=each, student=student, **winning)
            )
    token = cache.get(usercache.GLOBAL_TOKEN)

    assert fitting.fits_students_to_defaults(course=course) == 3

    in_force = ParameterFit.objects.filter(in_force=True)
    assert set(in_force.filter(course=course)) == {course_fit}
    assert in_force.filter(course=other_course).count() == 3
    assert cache.get(usercache.GLOBAL_TOKEN) != token
    assert fitting.fits_students_to_defaults(course=course) == 0
