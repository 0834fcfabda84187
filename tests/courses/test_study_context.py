"""The study context is cached (content.usercache), and every write that changes it is seen at
once: the next request of the student, from any process sharing the cache, reads it afresh."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from content import usercache
from content.models import Lesson
from courses.models import Course, LessonSet, Profile
from courses.selectors import study_context
from courses.services import assignment_create, enrollment_remove
from quizzes.models import Quiz
from quizzes.services import attempt_finish, attempt_start
from tests.factories import (
    ClassroomFactory,
    EnrollmentFactory,
    StudentFactory,
    TeacherFactory,
)


def lessons_of(student, now=None) -> tuple[int, ...]:
    return study_context(user=student, now=now or timezone.now()).lesson_ids


@pytest.fixture
def classroom(mini):
    classroom = ClassroomFactory()
    classroom.teachers.add(TeacherFactory())
    return classroom


@pytest.fixture
def pupil(classroom):
    student = StudentFactory()
    EnrollmentFactory(classroom=classroom, student=student)
    return student


def assign(classroom, **kwargs):
    return assignment_create(
        classroom=classroom,
        teacher=classroom.teachers.first(),
        lesson_set=LessonSet.objects.get(key="mini-set"),
        due_at=timezone.now() + timedelta(days=7),
        **kwargs,
    )


@pytest.mark.django_db
def test_a_new_assignment_and_a_removal_are_seen_at_once(classroom, pupil):
    assert lessons_of(pupil) == ()  # now cached, with no lessons
    assign(classroom)
    lesson = Lesson.objects.get(key="mini-lesson")
    assert lessons_of(pupil) == (lesson.pk,)

    enrollment_remove(classroom=classroom, student_id=pupil.pk)  # a bulk update, no signal
    assert lessons_of(pupil) == ()


@pytest.mark.django_db
def test_an_assignment_that_opens_later_arrives_when_it_opens(classroom, pupil):
    now = timezone.now()
    assign(classroom, opens_at=now + timedelta(hours=1))
    assert lessons_of(pupil, now) == ()
    # Nothing is written at the opening time: the cached value knew when it would change.
    assert lessons_of(pupil, now + timedelta(hours=2)) != ()


@pytest.mark.django_db
def test_settings_of_the_student_and_the_course_are_seen_at_once(classroom, pupil):
    assign(classroom)
    assert study_context(user=pupil, now=timezone.now()).time_zone == "UTC"
    Profile.objects.update_or_create(user=pupil, defaults={"time_zone": "Asia/Ho_Chi_Minh"})
    assert study_context(user=pupil, now=timezone.now()).time_zone == "Asia/Ho_Chi_Minh"

    course = Course.objects.get(key="mini")
    course.new_cards_per_day = 3
    course.save()  # as the admin does
    assert study_context(user=pupil, now=timezone.now()).new_per_day == 3


@pytest.mark.django_db
def test_an_unfinished_attempt_holds_its_questions_until_it_is_finished(mini, pupil):
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    assert study_context(user=pupil, now=timezone.now()).held_questions == frozenset()
    attempt = attempt_start(quiz=quiz, student=pupil, now=timezone.now())
    held = study_context(user=pupil, now=timezone.now()).held_questions
    assert held and held == {q.pk for q in Lesson.objects.get(key="mini-lesson").questions.all()}
    attempt_finish(attempt=attempt, now=timezone.now())
    assert study_context(user=pupil, now=timezone.now()).held_questions == frozenset()


@pytest.mark.django_db
def test_a_value_read_before_a_write_is_not_kept_after_it(classroom, pupil):
    """A request that read the rows before another committed its write must not leave its
    stale value in the cache as if it were fresh (the tokens are read before the rows)."""
    built = []

    def build_while_a_write_happens():
        built.append("stale")
        usercache.forget_user(pupil.pk)  # the write commits while this request builds
        return "stale", None

    assert usercache.get_or_build(pupil.pk, build_while_a_write_happens, now=0) == "stale"
    assert usercache.get_or_build(pupil.pk, lambda: ("fresh", None), now=0) == "fresh"
    assert usercache.get_or_build(pupil.pk, lambda: ("again", None), now=0) == "fresh"
    assert built == ["stale"]


@pytest.mark.django_db
def test_a_cleared_cache_is_read_again_from_the_database(classroom, pupil):
    assign(classroom)
    before = lessons_of(pupil)
    cache.clear()
    assert lessons_of(pupil) == before


@pytest.mark.django_db
def test_an_evicted_token_does_not_make_an_old_entry_fresh_again(classroom, pupil):
    """Entries are never stored under a missing token: were one stored under None, a write
    followed by the eviction of the new token would make it pass for fresh again."""
    cache.clear()  # no tokens at all
    assert usercache.get_or_build(pupil.pk, lambda: ("old", None), now=0) == "old"
    usercache.forget_user(pupil.pk)  # a write
    cache.delete(usercache.GLOBAL_TOKEN)  # tokens evicted
    cache.delete(f"{usercache.PREFIX}:user:{pupil.pk}")
    assert usercache.get_or_build(pupil.pk, lambda: ("new", None), now=0) == "new"


@pytest.mark.django_db
def test_a_broken_cache_falls_back_to_the_database(classroom, pupil, settings):
    """With the cache unreachable, study pages are read from the database, not refused."""
    assign(classroom)
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            # Nothing listens there: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    # (pytest-django's `settings` makes Django build its caches again from the new setting.)
    assert lessons_of(pupil) == (Lesson.objects.get(key="mini-lesson").pk,)


@pytest.mark.django_db
def test_a_process_reuses_an_entry_it_read_only_while_the_tokens_hold(classroom, pupil):
    """`share=True` (the study entry): a process keeps the entries it read, and uses one only
    while the shared cache's tokens are those it was read under, and until its moment passes."""
    built = []

    def build(value, until=None):
        def making():
            built.append(value)
            return value, until

        return making

    def read(value, *, now=0, share=True, until=None):
        return usercache.get_or_build(pupil.pk, build(value, until), now=now, share=share)

    assert read("one") == "one"
    cache.delete(usercache._entry(pupil.pk, "main"))  # gone from the shared cache
    assert read("two") == "one"  # this process still has it
    assert read("two", share=False) == "two"  # an entry not shared is read from the cache

    usercache.forget_user(pupil.pk)  # a write, in any process: the user's token changes
    assert read("three") == "three"
    cache.set(usercache.GLOBAL_TOKEN, "changed elsewhere", timeout=None)
    assert read("four", until=10) == "four"
    assert read("five", now=9) == "four"
    assert read("six", now=10) == "six"  # the moment it held until has passed
    cache.clear()  # tokens evicted: never an entry of this process's under them
    assert read("seven") == "seven"
    assert built == ["one", "two", "three", "four", "six", "seven"]
